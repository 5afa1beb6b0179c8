import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureValue, Scalar } from '../../../src/core/aggregation/aggregator.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { entity } from '../../../src/core/topology/entity.js';
import { featureView } from '../../../src/core/topology/feature-view.js';
import { field } from '../../../src/core/topology/schema.js';
import { source } from '../../../src/core/topology/source.js';
import { EventReader, READ_OK } from '../../../src/core/topology/event-reader.js';
import { ByteWriter } from '../../../src/core/encoding/bytes.js';
import { createRuntime } from '../../../src/core/windowing/create-runtime.js';
import type { RuntimeKind } from '../../../src/core/windowing/create-runtime.js';
import { LATE, REPLAYED } from '../../../src/core/windowing/partition-runtime.js';
import type { ApplyResult } from '../../../src/core/windowing/partition-runtime.js';
import type { HistoryRow } from '../../../src/core/windowing/partition-runtime.js';
import { planView } from '../../../src/core/windowing/view-plan.js';
import type { ViewPlan } from '../../../src/core/windowing/view-plan.js';
import type { ViewRuntime } from '../../../src/core/windowing/view-runtime.js';
import type { CompiledView } from '../../../src/core/topology/compile.js';
import { diffValues, expectedResults } from '../../support/expected.js';

const LATENESS = 3_000;
const fullDef = featureView('oracle_view', {
  entity: entity('k', { keys: ['k'] }),
  source: source('ev', {
    schema: {
      k: field.string(),
      p: field.int(),
      n: field.long(),
      x: field.double().optional(),
      m: field.string(),
      ts: field.timestamp(),
    },
    eventTime: 'ts',
    key: ['k'],
  }),
  allowedLateness: LATENESS,
  features: (f) => ({
    c_10s: f.count().over('10s'),
    c_1m: f.count().over('1m', { tile: '5s' }),
    n_sum_30s: f.sum('n').over('30s'),
    x_sum_20s: f.sum('x').over('20s', { tile: '5s' }),
    x_mean_1m: f.mean('x').over('1m'),
    x_sum_1m: f.sum('x').over('1m'),
    n_mean_15s: f.mean('n').over('15s'),
    x_max_30s: f.max('x').over('30s'),
    x_min_10s: f.min('x').over('10s'),
    x_var_1m: f.variance('x').over('1m'),
    x_std_1m: f.stddev('x').over('1m'),
    x_std_20s: f.stddev('x').over('20s'),
    m_distinct_1m: f.distinctCount('m').over('1m'),
    x_p90_1m: f.quantile('x', 0.9).over('1m'),
    m_first_30s: f.first('m').over('30s'),
    m_last_30s: f.last('m').over('30s'),
    m_last3_20s: f.lastN('m', 3).over('20s'),
    c_tumble_10s: f.count().every('10s'),
    x_sum_tumble_5s: f.sum('x').every('5s'),
    x_mean_tumble_5s: f.mean('x').every('5s'),
    c_life: f.count().lifetime(),
    m_last_life: f.last('m').lifetime(),
    gap_life: f
      .lastN(f.eventTime, 2)
      .lifetime()
      .map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
  }),
});
const fullView = compileView(fullDef);

interface Ev {
  partition: number;
  k: string;
  ts: number;
  n: number;
  x: number | null;
  m: string;
}

/** Event streams: mostly advancing time, jitter within and beyond lateness, gaps, boundaries. */
const streamArb = fc
  .array(
    fc.record({
      k: fc.constantFrom('a', 'b', 'c', 'd|e', 'f\\g'),
      step: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 0, max: 2_500 }) },
        { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 90_000 }) },
      ),
      jitter: fc.oneof(
        { weight: 6, arbitrary: fc.constant(0) },
        { weight: 3, arbitrary: fc.integer({ min: 0, max: LATENESS }) },
        { weight: 1, arbitrary: fc.integer({ min: LATENESS, max: 3 * LATENESS }) },
      ),
      align: fc.constantFrom(0, 0, 0, 1_000, 5_000, 10_000),
      n: fc.integer({ min: -50, max: 1_000 }),
      x: fc.option(fc.double({ min: -1e3, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
        freq: 6,
      }),
      m: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5', 'm6'),
    }),
    { minLength: 1, maxLength: 160 },
  )
  .map((raw) => {
    let base = 1_700_000_000_000;
    return raw.map((r): Ev => {
      base += r.step;
      let ts = base - r.jitter;
      if (r.align > 0) ts = Math.floor(ts / r.align) * r.align;
      // An entity lives in one partition (the source is keyed by it).
      return {
        partition: r.k === 'a' || r.k === 'd|e' ? 0 : 1,
        k: r.k,
        ts,
        n: r.n,
        x: r.x,
        m: r.m,
      };
    });
  });

interface RunResult {
  rows: Map<string, HistoryRow[]>;
  online: Map<string, { asOf: number; values: readonly FeatureValue[] }>;
  lateSeqs: Set<number>;
}

interface RunOptions {
  advanceEvery: number;
  checkpointAt?: number;
  /** The runtime kind to run (and to restore a checkpoint into; default: the same). */
  kind: RuntimeKind;
  restoreKind?: RuntimeKind;
}

