import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MaxAggregator } from '../../../src/core/aggregation/max.js';
import { MinAggregator } from '../../../src/core/aggregation/min.js';
import { checkLaws, type Ev, fold, NUM_RUNS, roundTrip } from './laws.js';

const min = new MinAggregator();
const max = new MaxAggregator();
const anyNumber = fc.oneof(fc.double({ noNaN: true }), fc.integer({ min: -10, max: 10 }));

checkLaws('min', min, anyNumber, { emptyValue: null });
checkLaws('max', max, anyNumber, { emptyValue: null });

const evs = (values: readonly number[]): Ev[] => values.map((v, i) => ({ v, t: i }));

describe('min / max: values', () => {
  it('match Math.min / Math.max, including ±Infinity', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { minLength: 1 }), (vs) => {
        expect(min.finalize(fold(min, evs(vs)))).toBe(Math.min(...vs));
        expect(max.finalize(fold(max, evs(vs)))).toBe(Math.max(...vs));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('keep ±Infinity as values and null only when empty', () => {
    expect(min.finalize(fold(min, evs([Infinity])))).toBe(Infinity);
    expect(max.finalize(fold(max, evs([-Infinity])))).toBe(-Infinity);
    expect(min.finalize(roundTrip(min, min.empty()))).toBeNull();
    expect(max.finalize(max.merge(max.empty(), max.empty()))).toBeNull();
  });
});
