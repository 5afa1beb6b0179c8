/**
 * bench:offline — the offline store at scale on the embedded engine (a fresh temp path):
 *
 * 1. history: ≥ 50M rows of a 20-feature card_fraud-shaped view (bench/offline-topology.ts),
 *    generated inside ClickHouse with INSERT … SELECT FROM numbers();
 * 2. a training set of 10M labels × those 20 features through the training-set API
 *    (src/offline/training-set.ts, point-in-time join inside ClickHouse);
 * 3. a backfill of ≥ 10M archived events (events_transactions generated with numbers(), shaped
 *    like a stream's archive: 4 partitions, sequential offsets, out-of-order and late events)
 *    through the real backfill code (worker threads, topologies/card-fraud.ts).
 *
 *   npm run bench:offline [-- --label-rows 10000000 --history-rows 50000000 --events 10000000]
 *
 * Before the training set it waits for the history's background merges (a history that
 * accumulated over time is merged; a bulk load is not): --no-settle measures with them running.
 *
 * Quick run: npm run bench:offline -- --label-rows 100000 --history-rows 1000000 --events 200000
 * Last line: one JSON object {"bench":"offline","training_set_s","label_rows","backfill_events_per_s",…}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseHistoryStore } from '../src/adapters/clickhouse/clickhouse-history-store.js';
import { ClickHouseOfflineSql } from '../src/adapters/clickhouse/clickhouse-offline-sql.js';
import { featuresTable } from '../src/adapters/clickhouse/tables.js';
import { BackfillProgressBar, backfillWithConfig } from '../src/cli/commands/backfill.js';
import { loadConfig } from '../src/config/config.js';
import { compileView } from '../src/core/topology/compile.js';
import { loadViews } from '../src/engine/topology-loader.js';
import { buildTrainingSet } from '../src/offline/training-set.js';
import { silentLogger } from '../src/ports/logger.js';
import benchView from './offline-topology.js';

const { values } = parseArgs({
  options: {
    'label-rows': { type: 'string', default: '10000000' },
    'history-rows': { type: 'string', default: '50000000' },
    events: { type: 'string', default: '10000000' },
    cards: { type: 'string', default: '1000000' },
    'event-cards': { type: 'string', default: '100000' },
    workers: { type: 'string' },
    path: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-training-set': { type: 'boolean', default: false },
    'skip-backfill': { type: 'boolean', default: false },
    'no-settle': { type: 'boolean', default: false },
  },
});
const LABELS = Number(values['label-rows']);
const HISTORY = Number(values['history-rows']);
const EVENTS = Number(values.events);
const CARDS = Number(values.cards);
const EVENT_CARDS = Math.max(4, Math.floor(Number(values['event-cards']) / 4) * 4);
const PARTITIONS = 4;
const DB = 'bench';
const BASE = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const log = (s: string): void => void process.stderr.write(`${s}\n`);
async function timed<T>(what: string, fn: () => Promise<T>): Promise<{ value: T; s: number }> {
  const t0 = performance.now();
  log(`${what}…`);
  const value = await fn();
  const s = (performance.now() - t0) / 1000;
  log(`${what}: ${s.toFixed(1)} s`);
  return { value, s };
}

const path = values.path ?? join(mkdtempSync(join(tmpdir(), 'fs-bench-offline-')), 'clickhouse');
log(`bench:offline — embedded ClickHouse at ${path}`);
const store = await ClickHouseHistoryStore.open({ path, database: DB });
const view = compileView(benchView);
const table = `${DB}.${featuresTable(view.name)}`;
const result: Record<string, number | string | null> = {
  bench: 'offline',
  training_set_s: null,
  label_rows: LABELS,
  backfill_events_per_s: null,
};

/** A deterministic value expression of ClickHouse type `type` for column number `i`. */
function valueExpr(type: string, i: number): string {
  const h = `cityHash64(number, ${i})`;
  const nullable = type.startsWith('Nullable(');
  const base = nullable ? type.slice('Nullable('.length, -1) : type;
  const v =
    base === 'Int64'
      ? `toInt64(${h} % 50)`
      : base === 'Float64'
        ? `(${h} % 1000000) / 100`
        : base === 'String'
          ? `['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'NL', 'BR'][1 + ${h} % 8]`
          : base === 'Bool'
            ? `${h} % 2 = 1`
            : `fromUnixTimestamp64Milli(toInt64(${BASE} + ${h} % ${50 * HOUR}), 'UTC')`;
  return nullable ? `if(${h} % 10 = 0, NULL, ${v})` : v;
}

