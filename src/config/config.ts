import { availableParallelism } from 'node:os';
import { userError } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';

/** Resolved, validated and frozen engine configuration. */
export interface Config {
  readonly kafkaBrokers: string | undefined;
  readonly redisUrl: string | undefined;
  readonly clickhouseUrl: string | undefined;
  readonly clickhousePath: string;
  readonly clickhouseDatabase: string;
  readonly groupId: string;
  readonly workers: number;
  readonly metricsPort: number;
  readonly servePort: number;
  readonly minEventTime: number;
  readonly maxFutureMs: number;
  readonly embeddedPartitions: number;
  /** Kafka consumer-group session timeout: how fast a dead member's partitions move. */
  readonly sessionTimeoutMs: number;
  /** Raw connections for vector reads on a single Redis (serving). */
  readonly redisReadConnections: number;
  /** How long a vector read may wait for Redis before it fails (serving). */
  readonly redisReadTimeoutMs: number;
  /** Heap limit of each worker thread in MB; undefined: V8's default. */
  readonly workerHeapMb: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw userError(
      'CONFIG_INVALID',
      `${name}=${raw} is not an integer in [${min}, ${max}]`,
      `set ${name} to a whole number between ${min} and ${max}, or unset it`,
    );
  }
  return n;
}

function url(env: Env, name: string, schemes: readonly string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  for (const part of raw.split(',')) {
    let ok = false;
    try {
      ok = schemes.includes(new URL(part.trim()).protocol);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw userError(
        'CONFIG_INVALID',
        `${name}=${raw} is not a valid ${schemes.map((s) => s.replace(':', '://')).join(' or ')} URL`,
        `set ${name} like ${schemes[0]?.replace(':', '://') ?? ''}host:port, or unset it`,
      );
    }
  }
  return raw;
}

/**
 * REDIS_URL: `redis://` / `rediss://` (a comma-separated list: cluster nodes), or one
 * `unix:///path/to/redis.sock` for a Redis on the same host (no TCP stack per round trip).
 */
function redisUrl(env: Env): string | undefined {
  const raw = url(env, 'REDIS_URL', ['redis:', 'rediss:', 'unix:']);
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((p) => new URL(p.trim()));
  for (const u of parts) {
    if (u.protocol !== 'unix:') continue;
    // unix:///path only: a host would be dropped (unix://tmp/r.sock is /r.sock), and options or
    // credentials in the URL would be ignored — refused rather than silently misread.
    const plain = u.host === '' && u.username === '' && u.password === '' && u.search === '';
    if (parts.length > 1 || !plain || u.pathname.length <= 1) {
      throw userError(
        'CONFIG_INVALID',
        `REDIS_URL=${raw}: a unix:// URL names one socket file (unix:///path/to/redis.sock), without host, credentials or ?options, and cannot be a cluster node`,
        'set REDIS_URL=unix:///path/to/redis.sock (one Redis on this host, no AUTH, db 0), or use a redis:// URL',
      );
    }
  }
  return raw;
}

/** Reads the configuration from the environment (defaults from config/defaults.ts). */
export function loadConfig(env: Env = process.env): Config {
  const brokers = str(env, 'KAFKA_BROKERS');
  if (brokers !== undefined) {
    for (const b of brokers.split(',')) {
      if (!/^[^\s:/]+:\d{1,5}$/.test(b.trim())) {
        throw userError(
          'CONFIG_INVALID',
          `KAFKA_BROKERS=${brokers}: '${b}' is not host:port`,
          'set KAFKA_BROKERS=host:port[,host:port], or unset it for the embedded source',
        );
      }
    }
  }
  const minEventTime = Date.parse(str(env, 'FS_MIN_EVENT_TIME') ?? DEFAULTS.minEventTime);
  if (!Number.isFinite(minEventTime)) {
    throw userError(
      'CONFIG_INVALID',
      `FS_MIN_EVENT_TIME=${env.FS_MIN_EVENT_TIME ?? ''} is not a date`,
      'use an ISO-8601 date such as 2000-01-01T00:00:00Z',
    );
  }
  const workers = int(env, 'FS_WORKERS', DEFAULTS.workers, 0, 256);
  return Object.freeze({
    kafkaBrokers: brokers,
    redisUrl: redisUrl(env),
    clickhouseUrl: url(env, 'CLICKHOUSE_URL', ['http:', 'https:']),
    clickhousePath: str(env, 'CLICKHOUSE_PATH') ?? DEFAULTS.clickhousePath,
    clickhouseDatabase: str(env, 'CLICKHOUSE_DATABASE') ?? DEFAULTS.clickhouseDatabase,
    groupId: str(env, 'FS_GROUP_ID') ?? DEFAULTS.groupId,
    workers: workers === 0 ? Math.max(1, availableParallelism()) : workers,
    metricsPort: int(env, 'FS_METRICS_PORT', DEFAULTS.metricsPort, 0, 65535),
    servePort: int(env, 'FS_PORT', DEFAULTS.servePort, 0, 65535),
    minEventTime,
    maxFutureMs: int(env, 'FS_MAX_FUTURE_MS', DEFAULTS.maxFutureMs, 0, 10 * 365 * 86_400_000),
    embeddedPartitions: int(env, 'FS_EMBEDDED_PARTITIONS', DEFAULTS.embeddedPartitions, 1, 256),
    sessionTimeoutMs: int(env, 'FS_SESSION_TIMEOUT_MS', DEFAULTS.sessionTimeoutMs, 6_000, 300_000),
    redisReadConnections: int(
      env,
      'FS_REDIS_READ_CONNECTIONS',
      DEFAULTS.redisReadConnections,
      1,
      64,
    ),
    redisReadTimeoutMs: int(
      env,
      'FS_REDIS_READ_TIMEOUT_MS',
      DEFAULTS.redisReadTimeoutMs,
      10,
      60_000,
    ),
    workerHeapMb:
      str(env, 'FS_WORKER_HEAP_MB') === undefined
        ? DEFAULTS.workerHeapMb
        : int(env, 'FS_WORKER_HEAP_MB', 0, 64, 1_048_576),
  });
}
