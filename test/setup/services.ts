/**
 * Real Kafka and Redis for the integration tests.
 *
 * For each of KAFKA_BROKERS and REDIS_URL: when the variable is already set, that service is used
 * as given; otherwise `scripts/services.sh up <service>` starts a local one (state in a fresh temp
 * dir) and its env file supplies the address. Every service, given or started, is then checked
 * for real (kafkajs describeCluster, ioredis PING) so that a broken setup fails once, up front,
 * with one clear message instead of as hundreds of test timeouts.
 *
 * FS_SERVICES_KEEP_LOGS=1 keeps the temp dir with kafka.log / redis.log after stop().
 *
 * Used from a vitest globalSetup:
 *
 *   const services = await startServices();
 *   Object.assign(process.env, services.env);   // and/or project.provide(...)
 *   return services.stop;
 *
 * and by the benchmarks, each with the services it needs (`startServices(['redis'])`).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';

export interface StartedServices {
  /** KAFKA_BROKERS and/or REDIS_URL (those asked for), given or started. */
  env: Record<string, string>;
  /** Stops what startServices started (nothing it was given). Safe to call more than once. */
  stop: () => Promise<void>;
}

export type ServiceName = 'kafka' | 'redis';

const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
const SERVICES_SH = join(REPO_DIR, 'scripts', 'services.sh');

/** A cold start downloads the Kafka jars with Maven first: allow for it. */
const UP_TIMEOUT_MS = 10 * 60_000;
const DOWN_TIMEOUT_MS = 90_000;
const KAFKA_VERIFY_WINDOW_MS = 20_000;
const REDIS_VERIFY_WINDOW_MS = 10_000;

const ENV_VAR: Record<ServiceName, string> = { kafka: 'KAFKA_BROKERS', redis: 'REDIS_URL' };

const FIX: Record<ServiceName, string> = {
  kafka:
    'Set KAFKA_BROKERS to a reachable broker (host:port[,host:port]), or unset it and install ' +
    'Java 17 + Maven so that scripts/services.sh can start a local one ' +
    '(try `bash scripts/services.sh up kafka` by hand to see why it does not start).',
  redis:
    'Set REDIS_URL to a reachable server (redis://host:port/db), or unset it and make sure ' +
    'redis-server is installed (apt-get install -y redis-server) so that scripts/services.sh can ' +
    'start a local one (try `bash scripts/services.sh up redis` by hand to see why it does not start).',
};