try {
  // 1. History: HISTORY rows over CARDS cards, one row per card per hour step (jittered).
  const steps = Math.max(1, Math.ceil(HISTORY / CARDS));
  await store.ensureView(view.ir);
  const columns = await store.query<{ name: string; type: string }>(
    `SELECT name, type FROM system.columns WHERE database = '${DB}' AND table = '${featuresTable(view.name)}' ORDER BY position`,
  );
  const features = columns.filter(
    (c) => !['card_id', 'version', 'as_of', '_written_at'].includes(c.name),
  );
  const gen = await timed(
    `history: ${fmt(HISTORY)} rows × ${features.length} features`,
    async () => {
      const chunk = 5_000_000;
      for (let start = 0; start < HISTORY; start += chunk) {
        const n = Math.min(chunk, HISTORY - start);
        await store.raw.command({
          query: `INSERT INTO ${table} (card_id, version, as_of, ${features.map((f) => `\`${f.name}\``).join(', ')}, _written_at)
SELECT concat('card-', leftPad(toString(number % ${CARDS}), 7, '0')), '${view.version}',
  fromUnixTimestamp64Milli(toInt64(${BASE} + intDiv(number, ${CARDS}) * ${HOUR} + cityHash64(number) % ${HOUR}), 'UTC'),
  ${features.map((f, i) => valueExpr(f.type, i)).join(',\n  ')},
  now64(3)
FROM numbers(${start}, ${n})`,
        });
      }
    },
  );
  result.history_rows = HISTORY;
  result.history_generate_s = Number(gen.s.toFixed(1));
  // A history normally accumulates over days and its parts are merged long before a training
  // set reads it; the bulk load above (ten 5M-row inserts) leaves parts merging in the background on the same
  // cores. Wait for those merges (--no-settle: measure at once, with them running).
  if (!values['no-settle']) {
    const settle = await timed('history: waiting for background merges', async () => {
      const where = `database = '${DB}' AND table = '${featuresTable(view.name)}'`;
      // Quiet for 5 polls in a row: the merge selector schedules the next level a moment later.
      for (let quiet = 0; quiet < 5;) {
        const [m] = await store.query<{ n: number }>(
          `SELECT toUInt32(count()) AS n FROM system.merges WHERE ${where}`,
        );
        quiet = Number(m?.n ?? 0) === 0 ? quiet + 1 : 0;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      const [p] = await store.query<{ n: number }>(
        `SELECT toUInt32(count()) AS n FROM system.parts WHERE active AND ${where}`,
      );
      return Number(p?.n ?? 0);
    });
    log(`  ${settle.value} active parts`);
    result.history_settle_s = Number(settle.s.toFixed(1));
    result.history_parts = settle.value;
  }

  // 2. Labels and the training set.
  await store.raw.command({ query: `DROP TABLE IF EXISTS ${DB}.labels` });
  await store.raw.command({
    query: `CREATE TABLE ${DB}.labels (card_id String, ts DateTime64(3, 'UTC'), is_fraud UInt8) ENGINE = MergeTree ORDER BY tuple()`,
  });
  await timed(`labels: ${fmt(LABELS)} rows`, () =>
    store.raw.command({
      query: `INSERT INTO ${DB}.labels
SELECT concat('card-', leftPad(toString(cityHash64(number, 'card') % ${CARDS}), 7, '0')),
  fromUnixTimestamp64Milli(toInt64(${BASE} + cityHash64(number, 'ts') % ${steps * HOUR}), 'UTC'),
  cityHash64(number) % 100 = 0
FROM numbers(${LABELS})`,
    }),
  );
  if (!values['skip-training-set']) {
    const sql = await ClickHouseOfflineSql.open({ path, database: DB });
    try {
      const ts = await timed(
        `training set: ${fmt(LABELS)} labels × 20 features (training-set API)`,
        () =>
          buildTrainingSet(sql, {
            topologies: { views: [view], services: [] },
            features: [`${view.name}:*`],
            labels: `${DB}.labels`,
            out: `${DB}.training_set`,
            overwrite: true,
          }),
      );
      result.training_set_s = Number(ts.s.toFixed(1));
      result.training_set_rows = ts.value.rows;
      log(
        `  ${fmt(ts.value.rows)} rows; phases: ${ts.value.phases.map((p) => `${p.phase} ${(p.ms / 1000).toFixed(1)} s`).join(', ')}`,
      );
    } finally {
      await sql.close();
    }
  }

  // 3. Backfill: an archive of EVENTS events, then the real backfill of card_fraud.
  if (!values['skip-backfill']) {
    const [fraud] = await loadViews(['topologies/card-fraud.ts']);
    if (fraud === undefined) throw new Error('topologies/card-fraud.ts has no view');
    const source = fraud.ir.source;
    await store.ensureSource(source);
    await timed(
      `archive: ${fmt(EVENTS)} events of '${source.name}' in ${PARTITIONS} partitions`,
      async () => {
        const chunk = 5_000_000;
        for (let start = 0; start < EVENTS; start += chunk) {
          const n = Math.min(chunk, EVENTS - start);
          // Partition = number % 4 (the card's partition), offsets sequential per partition;
          // 10% of events out of order within the 5 s lateness, 0.2% late.
          await store.raw.command({
            query: `INSERT INTO ${DB}.events_${source.name}
SELECT txn_id, card_id, customer_id, amount, merchant_id, country, ts, ts AS event_time,
  'transactions', _partition, _offset, 0, now64(3)
FROM (
  SELECT number,
    toString(number) AS txn_id,
    number % ${PARTITIONS} + ${PARTITIONS} * (cityHash64(number, 'card') % ${EVENT_CARDS / PARTITIONS}) AS card,
    concat('card-', leftPad(toString(card), 7, '0')) AS card_id,
    concat('cust-', toString(card % 50000)) AS customer_id,
    (cityHash64(number, 'amount') % 50000) / 100 AS amount,
    concat('m', toString(cityHash64(number, 'merchant') % 2000)) AS merchant_id,
    ['US', 'GB', 'DE', 'FR', 'ES'][1 + cityHash64(number, 'country') % 5] AS country,
    cityHash64(number, 'jitter') % 1000 AS j,
    fromUnixTimestamp64Milli(toInt64(${BASE} + number * 20
      - multiIf(j < 2, 6000 + cityHash64(number, 'late') % 5000, j < 100, cityHash64(number, 'ooo') % 4000, 0)), 'UTC') AS ts,
    number % ${PARTITIONS} AS _partition,
    intDiv(number, ${PARTITIONS}) AS _offset
  FROM numbers(${start}, ${n})
)`,
          });
        }
      },
    );
    const workers = values.workers ?? process.env.FS_WORKERS ?? '0';
    const bar = new BackfillProgressBar();
    const bf = await timed(`backfill: card_fraud over ${fmt(EVENTS)} archived events`, () =>
      backfillWithConfig(
        loadConfig({ CLICKHOUSE_PATH: path, CLICKHOUSE_DATABASE: DB, FS_WORKERS: workers }),
        {
          view: fraud.name,
          topologies: ['topologies/card-fraud.ts'],
          logger: silentLogger,
          restart: true,
          onProgress: (p) => bar.update(p),
        },
      ),
    );
    bar.end();
    const r = bf.value;
    const late = r.partitions.reduce((n, p) => n + p.late, 0);
    log(
      `  ${fmt(r.events)} events (${fmt(late)} late) → ${fmt(r.historyRows)} history rows in ${r.seconds.toFixed(1)} s = ${fmt(r.events / r.seconds)} events/s with ${loadConfig({ FS_WORKERS: workers }).workers} worker thread(s)`,
    );
    const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const t = r.timings;
    log(
      `  summed over partitions: archive reads ${sec(t.readMs)}, worker threads busy ${sec(t.processMs)}, history inserts ${sec(t.writeMs)} (overlapping); the partition loops waited ${sec(t.waitReadMs)} for pages, ${sec(t.waitWorkerMs)} for threads, ${sec(t.waitWriteMs)} for inserts`,
    );
    result.backfill_events = r.events;
    result.backfill_s = Number(r.seconds.toFixed(1));
    result.backfill_events_per_s = Math.round(r.events / r.seconds);
    result.backfill_history_rows = r.historyRows;
    result.backfill_read_s = Number((r.timings.readMs / 1000).toFixed(1));
    result.backfill_process_s = Number((r.timings.processMs / 1000).toFixed(1));
    result.backfill_write_s = Number((r.timings.writeMs / 1000).toFixed(1));
    result.backfill_wait_read_s = Number((r.timings.waitReadMs / 1000).toFixed(1));
    result.backfill_wait_worker_s = Number((r.timings.waitWorkerMs / 1000).toFixed(1));
    result.backfill_wait_write_s = Number((r.timings.waitWriteMs / 1000).toFixed(1));
  }
} finally {
  await store.close();
  if (!values.keep && values.path === undefined)
    rmSync(join(path, '..'), { recursive: true, force: true });
}
console.log(JSON.stringify(result));
