/**
 * bench:pipeline — the whole engine on real services: ≥ 2M fraud events on a 6-partition topic,
 * consumed by `run`'s pipeline (worker threads, Redis, embedded ClickHouse) as fast as it goes;
 * in the same run, the ceiling: a bare kafkajs consumer that only counts the same messages.
 * Then, at half the engine's rate, live events (event time = now) measure freshness: Redis write
 * time − event time, p50/p99 — and where a batch's time goes meanwhile (worker, each sink).
 *
 *   npm run bench:pipeline [-- --events 2000000 --cards 100000 --freshness-seconds 30]
 *
 * Uses KAFKA_BROKERS / REDIS_URL when set, else starts both with scripts/services.sh.
 * Last line: one JSON object.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { codecFor } from '../src/adapters/codecs.js';
import { TransactionGenerator } from '../src/cli/demo/transaction-generator.js';
import { createEngine, openStores } from '../src/cli/engine-factory.js';
import { loadConfig } from '../src/config/config.js';
import type { EngineObserver } from '../src/engine/engine-events.js';
import { loadViews } from '../src/engine/topology-loader.js';
import { silentLogger } from '../src/ports/logger.js';
import { startServices } from '../test/setup/services.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    cards: { type: 'string', default: '100000' },
    'freshness-seconds': { type: 'string', default: '30' },
    workers: { type: 'string', default: '2' },
  },
});
const EVENTS = Number(values.events);
const CARDS = Number(values.cards);
const FRESH_S = Number(values['freshness-seconds']);
const REPO = fileURLToPath(new URL('../', import.meta.url));
const TOPOLOGY = join(REPO, 'topologies/card-fraud.ts');

const services = await startServices(['kafka', 'redis']);
const brokers = services.env.KAFKA_BROKERS ?? '';
const redisUrl = services.env.REDIS_URL ?? '';
const kafka = new Kafka({
  clientId: 'bench',
  brokers: brokers.split(','),
  logLevel: logLevel.NOTHING,
});

const [view] = await loadViews([TOPOLOGY]);
if (view === undefined) throw new Error('no view');
const topic = `bench_tx_${Date.now().toString(36)}`;
const codec = codecFor({ ...view.ir.source, topic });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
  waitForLeaders: true,
});
await admin.disconnect();

console.log(
  `bench:pipeline — ${EVENTS.toLocaleString('en-US')} events, ${CARDS.toLocaleString('en-US')} cards, topic ${topic} (6 partitions), ${values.workers} worker threads, node ${process.version}`,
);
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const gen = new TransactionGenerator({ cards: CARDS, seed: 3 });
const enc = new TextEncoder();
const start = Date.now() - 3_600_000;
let t0 = performance.now();
for (let i = 0; i < EVENTS; i += 5_000) {
  const messages = [];
  for (let j = i; j < Math.min(EVENTS, i + 5_000); j++) {
    const row = gen.next(start + Math.floor((j / EVENTS) * 3_600_000));
    messages.push({
      key: Buffer.from(enc.encode(String(row.card_id))),
      value: Buffer.from(codec.encode(row)),
    });
  }
  await producer.send({ topic, messages, acks: 1 });
}
console.log(`produced in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// Ceiling: a bare consumer that only counts.
const bare = kafka.consumer({
  groupId: `bench-bare-${topic}`,
  maxBytesPerPartition: 4 * 1024 * 1024,
});
await bare.connect();
await bare.subscribe({ topic, fromBeginning: true });
let counted = 0;
let bareStart = 0;
let bareFirst = 0;
await new Promise<void>((resolve) => {
  void bare.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      counted += batch.messages.length;
      if (bareStart === 0) {
        // Rates count from the end of the first batch (group join and first fetch excluded).
        bareStart = performance.now();
        bareFirst = counted;
      }
      if (counted >= EVENTS) resolve();
      await Promise.resolve();
    },
  });
});
const ceiling = (EVENTS - bareFirst) / ((performance.now() - bareStart) / 1000);
await bare.disconnect();
console.log(`bare kafkajs consumer: ${Math.round(ceiling).toLocaleString('en-US')} events/s`);

// The engine, replaying the same topic into Redis and the embedded ClickHouse.
const config = loadConfig({
  KAFKA_BROKERS: brokers,
  REDIS_URL: redisUrl,
  CLICKHOUSE_PATH: join(mkdtempSync(join(tmpdir(), 'fs-bench-ch-')), 'data'),
  FS_GROUP_ID: `bench-engine-${topic}`,
  FS_WORKERS: values.workers,
});
const stores = await openStores(config);
const { writeFileSync } = await import('node:fs');
const topoDir = mkdtempSync(join(tmpdir(), 'fs-bench-topo-'));

/** The fraud view (same features, same code) pointed at `t` under another name. */
function benchTopology(name: string, t: string): string {
  const file = join(topoDir, `${name}.mts`);
  writeFileSync(
    file,
    `import base from ${JSON.stringify(TOPOLOGY)};\nexport default { ...base, name: ${JSON.stringify(name)}, source: { ...base.source, topic: ${JSON.stringify(t)}, name: ${JSON.stringify(`${name}_tx`)} } };\n`,
  );
  return file;
}