/** Runs the stream through one view runtime per partition; optionally checkpoints. */
function run(
  view: CompiledView,
  plan: ViewPlan,
  events: readonly Ev[],
  opts: RunOptions,
): RunResult {
  const runtimes = new Map<number, ViewRuntime>();
  const reader = new EventReader(view, plan.inputs);
  const rows = new Map<string, HistoryRow[]>();
  const online = new Map<string, { asOf: number; values: readonly FeatureValue[] }>();
  const lateSeqs = new Set<number>();
  const collect = (rt: ViewRuntime): void => {
    for (const r of rt.takeRows()) {
      const list = rows.get(r.key) ?? [];
      list.push(r);
      rows.set(r.key, list);
    }
    for (const w of rt.takeWrites(new ByteWriter()))
      online.set(w.key, { asOf: w.asOf, values: w.values });
  };
  const offsets = new Map<number, number>();
  events.forEach((e, seq) => {
    let rt = runtimes.get(e.partition);
    if (rt === undefined) {
      rt = createRuntime(plan, opts.kind);
      runtimes.set(e.partition, rt);
    }
    const offset = offsets.get(e.partition) ?? 0;
    offsets.set(e.partition, offset + 1);
    const inputs: (Scalar | null)[] = [];
    const raw = { ...e };
    expect(reader.read(raw, reader.eventTime(raw), inputs)).toBe(READ_OK);
    if (rt.apply(reader.key, reader.t, inputs, offset) === LATE) lateSeqs.add(seq);
    if (seq % opts.advanceEvery === 0) {
      rt.advance();
      collect(rt);
    }
    if (opts.checkpointAt === seq) {
      // Checkpoint and restore every partition: state bytes → fresh runtimes.
      for (const [p, old] of runtimes) {
        old.advance();
        collect(old);
        const fresh = createRuntime(plan, opts.restoreKind ?? opts.kind);
        fresh.maxEventTime = old.maxEventTime;
        for (const key of old.entityKeys()) {
          const bytes = old.snapshotWrite(key, new ByteWriter()).state;
          if (bytes === null) throw new Error('a snapshot carries state');
          fresh.restore(key, bytes);
          expect(fresh.snapshotWrite(key, new ByteWriter()).state).toEqual(bytes);
        }
        runtimes.set(p, fresh);
      }
    }
  });
  for (const rt of runtimes.values()) {
    rt.advance();
    collect(rt);
  }
  return { rows, online, lateSeqs };
}

function check(view: CompiledView, events: readonly Ev[], result: RunResult): void {
  const expected = expectedResults(
    view,
    events.map((e) => ({
      partition: e.partition,
      key: e.k,
      t: e.ts,
      fields: { n: e.n, x: e.x, m: e.m },
    })),
  );
  expect(
    [...result.lateSeqs].sort((a, b) => a - b),
    'late events',
  ).toEqual([...expected.late].sort((a, b) => a - b));
  for (const [key, rows] of expected.rows) {
    const got = result.rows.get(key) ?? [];
    expect(
      got.map((r) => r.asOf),
      `history times of ${key}`,
    ).toEqual(rows.map((r) => r.asOf));
    const diffs = got.flatMap((r, i) =>
      diffValues(view, expected, key, r.asOf, r.values, rows[i]?.values ?? []),
    );
    expect(diffs, 'history values').toEqual([]);
  }
  expect(
    [...result.rows.keys()].filter((k) => !expected.rows.has(k)),
    'unexpected entities',
  ).toEqual([]);
  for (const [key, want] of expected.online) {
    const on = result.online.get(key);
    expect(on?.asOf, `online asOf of ${key}`).toBe(want.asOf);
    expect(
      diffValues(view, expected, key, want.asOf, on?.values ?? [], want.values),
      'online values',
    ).toEqual([]);
  }
}

