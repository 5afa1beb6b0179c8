/**
 * bench:core — the aggregation core on one thread, no I/O: the fraud topology over generated
 * card transactions (≥ 5M events, ≥ 100k cards), as the engine's worker runs it: read (key,
 * time, inputs) → apply → settle to the watermark (history rows) → online values and state
 * bytes of the entities touched, every batch of 2,000 events.
 *
 *   npm run bench:core [-- --events 5000000 --cards 100000 --span 1h --batch 2000 --views algebraic,full]
 *
 * Prints events/s and ns/event for the algebraic features alone and for the full topology
 * (with sketches), heap growth (JS heap plus ArrayBuffers) and what it comes to per entity in
 * memory, encoded state bytes per entity, and the share of the time spent
 * applying events, settling (history rows), computing online values and persisting state.
 * Last line: one JSON object.
 */
import { parseArgs } from 'node:util';
import type { Scalar } from '../src/core/aggregation/aggregator.js';
import { compileView } from '../src/core/topology/compile.js';
import type { CompiledView, Row } from '../src/core/topology/compile.js';
import { EventReader, READ_OK } from '../src/core/topology/event-reader.js';
import { ByteWriter } from '../src/core/encoding/bytes.js';
import { STATE_ARENA_BYTES } from '../src/core/windowing/entity-state.js';
import { createRuntime, runtimeKind } from '../src/core/windowing/create-runtime.js';
import { planView } from '../src/core/windowing/view-plan.js';
import { toMillis } from '../src/core/time/duration.js';
import type { Duration } from '../src/core/time/duration.js';
import { prng } from '../src/cli/demo/transaction-generator.js';
import fraud from '../topologies/card-fraud.js';
import { fraudAlgebraic } from './fraud-algebraic.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000000' },
    cards: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '2000' },
    span: { type: 'string', default: '1h' },
    /** Which views to run (an A/B of one view takes half the time). */
    views: { type: 'string', default: 'algebraic,full' },
    /** Which view runtime: auto (as the engine: records), object, record. */
    runtime: { type: 'string', default: 'auto' },
  },
});
const RUNTIME = runtimeKind(values.runtime);
const VIEWS = new Set(values.views.split(','));
for (const v of VIEWS) {
  if (v !== 'algebraic' && v !== 'full')
    throw new Error(`--views: unknown view '${v}' (algebraic, full)`);
}
const EVENTS = Number(values.events);
const CARDS = Number(values.cards);
const BATCH = Number(values.batch);
const CHUNK = 200_000;
const SPAN_MS = toMillis(values.span as Duration, '--span');

const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'IT', 'CA', 'BR', 'IN'];

/**
 * Events in chunks: 100k+ cards with a skewed (Zipf-like) activity, event time advancing `--span`
 * (default 1 h) over the whole run, 2% arriving up to 3 s late. With the default span the 1m/5m/1h
 * windows slide but the 24h and 7d windows only fill; `--span 10d` makes them slide too (the
 * steady state of a long-running stream: tiles leave every window, sketches expire them).
 */
function* chunks(seed: number): Generator<Row[]> {
  const r = prng(seed);
  const spanMs = SPAN_MS;
  const start = Date.UTC(2026, 0, 1);
  const merchantsPerCard = 8;
  for (let done = 0; done < EVENTS; done += CHUNK) {
    const n = Math.min(CHUNK, EVENTS - done);
    const rows: Row[] = new Array<Row>(n);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      const c = Math.floor(CARDS * r() ** 1.5);
      let ts = start + Math.floor((k / EVENTS) * spanMs);
      if (r() < 0.02) ts -= Math.floor(r() * 3_000);
      rows[i] = {
        card_id: `card-${c}`,
        amount: Math.round(Math.exp(3 + r() * 2) * 100) / 100,
        merchant_id: `m-${(c * 13 + Math.floor(r() * merchantsPerCard)) % 50_000}`,
        country: COUNTRIES[c % COUNTRIES.length] ?? 'US',
        ts,
      };
    }
    yield rows;
  }
}

