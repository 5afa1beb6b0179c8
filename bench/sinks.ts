/**
 * bench:sinks — the pipeline's two heaviest sink writes alone, on the data a worker produces for
 * the fraud view: batches of 24,000 generated card transactions (the size kafkajs hands the
 * engine when it is behind) go through the core, then each batch's
 * - online write: `RedisOnlineStore.writeEntities` of the entities it touched (values, state,
 *   fence) into a real Redis, with the Node and Redis CPU it cost;
 * - history insert: its history rows as the workers encode them (JSONCompactEachRow), into the
 *   embedded ClickHouse engine, as the engine inserts them.
 *
 *   npm run bench:sinks [-- --batches 6 --batch 24000 --cards 100000]
 *
 * Uses REDIS_URL when set (writing under a fresh view name, deleted at the end), else starts a
 * Redis with scripts/services.sh (test/setup/services.ts). Last line: one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openClickHouse } from '../src/adapters/clickhouse/clickhouse-history-store.js';
import {
  encodeHistoryCompact,
  historyInsertColumns,
} from '../src/adapters/clickhouse/compact-rows.js';
import { insertCompact } from '../src/adapters/clickhouse/compact-insert.js';
import {
  createFeaturesTable,
  featuresTable,
  quoteIdent,
} from '../src/adapters/clickhouse/tables.js';
import { partitionIndexKey, stateKey, vectorKey } from '../src/adapters/redis/keys.js';
import { RedisOnlineStore } from '../src/adapters/redis/redis-online-store.js';
import type { Scalar } from '../src/core/aggregation/aggregator.js';
import { ByteWriter } from '../src/core/encoding/bytes.js';
import { compileView } from '../src/core/topology/compile.js';
import { EventReader, READ_OK } from '../src/core/topology/event-reader.js';
import { STATE_ARENA_BYTES, appendEntity } from '../src/core/windowing/entity-state.js';
import { PartitionRuntime } from '../src/core/windowing/partition-runtime.js';
import { planView } from '../src/core/windowing/view-plan.js';
import { prng } from '../src/cli/demo/transaction-generator.js';
import type { EntityWrite, ViewKeyspace } from '../src/ports/online-store.js';
import { startServices } from '../test/setup/services.js';
import fraud from '../topologies/card-fraud.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '6' },
    batch: { type: 'string', default: '24000' },
    cards: { type: 'string', default: '100000' },
  },
});
const BATCHES = Number(values.batches);
const BATCH = Number(values.batch);
const CARDS = Number(values.cards);

const services = await startServices(['redis']);
const redisUrl = services.env.REDIS_URL ?? '';

// 1. The worker's output per batch: history text and entity writes (as the engine makes them).
// Built in a function so that the windowing state is garbage before the sinks are measured (the
// engine's main thread, which writes to the sinks, does not hold it either).
const view = compileView(fraud);
function workerOutput(): { history: Uint8Array; rows: number; writes: EntityWrite[] }[] {
  const plan = planView(view);
  const reader = new EventReader(view, plan.inputs);
  const rt = new PartitionRuntime(plan);
  const r = prng(7);
  const start = Date.UTC(2026, 0, 1);
  const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL'];
  const batches: { history: Uint8Array; rows: number; writes: EntityWrite[] }[] = [];
  let offset = 0;
  for (let b = 0; b < BATCHES; b++) {
    for (let i = 0; i < BATCH; i++, offset++) {
      const c = Math.floor(CARDS * r() ** 1.5);
      const row = {
        card_id: `card-${c}`,
        amount: Math.round(Math.exp(3 + r() * 2) * 100) / 100,
        merchant_id: `m-${(c * 13 + Math.floor(r() * 8)) % 50_000}`,
        country: COUNTRIES[c % COUNTRIES.length] ?? 'US',
        // 24k events per 5 minutes of event time, as a card-processor stream at 80 events/s.
        ts: start + Math.floor(offset * 12.5),
      };
      const inputs = new Array<Scalar | null>(plan.inputs.length);
      const t = reader.eventTime(row);
      if (reader.read(row, t, inputs) === READ_OK) rt.apply(reader.key, t, inputs, offset);
    }
    rt.advance();
    const rows = rt.takeRows();
    const arena = new ByteWriter(STATE_ARENA_BYTES);
    const writes = rt.takeDirty().map((s) => {
      const w: EntityWrite = {
        key: s.key,
        asOf: s.onlineAsOf,
        values: rt.onlineValues(s),
        state: s.stateDirty ? appendEntity(plan, s, arena) : null,
        isNew: !s.persisted,
        fence: s.fence,
        partition: 0,
      };
      s.stateDirty = false;
      s.persisted = true;
      return w;
    });
    batches.push({
      history: encodeHistoryCompact(view.ir, rows, Date.now()),
      rows: rows.length,
      writes,
    });
  }
  return batches;
}
const batches = workerOutput();
(globalThis as { gc?: () => void }).gc?.();
const avg = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
console.log(
  `bench:sinks — fraud view, ${BATCHES} batches of ${BATCH.toLocaleString('en-US')} events, ${CARDS.toLocaleString('en-US')} cards: ` +
    `${Math.round(avg(batches.map((b) => b.writes.length))).toLocaleString('en-US')} entity writes and ` +
    `${Math.round(avg(batches.map((b) => b.rows))).toLocaleString('en-US')} history rows (${(avg(batches.map((b) => b.history.length)) / 1e6).toFixed(1)} MB) per batch, node ${process.version}`,
);

// 2. Online writes into Redis.
const store = await RedisOnlineStore.connect(redisUrl);
const ks: ViewKeyspace = {
  view: `bench_sinks_${Date.now().toString(36)}`,
  version: view.version,
  features: view.ir.features.map((f) => f.name),
  ttlMs: 600_000,
};
const redisCpu = async (): Promise<number> => {
  const info = await store.redis.info('cpu');
  const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1] ?? 0);
  const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1] ?? 0);
  return (user + sys) * 1000;
};
const online = { ms: [] as number[], nodeCpuMs: [] as number[], redisCpuMs: [] as number[] };
for (const b of batches) {
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await store.writeEntities(ks, b.writes, Date.now());
  online.ms.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  online.nodeCpuMs.push((c.user + c.system) / 1000);
  online.redisCpuMs.push((await redisCpu()) - r0);
}
const perEntityUs = (ms: number): number =>
  (ms * 1000 * batches.length) / batches.reduce((n, b) => n + b.writes.length, 0);
console.log(
  `online write (Redis):        ${avg(online.ms).toFixed(0)} ms per batch (${perEntityUs(avg(online.ms)).toFixed(1)} µs per entity); ` +
    `CPU per batch: node ${avg(online.nodeCpuMs).toFixed(0)} ms, redis ${avg(online.redisCpuMs).toFixed(0)} ms`,
);
// Leave the Redis as it was (expiring keys would cost the next run's Redis CPU).
const written = new Set(batches.flatMap((b) => b.writes.map((w) => w.key)));
const doomed = [...written].flatMap((k) => [
  vectorKey(ks.view, ks.version, k),
  stateKey(ks.view, ks.version, k),
]);
doomed.push(partitionIndexKey(ks.view, ks.version, 0));
for (let i = 0; i < doomed.length; i += 1_000)
  await store.redis.unlink(...doomed.slice(i, i + 1_000));
await store.close();

// 3. History inserts into the embedded ClickHouse, as the engine makes them.
const ch = openClickHouse({
  path: join(mkdtempSync(join(tmpdir(), 'fs-bench-sinks-ch-')), 'data'),
  database: 'default',
});
await ch.command({ query: createFeaturesTable('default', view.ir) });
const table = `${quoteIdent('default')}.${quoteIdent(featuresTable(view.ir.name))}`;
const columns = historyInsertColumns(view.ir);
const history: number[] = [];
for (const b of batches) {
  const t0 = performance.now();
  await insertCompact(ch, table, columns, b.history);
  history.push(performance.now() - t0);
}
await ch.close();
console.log(`history insert (ClickHouse): ${avg(history).toFixed(0)} ms per batch`);
await services.stop();
console.log(
  JSON.stringify({
    bench: 'sinks',
    online_ms_per_batch: Math.round(avg(online.ms)),
    online_us_per_entity: Number(perEntityUs(avg(online.ms)).toFixed(1)),
    history_ms_per_batch: Math.round(avg(history)),
  }),
);
process.exit(0);