describe('windowing against the brute-force oracle', () => {
  const plan = planView(fullView);
  it('windows of ops with one IR (sum/mean, variance/stddev) share a tile series', () => {
    const seriesOf = (name: string): number =>
      plan.features.find((f) => f.name === name)?.series ?? -2;
    expect(seriesOf('x_sum_1m')).toBe(seriesOf('x_mean_1m'));
    expect(seriesOf('x_std_1m')).toBe(seriesOf('x_var_1m'));
    expect(seriesOf('x_mean_tumble_5s')).toBe(seriesOf('x_sum_tumble_5s'));
    expect(seriesOf('x_sum_20s')).not.toBe(seriesOf('x_mean_1m'));
    expect(seriesOf('x_max_30s')).not.toBe(seriesOf('x_sum_1m'));
  });

  const cases: { name: string; view: CompiledView; kind: RuntimeKind; other: RuntimeKind }[] = [
    { name: 'object runtime, every feature kind', view: fullView, kind: 'object', other: 'object' },
    { name: 'record runtime, every feature kind', view: fullView, kind: 'record', other: 'object' },
  ];
  describe.each(cases)('$name', ({ view, kind, other }) => {
    const p = planView(view);
    it('history rows and online values equal the oracle (advance after every event)', () => {
      fc.assert(
        fc.property(streamArb, (events) => {
          check(view, events, run(view, p, events, { advanceEvery: 1, kind }));
        }),
        { numRuns: 150 },
      );
    });

    it('a busy entity whose object tile series compact (≥ 32 dropped tiles) stays exact', () => {
      // One event a second for 5 minutes: the 1 s tiles of the 1 m sketch windows are dropped
      // and compacted many times (window heads shift with them).
      const events: Ev[] = [];
      for (let i = 0; i < 300; i++)
        events.push({
          partition: 0,
          k: 'a',
          ts: 1_700_000_000_000 + i * 1_000 + (i % 7) * 90,
          n: i,
          x: i % 5 === 0 ? null : i * 1.5,
          m: `m${i % 11}`,
        });
      check(view, events, run(view, p, events, { advanceEvery: 3, kind }));
    });

    it('batched watermark advance and a checkpoint/restore in the middle give the same results', () => {
      fc.assert(
        fc.property(
          streamArb,
          fc.integer({ min: 1, max: 40 }),
          fc.nat(),
          fc.boolean(),
          (events, every, at, cross) => {
            const straight = run(view, p, events, { advanceEvery: 1, kind });
            const other_ = run(view, p, events, {
              advanceEvery: every,
              checkpointAt: at % events.length,
              kind,
              // State bytes are one format: a checkpoint restores into either runtime.
              restoreKind: cross ? other : kind,
            });
            check(view, events, other_);
            const times = (r: RunResult): Record<string, number[]> =>
              Object.fromEntries([...r.rows].map(([k, rows]) => [k, rows.map((x) => x.asOf)]));
            expect(times(other_)).toEqual(times(straight));
          },
        ),
        { numRuns: 100 },
      );
    });
  });

  it('the record runtime writes exactly the rows, values and state bytes of the object runtime', () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 1, max: 20 }), (events, every) => {
        expect(trace('record', events, every)).toEqual(trace('object', events, every));
      }),
      { numRuns: 150 },
    );
  });

  it('… also with thousands of entities (records span several chunks), restored from bytes', () => {
    const events: Ev[] = [];
    for (let i = 0; i < 6_000; i++)
      events.push({
        partition: 0,
        k: `card-${(i * 7_919) % 2_600}`,
        ts: 1_700_000_000_000 + i * 40,
        n: i % 13,
        x: i % 4 === 0 ? null : (i % 97) * 1.25,
        m: `m${i % 5}`,
      });
    expect(trace('record', events, 500, 3_000)).toEqual(trace('object', events, 500, 3_000));
  });
});

/**
 * Everything a runtime of `kind` returns for the stream of `events` (apply results, rows, writes
 * with state bytes), advancing every `every` events and taking the writes half a period later
 * (every third time dropping them instead, as backfills do); half-way through, the first
 * events are sent again with their offsets (a replay: each must be REPLAYED or LATE and change
 * nothing); at `restoreAt`, every entity is restored from its state bytes into a fresh runtime.
 */
function trace(kind: RuntimeKind, events: readonly Ev[], every: number, restoreAt = -1): unknown[] {
  const p = planView(fullView);
  let rt = createRuntime(p, kind);
  const reader = new EventReader(fullView, p.inputs);
  const out: unknown[] = [];
  const writes = (): unknown[] =>
    rt.takeWrites(new ByteWriter()).map((w) => ({ ...w, state: w.state && [...w.state] }));
  const send = (e: Ev, offset: number): ApplyResult => {
    const inputs: (Scalar | null)[] = [];
    const raw = { ...e };
    reader.read(raw, reader.eventTime(raw), inputs);
    return rt.apply(reader.key, reader.t, inputs, offset);
  };
  const half = Math.floor(events.length / 2);
  events.forEach((e, offset) => {
    out.push(send(e, offset));
    if (offset % every === 0) rt.advance();
    if (offset % every === Math.floor(every / 2)) {
      out.push(rt.takeRows());
      if (Math.floor(offset / every) % 3 === 2) rt.dropWrites();
      else out.push(writes());
    }
    if (offset === half) {
      for (let r = 0; r <= Math.min(half, 20); r++) {
        const again = send(events[r] as Ev, r);
        expect(again === REPLAYED || again === LATE, `replayed offset ${r}`).toBe(true);
      }
    }
    if (offset === restoreAt) {
      const fresh = createRuntime(p, kind);
      fresh.maxEventTime = rt.maxEventTime;
      for (const key of rt.entityKeys()) {
        const bytes = rt.snapshotWrite(key, new ByteWriter()).state;
        if (bytes !== null) fresh.restore(key, bytes);
      }
      // A held key is refused (restores go into fresh runtimes).
      const [first] = fresh.entityKeys();
      if (first !== undefined)
        expect(() => fresh.restore(first, new Uint8Array([3]))).toThrow(/already held/);
      rt = fresh;
    }
  });
  rt.advance(Infinity);
  out.push(rt.takeRows());
  out.push(writes());
  return out;
}
