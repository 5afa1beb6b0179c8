/**
 * bench:serving — the online serving API under load, next to its floor (the same lookups sent
 * straight to Redis). 100k entities × 20 features in Redis, written by the real online store;
 * `featurestream serve` in its own process; load from another process (bench/load-generator.ts):
 * closed loop, and open loop (fixed rate) at 1k, 5k and 10k req/s for single-entity GETs, a feature
 * service's vector (closed loop and 5k req/s), and batches of 100 entities. Prints p50/p99/p99.9 for
 * both paths and their ratio.
 *
 *   npm run bench:serving [-- --duration 20 --entities 100000 --only batch]
 *
 * `--only` runs the scenarios whose name contains the text (e.g. `batch`, `single`, `service`).
 *
 * Uses REDIS_URL when set, else starts a Redis with scripts/services.sh. FS_BENCH_SERVER_FLAGS adds
 * Node.js flags to the server process (e.g. "--max-semi-space-size=2"). Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RedisOnlineStore } from '../src/adapters/redis/redis-online-store.js';
import type { FeatureValue } from '../src/core/aggregation/aggregator.js';
import { compileView } from '../src/core/topology/compile.js';
import type { FeatureViewDef } from '../src/core/topology/feature-view.js';
import type { EntityWrite } from '../src/ports/online-store.js';
import { startServices } from '../test/setup/services.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    entities: { type: 'string', default: '100000' },
    only: { type: 'string', default: '' },
  },
});
const DURATION = Number(values.duration);
const WARMUP = Number(values.warmup);
const ENTITIES = Number(values.entities);
const REPO = fileURLToPath(new URL('../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const services = await startServices(['redis']);
const redisUrl = services.env.REDIS_URL ?? '';

// A card view with 20 features of the usual kinds.
const dir = mkdtempSync(join(tmpdir(), 'fs-bench-topo-'));
const topology = join(dir, 'bench-card.mts');
writeFileSync(
  topology,
  `import { entity, field, source, featureView, featureService } from ${JSON.stringify(join(REPO, 'src/index.ts'))};
const card = entity('card', { keys: ['card_id'] });
const tx = source('bench_tx', { schema: { card_id: field.string(), amount: field.double(), merchant: field.string(), country: field.string(), ts: field.timestamp() }, eventTime: 'ts', key: ['card_id'] });
const view = featureView('bench_card', { entity: card, source: tx, features: (f) => ({
  c_1m: f.count().over('1m'), c_5m: f.count().over('5m'), c_1h: f.count().over('1h'), c_24h: f.count().over('24h'),
  s_1h: f.sum('amount').over('1h'), s_24h: f.sum('amount').over('24h'), s_7d: f.sum('amount').over('7d'),
  m_1h: f.mean('amount').over('1h'), m_24h: f.mean('amount').over('24h'), m_7d: f.mean('amount').over('7d'),
  x_1h: f.max('amount').over('1h'), x_24h: f.max('amount').over('24h'), n_24h: f.min('amount').over('24h'),
  d_merch_24h: f.distinctCount('merchant').over('24h'), d_ctry_24h: f.distinctCount('country').over('24h'),
  p95_7d: f.quantile('amount', 0.95).over('7d'), sd_24h: f.stddev('amount').over('24h'),
  last_ctry: f.last('country').lifetime(), first_ctry: f.first('country').lifetime(), life: f.count().lifetime(),
}) });
export default view;
// A model's vector: 10 of the view's features in an order of its own.
export const model = featureService('bench_model', { features: ['c_1m', 'c_1h', 's_24h', 'm_7d', 'x_24h',
  'd_merch_24h', 'p95_7d', 'sd_24h', 'last_ctry', 'life'].map((feature) => ({ view, feature })) });
`,
);
const view = compileView(
  ((await import(pathToFileURL(topology).href)) as { default: FeatureViewDef }).default,
);

console.log(
  `bench:serving — ${ENTITIES.toLocaleString('en-US')} entities × ${view.ir.features.length} features, Redis ${redisUrl}, node ${process.version}, ${DURATION}s per run after ${WARMUP}s warm-up`,
);
const store = await RedisOnlineStore.connect(redisUrl);
const t0 = performance.now();
for (let i = 0; i < ENTITIES; i += 1_000) {
  const writes: EntityWrite[] = [];
  for (let j = i; j < Math.min(ENTITIES, i + 1_000); j++) {
    const values: FeatureValue[] = view.ir.features.map((f, k) =>
      f.valueType.base === 'string'
        ? (['US', 'GB', 'DE'][j % 3] ?? 'US')
        : Math.round((j * 7 + k * 13) % 1000) / 10,
    );
    writes.push({
      key: `card-${j.toString().padStart(6, '0')}`,
      asOf: Date.now(),
      values,
      state: new Uint8Array(64),
      isNew: true,
      fence: j,
      partition: j % 6,
    });
  }
  await store.writeEntities(
    {
      view: view.name,
      version: view.version,
      features: view.ir.features.map((f) => f.name),
      ttlMs: 86_400_000,
    },
    writes,
    Date.now(),
  );
}
await store.register('view', view.name, view.version, view.ir, true);
await store.close();
console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

/** Extra Node.js flags for the server process (experiments: GC settings, profiling). */
const SERVER_FLAGS = (process.env.FS_BENCH_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '');
const port = await freePort();
const server: ChildProcess = spawn(
  process.execPath,
  [
    ...SERVER_FLAGS,
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--topologies',
    topology,
    '--no-push',
  ],
  {
    cwd: REPO,
    env: { ...process.env, REDIS_URL: redisUrl, KAFKA_BROKERS: '', FS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/readyz`)).status === 200) break;
  } catch {
    // not up yet
  }
  if (i > 200) throw new Error('serve did not start');
  await new Promise((r) => setTimeout(r, 100));
}

interface Run {
  measured: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  p999: number;
}

function load(
  target: 'http' | 'redis',
  mode: 'open' | 'closed',
  rate: number,
  batch: number,
  concurrency: number,
  service?: string,
): Promise<Run> {
  const opts = {
    service,
    target,
    mode,
    rate,
    batch,
    concurrency,
    durationS: DURATION,
    warmupS: WARMUP,
    url: target === 'http' ? base : redisUrl,
    view: view.name,
    version: view.version,
    entities: ENTITIES,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'bench/load-generator.ts'), JSON.stringify(opts)],
      { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Run)
        : reject(new Error(`load generator exited ${code ?? -1}`)),
    );
  });
}

const rows: { name: string; api: Run; redis: Run }[] = [];
/** Runs a scenario (API, then its direct-Redis floor) unless `--only` leaves it out. */
const scenario = async (
  name: string,
  api: () => Promise<Run>,
  redis: () => Promise<Run>,
): Promise<void> => {
  if (!name.includes(values.only)) return;
  show(name, await api(), await redis());
};
const show = (name: string, api: Run, redis: Run): void => {
  rows.push({ name, api, redis });
  const f = (n: number): string => n.toFixed(3).padStart(8);
  console.log(
    `${name.padEnd(26)} api  ${Math.round(api.rps).toString().padStart(6)} req/s p50 ${f(api.p50)} p99 ${f(api.p99)} p99.9 ${f(api.p999)} ms  err ${api.errors}` +
      ` | redis ${Math.round(redis.rps).toString().padStart(6)} req/s p50 ${f(redis.p50)} p99 ${f(redis.p99)} p99.9 ${f(redis.p999)} ms  | p99 ratio ${(api.p99 / redis.p99).toFixed(2)}`,
  );
};

try {
  await scenario(
    'single, closed loop ×32',
    () => load('http', 'closed', 0, 1, 32),
    () => load('redis', 'closed', 0, 1, 32),
  );
  for (const rate of [1_000, 5_000, 10_000]) {
    await scenario(
      `single, ${rate / 1000}k req/s`,
      () => load('http', 'open', rate, 1, 64),
      () => load('redis', 'open', rate, 1, 64),
    );
  }
  // A model asking for its vector (POST /v1/feature-services/bench_model, one entity row); its
  // floor is the same single HGETALL.
  await scenario(
    'service, closed loop ×32',
    () => load('http', 'closed', 0, 1, 32, 'bench_model'),
    () => load('redis', 'closed', 0, 1, 32),
  );
  await scenario(
    'service, 5k req/s',
    () => load('http', 'open', 5_000, 1, 64, 'bench_model'),
    () => load('redis', 'open', 5_000, 1, 64),
  );
  await scenario(
    'batch 100, closed loop ×8',
    () => load('http', 'closed', 0, 100, 8),
    () => load('redis', 'closed', 0, 100, 8),
  );
  await scenario(
    'batch 100, 100 req/s',
    () => load('http', 'open', 100, 100, 16),
    () => load('redis', 'open', 100, 100, 16),
  );
} finally {
  server.kill('SIGTERM');
  await services.stop();
}
const at10k = rows.find((r) => r.name === 'single, 10k req/s');
const batch = rows.find((r) => r.name === 'batch 100, 100 req/s');
console.log(
  JSON.stringify({
    bench: 'serving',
    single_p99_ms_at_10k: Number(at10k?.api.p99.toFixed(3)),
    batch100_p99_ms: Number(batch?.api.p99.toFixed(3)),
    redis_p99_ms_at_10k: Number(at10k?.redis.p99.toFixed(3)),
    ratio_to_redis: Number(((at10k?.api.p99 ?? NaN) / (at10k?.redis.p99 ?? NaN)).toFixed(2)),
  }),
);
process.exit(0);