/** Per partition batch: its records, worker time and each sink's flush (ms). */
type Sink = Parameters<NonNullable<EngineObserver['flush']>>[0]['sink'];
type Stages = Record<'records' | 'worker' | Sink, number[]>;
const newStages = (): Stages => ({
  records: [],
  worker: [],
  archive: [],
  history: [],
  deadletter: [],
  online: [],
});
const quantile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN);
};
/** "records 195/357, worker 24/147 ms, …" (p50/p99 of each stage that ran). */
const stageSplit = (stages: Stages): string =>
  Object.entries(stages)
    .filter(([, v]) => v.length > 0)
    .map(([k, v]) => `${k} ${quantile(v, 0.5)}/${quantile(v, 0.99)}${k === 'records' ? '' : ' ms'}`)
    .join(', ');

// 1. Throughput: the engine replays the produced topic into Redis and the embedded ClickHouse.
let records = 0;
let firstAt = 0;
let firstRecords = 0;
const busiest = newStages();
const engine = createEngine(config, stores, [benchTopology('bench_fraud', topic)], silentLogger, {
  wallClockIdle: false,
  observer: {
    batch: (e) => {
      records += e.counters.records;
      if (firstAt === 0) {
        firstAt = performance.now();
        firstRecords = records;
      }
      busiest.records.push(e.counters.records);
      busiest.worker.push(e.processMs);
    },
    flush: (e) => {
      busiest[e.sink].push(e.ms);
    },
  },
});
t0 = performance.now();
await engine.pipeline.start();
while (records < EVENTS) await new Promise((r) => setTimeout(r, 50));
const engineRate = (EVENTS - firstRecords) / ((performance.now() - firstAt) / 1000);
console.log(
  `engine (Redis + embedded ClickHouse): ${Math.round(engineRate).toLocaleString('en-US')} events/s — ${(engineRate / ceiling).toFixed(3)} of the ceiling`,
);
console.log(
  `per batch (${busiest.records.length.toLocaleString('en-US')} batches, p50/p99; a partition's batches run one after another, sinks after the worker, the online write last): ${stageSplit(busiest)}`,
);
await engine.stop();

// 2. Freshness at half that rate: live events (event time = now) on a fresh topic, a fresh
// engine, 10 s of warm-up, then FRESH_S seconds measured. A sample is the Redis write of a live
// event's own values: write time − its event time (decay writes, whose as-of is a tile
// boundary, are not event→Redis latencies and are left out).
const liveTopic = `${topic}_live`;
const liveAdmin = kafka.admin();
await liveAdmin.connect();
await liveAdmin.createTopics({
  topics: [{ topic: liveTopic, numPartitions: 6, replicationFactor: 1 }],
  waitForLeaders: true,
});
await liveAdmin.disconnect();
const rate = Math.max(100, Math.floor(engineRate / 2));
const liveTimes = new Set<number>();
const freshness: number[] = [];
const stages = newStages();
let measuring = false;
const live = createEngine(
  { ...config, groupId: `${config.groupId}-live` },
  stores,
  [benchTopology('bench_fraud_live', liveTopic)],
  silentLogger,
  {
    wallClockIdle: false,
    observer: {
      written: (e) => {
        if (measuring && liveTimes.has(e.asOf)) freshness.push(e.writtenAt - e.asOf);
      },
      batch: (e) => {
        if (!measuring) return;
        stages.records.push(e.counters.records);
        stages.worker.push(e.processMs);
      },
      flush: (e) => {
        if (measuring) stages[e.sink].push(e.ms);
      },
    },
  },
);
await live.pipeline.start();

async function sendLive(seconds: number, record: boolean): Promise<number> {
  const until = performance.now() + seconds * 1000;
  const began = performance.now();
  let sent = 0;
  while (performance.now() < until) {
    const due = Math.floor(((performance.now() - began) / 1000) * rate) - sent;
    if (due > 0) {
      const messages = [];
      for (let k = 0; k < due; k++) {
        const row = gen.next(Date.now());
        if (record) liveTimes.add(Number(row.ts));
        messages.push({
          key: Buffer.from(enc.encode(String(row.card_id))),
          value: Buffer.from(codec.encode(row)),
        });
      }
      sent += due;
      await producer.send({ topic: liveTopic, messages, acks: 1 });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return sent;
}
await sendLive(10, false);
measuring = true;
const liveSent = await sendLive(FRESH_S, true);
await new Promise((r) => setTimeout(r, 5_000));
measuring = false;
const pct = (p: number): number => quantile(freshness, p);
console.log(
  `freshness at ${rate.toLocaleString('en-US')} events/s for ${FRESH_S} s (after 10 s warm-up): p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (${freshness.length.toLocaleString('en-US')} writes of ${liveSent.toLocaleString('en-US')} live events)`,
);
console.log(
  `per batch meanwhile (${stages.records.length.toLocaleString('en-US')} batches, p50/p99): ${stageSplit(stages)}`,
);
await producer.disconnect();
await live.stop();
await stores.close();
await services.stop();
console.log(
  JSON.stringify({
    bench: 'pipeline',
    engine_events_per_s: Math.round(engineRate),
    ceiling_events_per_s: Math.round(ceiling),
    ratio: Number((engineRate / ceiling).toFixed(3)),
    freshness_p50_ms: pct(0.5),
    freshness_p99_ms: pct(0.99),
  }),
);
process.exit(0);
