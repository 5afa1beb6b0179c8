import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { CountAggregator } from '../../../src/core/aggregation/count.js';
import { MeanAggregator } from '../../../src/core/aggregation/mean.js';
import { SumAggregator } from '../../../src/core/aggregation/sum.js';
import {
  anyScalar,
  checkLaws,
  closeTo,
  type Ev,
  exact,
  fold,
  maxAbs,
  moderateNumber,
  NUM_RUNS,
  roundTrip,
  sumAbs,
} from './laws.js';

const count = new CountAggregator();
const sum = new SumAggregator();
const mean = new MeanAggregator();

const integer = fc.integer({ min: -1e9, max: 1e9 });

checkLaws('count', count, anyScalar, { emptyValue: 0 });
checkLaws('sum (integers: exact)', sum, integer, { emptyValue: 0 });
checkLaws('sum (floats)', sum, moderateNumber, { emptyValue: 0, equal: closeTo(sumAbs) });
checkLaws('mean', mean, moderateNumber, { emptyValue: null, equal: closeTo(maxAbs) });

const evs = (values: readonly Scalar[]): Ev[] => values.map((v, i) => ({ v, t: 1000 + i }));

describe('count / sum / mean: values', () => {
  it('count counts events, whatever their values', () => {
    fc.assert(
      fc.property(fc.array(anyScalar), (vs) => {
        expect(count.finalize(fold(count, evs(vs)))).toBe(vs.length);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('integer sums are exact (no tolerance) and round-trip exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 200 }),
        (vs) => {
          const ir = fold(sum, evs(vs));
          const expected = vs.reduce((s, v) => s + v, 0);
          expect(sum.finalize(ir)).toBe(expected);
          expect(sum.finalize(roundTrip(sum, ir))).toBe(expected);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('a tile whose values cancel out is not empty; retracting everything gives exactly 0', () => {
    const cancelled = fold(sum, evs([5, -5]));
    expect(sum.isEmpty(cancelled)).toBe(false);
    expect(sum.finalize(cancelled)).toBe(0);
    const a = fold(sum, evs([0.1, 0.2, 0.3]));
    const none = sum.retract(a, fold(sum, evs([0.1, 0.2, 0.3])));
    expect(sum.isEmpty(none)).toBe(true);
    expect(Object.is(sum.finalize(none), 0)).toBe(true);
  });

  it('float sums round-trip bit-exactly', () => {
    const ir = fold(sum, evs([0.1, 0.2, 1e-300, -7.5e10]));
    expect(Object.is(sum.finalize(roundTrip(sum, ir)), sum.finalize(ir))).toBe(true);
  });

  it('mean is the arithmetic mean, null when empty', () => {
    expect(mean.finalize(mean.empty())).toBeNull();
    expect(mean.finalize(fold(mean, evs([1, 2, 3, 4])))).toBe(2.5);
    fc.assert(
      fc.property(fc.array(moderateNumber as fc.Arbitrary<number>, { minLength: 1 }), (vs) => {
        const expected = vs.reduce((s, v) => s + v, 0) / vs.length;
        const got = mean.finalize(fold(mean, evs(vs)));
        expect(closeTo(maxAbs)(got, expected, evs(vs))).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('mean is null again once everything is retracted', () => {
    const a = fold(mean, evs([0.1, 0.7]));
    const none = mean.retract(a, fold(mean, evs([0.1, 0.7])));
    expect(mean.finalize(none)).toBeNull();
    expect(exact(mean.finalize(fold(mean, evs([5]), none)), 5, [])).toBe(true);
  });
});
