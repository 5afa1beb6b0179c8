import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { FirstAggregator } from '../../../src/core/aggregation/first.js';
import { LastAggregator } from '../../../src/core/aggregation/last.js';
import { anyScalar, checkLaws, type Ev, exact, fold, NUM_RUNS, roundTrip } from './laws.js';

const first = new FirstAggregator();
const last = new LastAggregator();

checkLaws('first', first, anyScalar, { emptyValue: null });
checkLaws('last', last, anyScalar, { emptyValue: null });

/** Events in arrival order (times in any order), stably sorted by event time. */
function byTime(events: readonly Ev[]): Ev[] {
  return events
    .map((e, arrival) => ({ e, arrival }))
    .sort((x, y) => x.e.t - y.e.t || x.arrival - y.arrival)
    .map((x) => x.e);
}

const unordered = fc.array(fc.record({ v: anyScalar, t: fc.integer({ min: 0, max: 6 }) }), {
  minLength: 1,
  maxLength: 30,
});

describe('first / last: values and tie-breaking', () => {
  it('first keeps the earliest event, ties the earlier arrival; last the latest, ties the later', () => {
    const events: Ev[] = [
      { v: 'a', t: 5 },
      { v: 'b', t: 5 },
      { v: 'c', t: 7 },
      { v: 'd', t: 7 },
    ];
    expect(first.finalize(fold(first, events))).toBe('a');
    expect(last.finalize(fold(last, events))).toBe('d');
    // Across merge(a, b), a is the earlier part.
    const a = events.slice(0, 2);
    const b: Ev[] = [
      { v: 'x', t: 5 },
      { v: 'y', t: 5 },
    ];
    expect(first.finalize(first.merge(fold(first, a), fold(first, b)))).toBe('a');
    expect(last.finalize(last.merge(fold(last, a), fold(last, b)))).toBe('y');
  });

  it('match an oracle, also for out-of-order updates', () => {
    fc.assert(
      fc.property(unordered, (events) => {
        const sorted = byTime(events);
        const want = (sorted[0] as Ev).v;
        const wantLast = (sorted[sorted.length - 1] as Ev).v;
        expect(exact(first.finalize(fold(first, events)), want, [])).toBe(true);
        expect(exact(last.finalize(fold(last, events)), wantLast, [])).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keep the value type through bytes (number, integer, -0, string, boolean)', () => {
    const values: Scalar[] = [
      0,
      -0,
      3,
      -(2 ** 48),
      2 ** 60,
      0.1,
      'héllo ✓',
      '',
      true,
      false,
      Infinity,
    ];
    for (const v of values) {
      const got = first.finalize(roundTrip(first, fold(first, [{ v, t: 1.5e12 }])));
      expect(Object.is(got, v)).toBe(true);
    }
  });
});
