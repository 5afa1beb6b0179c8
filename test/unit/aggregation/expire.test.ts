import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregator, Scalar } from '../../../src/core/aggregation/aggregator.js';
import { DistinctCountAggregator } from '../../../src/core/aggregation/distinct-count.js';
import { FirstAggregator } from '../../../src/core/aggregation/first.js';
import { QuantileAggregator } from '../../../src/core/aggregation/quantile.js';
import { NUM_RUNS, encode, fold } from './laws.js';
import type { Ev } from './laws.js';

/** An aggregator over its own IR, as the runtime sees every aggregator (as the registry does). */
const erase = <IR>(agg: Aggregator<IR>): Aggregator => agg as unknown as Aggregator;

/**
 * The `expire` law: when a sliding window's earliest tiles leave it, `expire` turns the window's
 * aggregate (built by updates, as the runtime builds it) into exactly — byte for byte — what
 * merging the remaining tiles gives, or declines (undefined) and the runtime re-merges.
 */
const ops: {
  name: string;
  agg: Aggregator;
  value: fc.Arbitrary<Scalar>;
  /** Declining is expected for some inputs (dense sketches, collapsed bins). */
  mayDecline: boolean;
  minReduced?: number;
}[] = [
  {
    name: 'distinctCount (sparse)',
    agg: erase(new DistinctCountAggregator(12)),
    value: fc.integer({ min: 0, max: 30 }),
    mayDecline: false,
  },
  {
    name: 'distinctCount (p = 4: dense beyond 4 values)',
    agg: erase(new DistinctCountAggregator(4)),
    value: fc.integer({ min: 0, max: 8 }),
    mayDecline: true,
    // About 9% of windows stay sparse and reduce (26–43 of 400 over 30 seeds measured; one CI
    // run saw 17), so the bound only proves the path runs — equality is the property.
    minReduced: 5,
  },
  {
    name: 'quantile (zeros, negatives, repeats)',
    agg: erase(new QuantileAggregator(0.9)),
    value: fc.oneof(fc.integer({ min: -40, max: 40 }), fc.constantFrom(0, -0, 1e-320, 2.5, 1e12)),
    mayDecline: false,
  },
  {
    name: 'quantile (4 bins: collapses)',
    agg: erase(new QuantileAggregator(0.5, 0.01, 4)),
    value: fc.integer({ min: 1, max: 6 }),
    mayDecline: true,
    // Most windows collapse and decline: ~6% reduce (17–35 of 400 runs over 12 seeds measured;
    // a bound of 20 failed one run in three).
    minReduced: 5,
  },
  {
    name: 'first',
    agg: erase(new FirstAggregator()),
    value: fc.constantFrom('a', 'b', 7, true),
    mayDecline: false,
  },
];

/** Tiles of consecutive events, and how many of the first ones expire. */
const windowArb = (value: fc.Arbitrary<Scalar>): fc.Arbitrary<{ tiles: Ev[][]; gone: number }> =>
  fc
    .array(fc.array(value, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 8 })
    .chain((vals) =>
      fc.record({
        tiles: fc.constant(vals.map((vs, k) => vs.map((v, i) => ({ v, t: 1_000 * k + i })))),
        gone: fc.integer({ min: 1, max: vals.length - 1 }),
      }),
    );

describe('expire', () => {
  for (const { name, agg, value, mayDecline, minReduced } of ops) {
    it(`${name}: expire(whole, tiles, 0, k, n) ≅ merge(tiles[k..n)), byte for byte`, () => {
      let reduced = 0;
      let declined = 0;
      fc.assert(
        fc.property(windowArb(value), ({ tiles, gone }) => {
          const irs = tiles.map((evs) => fold(agg, evs));
          const whole = fold(agg, tiles.flat());
          let expected = agg.empty();
          for (let k = gone; k < irs.length; k++) expected = agg.merge(expected, irs[k]);
          const out = agg.expire?.(whole, irs, 0, gone, irs.length);
          if (out === undefined) {
            declined++;
            return;
          }
          reduced++;
          expect(encode(agg, out)).toEqual(encode(agg, expected));
          expect(agg.finalize(out)).toEqual(agg.finalize(expected));
        }),
        { numRuns: NUM_RUNS * 2 },
      );
      expect(reduced, 'the reduction was exercised').toBeGreaterThan(minReduced ?? 20);
      if (mayDecline) expect(declined, 'the fallback was exercised').toBeGreaterThan(5);
      else expect(declined).toBe(0);
    });
  }
});