export async function startServices(
  wanted: readonly ServiceName[] = ['kafka', 'redis'],
): Promise<StartedServices> {
  const env: Record<string, string> = {};
  const toStart: ServiceName[] = [];
  for (const service of wanted) {
    const given = process.env[ENV_VAR[service]]?.trim();
    if (given) env[ENV_VAR[service]] = given;
    else toStart.push(service);
  }

  let stateDir: string | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (stateDir === undefined) return;
      try {
        // Quiet on success: the test runner's summary stays the last thing printed.
        await runServicesSh(['down'], stateDir, DOWN_TIMEOUT_MS, true);
      } finally {
        if (process.env.FS_SERVICES_KEEP_LOGS === '1') {
          process.stderr.write(`services: logs kept in ${stateDir}\n`);
        } else {
          await rm(stateDir, { recursive: true, force: true });
        }
      }
    })();
    return stopped;
  };

  try {
    if (toStart.length > 0) {
      stateDir = await mkdtemp(join(tmpdir(), 'featurestream-services-'));
      try {
        await runServicesSh(['up', ...toStart], stateDir, UP_TIMEOUT_MS);
      } catch (err) {
        throw new Error(
          `Could not start ${toStart.join(' and ')} for the integration tests with ` +
            `scripts/services.sh (${errorText(err)}; its output is above). ` +
            toStart.map((s) => FIX[s]).join(' '),
          { cause: err },
        );
      }
      const started = parseEnvFile(await readFile(join(stateDir, 'env'), 'utf8'));
      for (const service of toStart) {
        const value = started[ENV_VAR[service]];
        if (!value) {
          throw new Error(
            `scripts/services.sh up reported success but wrote no ${ENV_VAR[service]} to ` +
              `${join(stateDir, 'env')}. ${FIX[service]}`,
          );
        }
        env[ENV_VAR[service]] = value;
      }
    }

    const kafkaBrokers = env.KAFKA_BROKERS ?? '';
    const redisUrl = env.REDIS_URL ?? '';
    const origin = (service: ServiceName): string =>
      toStart.includes(service) ? 'started by scripts/services.sh' : `from ${ENV_VAR[service]}`;
    const verify: Record<ServiceName, () => Promise<void>> = {
      kafka: () =>
        verifyKafka(kafkaBrokers).catch((err: unknown) => {
          throw new Error(
            `Kafka is not reachable at ${kafkaBrokers} (${origin('kafka')}): ` +
              `admin.describeCluster() kept failing for ${KAFKA_VERIFY_WINDOW_MS / 1000}s ` +
              `with "${errorText(err)}". ${FIX.kafka}`,
            { cause: err },
          );
        }),
      redis: () =>
        verifyRedis(redisUrl).catch((err: unknown) => {
          throw new Error(
            `Redis is not reachable at ${redisUrl} (${origin('redis')}): PING kept failing for ` +
              `${REDIS_VERIFY_WINDOW_MS / 1000}s with "${errorText(err)}". ${FIX.redis}`,
            { cause: err },
          );
        }),
    };
    const failures = (await Promise.allSettled(wanted.map((service) => verify[service]()))).flatMap(
      (r) => (r.status === 'rejected' ? [r.reason as Error] : []),
    );
    const [first] = failures;
    if (first !== undefined) {
      if (failures.length === 1) throw first;
      throw new Error(failures.map((e) => e.message).join(' '), { cause: failures });
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  return { env, stop };
}

/**
 * Runs scripts/services.sh with its progress (stderr) shown — or, when `quiet`, shown only if it
 * fails; stdout (env lines) is discarded.
 */
function runServicesSh(
  args: string[],
  stateDir: string,
  timeoutMs: number,
  quiet = false,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SERVICES_SH, ...args], {
      cwd: REPO_DIR,
      env: { ...process.env, FS_SERVICES_DIR: stateDir },
      stdio: ['ignore', 'ignore', quiet ? 'pipe' : 'inherit'],
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
    });
    let errText = '';
    child.stderr?.on('data', (d: Buffer) => (errText += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code !== 0 && errText !== '') process.stderr.write(errText);
      if (code === 0) resolve();
      else if (signal !== null)
        reject(new Error(`scripts/services.sh ${args.join(' ')} was killed by ${signal}`));
      else reject(new Error(`scripts/services.sh ${args.join(' ')} exited with code ${code}`));
    });
  });
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2].trim();
  }
  return out;
}

async function verifyKafka(brokers: string): Promise<void> {
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (list.length === 0) throw new Error('KAFKA_BROKERS is empty');
  const kafka = new Kafka({
    clientId: 'featurestream-test-setup',
    brokers: list,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  await retryWithin(KAFKA_VERIFY_WINDOW_MS, async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length === 0) throw new Error('describeCluster returned no brokers');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  });
}

async function verifyRedis(url: string): Promise<void> {
  if (url.length === 0) throw new Error('REDIS_URL is empty');
  await retryWithin(REDIS_VERIFY_WINDOW_MS, async () => {
    const options = {
      lazyConnect: true,
      connectTimeout: 3_000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    };
    const redis = url.startsWith('unix:')
      ? new Redis({ ...options, path: new URL(url).pathname })
      : new Redis(url, options);
    // The 'error' event carries the real cause (ECONNREFUSED, NOAUTH, ...); connect() itself
    // only rejects with "Connection is closed.". Listening also keeps it from being unhandled.
    let cause: Error | undefined;
    redis.on('error', (err: Error) => {
      cause ??= err;
    });
    try {
      await redis.connect();
      const pong: string = await redis.ping();
      if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    } catch (err) {
      throw cause ?? err;
    } finally {
      redis.disconnect();
    }
  });
}

/** Calls fn until it resolves; rethrows its last error once windowMs has passed. */
async function retryWithin(windowMs: number, fn: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + windowMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() + delay >= deadline) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
