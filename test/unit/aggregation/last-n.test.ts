import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { LastNAggregator } from '../../../src/core/aggregation/last-n.js';
import { anyScalar, checkLaws, type Ev, exact, fold, NUM_RUNS, roundTrip } from './laws.js';

checkLaws('lastN(1)', new LastNAggregator(1), anyScalar, { emptyValue: [] });
checkLaws('lastN(3)', new LastNAggregator(3), anyScalar, { emptyValue: [] });
checkLaws('lastN(50)', new LastNAggregator(50), anyScalar, { emptyValue: [], maxLength: 120 });

/** Oracle: stable sort by event time (ties by arrival), keep the last n, newest first. */
function oracle(events: readonly Ev[], n: number): Scalar[] {
  return events
    .map((e, arrival) => ({ e, arrival }))
    .sort((x, y) => x.e.t - y.e.t || x.arrival - y.arrival)
    .slice(-n)
    .map((x) => x.e.v)
    .reverse();
}

const unordered = fc.array(fc.record({ v: anyScalar, t: fc.integer({ min: 0, max: 10 }) }), {
  maxLength: 150,
});

describe('lastN: values and tie-breaking', () => {
  it('returns the newest first, ties by arrival (later arrival = newer)', () => {
    const agg = new LastNAggregator(3);
    const events: Ev[] = [
      { v: 'a', t: 1 },
      { v: 'b', t: 2 },
      { v: 'c', t: 2 },
      { v: 'd', t: 2 },
      { v: 'e', t: 1 }, // late: older than what is kept
    ];
    expect(agg.finalize(fold(agg, events))).toEqual(['d', 'c', 'b']);
    // Across merge(a, b), b holds the later arrivals.
    const merged = agg.merge(fold(agg, [{ v: 'x', t: 5 }]), fold(agg, [{ v: 'y', t: 5 }]));
    expect(agg.finalize(merged)).toEqual(['y', 'x']);
    expect(agg.finalize(agg.empty())).toEqual([]);
  });

  it('matches the oracle for any n, with out-of-order updates and interleaved merges', () => {
    fc.assert(
      fc.property(unordered, unordered, fc.integer({ min: 1, max: 40 }), (xs, ys, n) => {
        const agg = new LastNAggregator(n);
        expect(exact(agg.finalize(fold(agg, xs)), oracle(xs, n), [])).toBe(true);
        // merge(a, b): b's events arrived after a's.
        const merged = agg.merge(fold(agg, xs), fold(agg, ys));
        expect(exact(agg.finalize(merged), oracle([...xs, ...ys], n), [])).toBe(true);
        expect(exact(agg.finalize(roundTrip(agg, merged)), oracle([...xs, ...ys], n), [])).toBe(
          true,
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keeps only n values after many updates (compaction) and round-trips them', () => {
    const agg = new LastNAggregator(5);
    const ir = agg.empty();
    for (let i = 0; i < 10_000; i++)
      agg.update(ir, i % 2 === 0 ? i : `s${i}`, 1_700_000_000_000 + i);
    expect(ir.times.length - ir.head).toBe(5);
    expect(ir.times.length).toBeLessThanOrEqual(5 + 32);
    const want = ['s9999', 9998, 's9997', 9996, 's9995'];
    expect(agg.finalize(ir)).toEqual(want);
    expect(agg.finalize(roundTrip(agg, ir))).toEqual(want);
  });
});
