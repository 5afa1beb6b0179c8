import { ClickHouseOfflineSql } from '../adapters/clickhouse/clickhouse-offline-sql.js';
import { RedisOnlineStore } from '../adapters/redis/redis-online-store.js';
import type { Config } from '../config/config.js';
import { DEFAULTS } from '../config/defaults.js';
import { FeatureStreamError, userError } from '../core/errors.js';
import { loadTopologies } from '../engine/topology-loader.js';
import type { LoadedTopologies } from '../engine/topology-loader.js';
import type { OfflineSql } from '../ports/offline-sql.js';
import type { OnlineStore } from '../ports/online-store.js';

/**
 * The offline commands' composition root: ClickHouse only (no Kafka), plus Redis for the
 * consistency check. A server gets a client with a long request timeout (training sets can run
 * for a long time); the embedded engine is opened at CLICKHOUSE_PATH (one process at a time).
 */
/** parseArgs options every offline command takes. */
export const OFFLINE_OPTIONS = {
  topologies: { type: 'string', default: DEFAULTS.topologies },
  quiet: { type: 'boolean', default: false },
} as const;

/** parseArgs options of the commands that build a point-in-time frame (training-set, score-batch). */
export const FRAME_OPTIONS = {
  ...OFFLINE_OPTIONS,
  keys: { type: 'string', multiple: true },
  at: { type: 'string', default: 'ts' },
  out: { type: 'string' },
  overwrite: { type: 'boolean', default: false },
} as const;

/** Offline commands take options only: a stray positional is a usage error, not ignored. */
export function rejectPositionals(positionals: readonly string[]): void {
  if (positionals.length > 0)
    throw userError('CLI_ARG', `unexpected argument '${positionals.join(' ')}'`, 'see --help');
}

export async function openOffline(config: Config): Promise<OfflineSql> {
  return ClickHouseOfflineSql.open({
    url: config.clickhouseUrl,
    path: config.clickhousePath,
    database: config.clickhouseDatabase,
  });
}

/** Redis (REDIS_URL, required: the in-memory store lives only inside an engine process). */
export async function openOnline(config: Config, command: string): Promise<OnlineStore> {
  if (config.redisUrl === undefined) {
    throw userError(
      'REDIS_REQUIRED',
      `${command} reads the online store, but REDIS_URL is not set (the in-memory store lives only inside the engine process)`,
      'set REDIS_URL to the Redis the engine writes',
    );
  }
  return RedisOnlineStore.connect(config.redisUrl);
}

/** Loads the topologies (a missing path or a broken file fails before any store is opened). */
export function loadOfflineTopologies(path: string): Promise<LoadedTopologies> {
  return loadTopologies([path]);
}

/** Parses `a=b,c=d` (repeatable flags are joined first) into an object; `what` names the flag. */
export function parsePairs(
  values: readonly string[] | undefined,
  what: string,
  example: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (values ?? []).flatMap((v) => v.split(','))) {
    const p = part.trim();
    if (p === '') continue;
    const m = /^([^=\s]+)=([^=\s]+)$/.exec(p);
    if (m === null)
      throw userError('CLI_ARG', `${what} '${p}' is not NAME=VALUE`, `e.g. ${what} ${example}`);
    out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

/** Splits comma-separated, repeatable list flags. */
export function parseList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Runs offline work with an AbortSignal that fires on SIGINT/SIGTERM: the work stops after the
 * running statement (between phases or batches) and cleans up; the command then exits 130. A
 * second signal exits at once (temporary `_fs_tmp_*` tables may remain).
 */
export async function interruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  report: (result: T) => number,
): Promise<number> {
  const ctl = new AbortController();
  const onSignal = (): void => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write('\ninterrupted: stopping after the current step and cleaning up…\n');
    ctl.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return report(await fn(ctl.signal));
  } catch (err) {
    if (err instanceof FeatureStreamError && err.code === 'INTERRUPTED') return 130;
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