interface Result {
  /** Share of the measured time per phase: apply events, settle (history rows), online writes (values and state bytes). */
  phases: Record<'apply' | 'settle' | 'writes', number>;
  runtime: string;
  eventsPerS: number;
  nsPerEvent: number;
  historyRows: number;
  onlineWrites: number;
  entities: number;
  stateBytesPerEntity: number;
  heapGrowthMb: number;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The JS heap plus ArrayBuffer memory (tile slabs live outside the JS heap). */
function heapAndBuffers(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function run(view: CompiledView): Result {
  const plan = planView(view);
  const reader = new EventReader(view, plan.inputs);
  const rt = createRuntime(plan, RUNTIME);
  gc();
  const heapBefore = heapAndBuffers();
  let ns = 0n;
  let rows = 0;
  let writes = 0;
  let offset = 0;
  const phases = { apply: 0n, settle: 0n, writes: 0n };
  for (const chunk of chunks(1)) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < chunk.length; b += BATCH) {
      const end = Math.min(chunk.length, b + BATCH);
      const p0 = process.hrtime.bigint();
      for (let i = b; i < end; i++) {
        const row = chunk[i] as Row;
        const inputs = new Array<Scalar | null>(plan.inputs.length);
        const t = reader.eventTime(row);
        if (reader.read(row, t, inputs) === READ_OK) rt.apply(reader.key, t, inputs, offset);
        offset++;
      }
      const p1 = process.hrtime.bigint();
      rt.advance();
      rows += rt.takeRows().length;
      const p2 = process.hrtime.bigint();
      writes += rt.takeWrites(new ByteWriter(STATE_ARENA_BYTES)).length;
      phases.apply += p1 - p0;
      phases.settle += p2 - p1;
      phases.writes += process.hrtime.bigint() - p2;
    }
    ns += process.hrtime.bigint() - t0;
  }
  gc();
  const heapAfter = heapAndBuffers();
  let total = 0;
  const keys = rt.entityKeys();
  const w = new ByteWriter();
  for (const key of keys) {
    w.reset();
    total += rt.snapshotWrite(key, w).state?.length ?? 0;
  }
  const seconds = Number(ns) / 1e9;
  return {
    phases: Object.fromEntries(
      Object.entries(phases).map(([k, v]) => [k, Number(v) / Number(ns)]),
    ) as Record<keyof typeof phases, number>,
    eventsPerS: EVENTS / seconds,
    nsPerEvent: Number(ns) / EVENTS,
    historyRows: rows,
    onlineWrites: writes,
    entities: keys.length,
    stateBytesPerEntity: total / keys.length,
    runtime: rt.constructor.name,
    heapGrowthMb: (heapAfter - heapBefore) / 1e6,
  };
}

function report(name: string, r: Result): void {
  console.log(
    `${name.padEnd(10)} ${Math.round(r.eventsPerS).toLocaleString('en-US').padStart(10)} events/s  ${r.nsPerEvent.toFixed(0).padStart(5)} ns/event  ` +
      `${r.historyRows.toLocaleString('en-US')} history rows  ${r.onlineWrites.toLocaleString('en-US')} online writes  ` +
      `${r.entities.toLocaleString('en-US')} cards  ${r.runtime}  ${r.stateBytesPerEntity.toFixed(0)} B state/card  heap+buffers +${r.heapGrowthMb.toFixed(0)} MB (${((r.heapGrowthMb * 1e6) / r.entities).toFixed(0)} B in memory/card)`,
  );
  console.log(
    `${''.padEnd(10)} time: ${Object.entries(r.phases)
      .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
      .join(', ')}`,
  );
}

console.log(
  `bench:core — ${EVENTS.toLocaleString('en-US')} events, ${CARDS.toLocaleString('en-US')} cards, batches of ${BATCH}, node ${process.version}, one thread`,
);
const alg = VIEWS.has('algebraic') ? run(compileView(fraudAlgebraic)) : undefined;
if (alg !== undefined) report('algebraic', alg);
const full = VIEWS.has('full') ? run(compileView(fraud)) : undefined;
if (full !== undefined) report('full', full);
const rounded = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n));
console.log(
  JSON.stringify({
    bench: 'core',
    algebraic_events_per_s: rounded(alg?.eventsPerS),
    full_events_per_s: rounded(full?.eventsPerS),
    state_bytes_per_entity: rounded(full?.stateBytesPerEntity),
    memory_bytes_per_entity: rounded(
      full === undefined ? undefined : (full.heapGrowthMb * 1e6) / full.entities,
    ),
  }),
);
