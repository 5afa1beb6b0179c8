import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregator, Scalar } from '../../../src/core/aggregation/aggregator.js';
import { createAggregator } from '../../../src/core/aggregation/registry.js';
import { NUM_RUNS, exact, fold } from './laws.js';
import type { Ev } from './laws.js';

/**
 * The `unaffectedBy` law: whenever it says an expiring earlier part does not affect the whole,
 * the whole equals the later parts alone — so a window may skip re-merging its tiles.
 */
const ops: { name: string; agg: Aggregator; value: fc.Arbitrary<Scalar> }[] = [
  { name: 'max', agg: createAggregator('max', {}), value: fc.integer({ min: -50, max: 50 }) },
  { name: 'min', agg: createAggregator('min', {}), value: fc.integer({ min: -50, max: 50 }) },
  { name: 'last', agg: createAggregator('last', {}), value: fc.constantFrom('a', 'b', 'c') },
  {
    name: 'lastN(3)',
    agg: createAggregator('lastN', { n: 3 }),
    value: fc.integer({ min: 0, max: 9 }),
  },
];

/** Two consecutive parts: times in the earlier part never exceed those in the later one. */
function partsArb(value: fc.Arbitrary<Scalar>): fc.Arbitrary<[Ev[], Ev[]]> {
  return fc
    .tuple(
      fc.array(value, { maxLength: 8 }),
      fc.array(value, { maxLength: 8 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([xs, ys, gap]) => [
      xs.map((v, i) => ({ v, t: 1_000 + i })),
      ys.map((v, i) => ({ v, t: 1_000 + xs.length - 1 + gap + i })),
    ]);
}

describe('unaffectedBy', () => {
  for (const { name, agg, value } of ops) {
    it(`${name}: unaffectedBy(merge(a, b), a) ⇒ merge(a, b) ≅ b`, () => {
      expect(agg.unaffectedBy).toBeDefined();
      let claimed = 0;
      fc.assert(
        fc.property(partsArb(value), ([xs, ys]) => {
          const whole = agg.merge(fold(agg, xs), fold(agg, ys));
          if (agg.unaffectedBy?.(whole, fold(agg, xs)) !== true) return;
          claimed++;
          expect(exact(agg.finalize(whole), agg.finalize(fold(agg, ys)), [...xs, ...ys])).toBe(
            true,
          );
        }),
        { numRuns: NUM_RUNS * 2 },
      );
      expect(claimed, 'the property was exercised').toBeGreaterThan(10);
    });
  }

  it('is absent for ops that can retract or cannot tell', () => {
    for (const op of ['count', 'sum', 'mean', 'distinctCount', 'quantile'] as const) {
      expect(
        createAggregator(op, op === 'quantile' ? { q: 0.5 } : {}).unaffectedBy,
      ).toBeUndefined();
    }
  });
});
