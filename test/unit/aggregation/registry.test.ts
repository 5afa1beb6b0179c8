import { describe, expect, it } from 'vitest';
import type { AggOp, AggParams } from '../../../src/core/aggregation/aggregator.js';
import { createAggregator } from '../../../src/core/aggregation/index.js';
import { FeatureStreamError } from '../../../src/core/errors.js';
import { type Ev, fold, roundTrip } from './laws.js';

const ALL: [AggOp, AggParams, unknown][] = [
  ['count', {}, 0],
  ['sum', {}, 0],
  ['mean', {}, null],
  ['min', {}, null],
  ['max', {}, null],
  ['first', {}, null],
  ['last', {}, null],
  ['variance', {}, null],
  ['stddev', {}, null],
  ['distinctCount', {}, 0],
  ['quantile', { q: 0.95 }, null],
  ['lastN', { n: 10 }, []],
];

const events: Ev[] = [1, 4, 4, 9].map((v, i) => ({ v, t: 100 + i }));

describe('createAggregator', () => {
  it('maps every op to its implementation, with the semantics.md empty values', () => {
    for (const [op, params, emptyValue] of ALL) {
      const agg = createAggregator(op, params);
      expect(agg.op).toBe(op);
      expect(agg.finalize(agg.empty())).toEqual(emptyValue);
      expect(agg.finalize(roundTrip(agg, fold(agg, events)))).toEqual(
        agg.finalize(fold(agg, events)),
      );
    }
  });

  it('offers retract exactly for the invertible ops', () => {
    const invertible = ALL.filter(([op, p]) => createAggregator(op, p).retract !== undefined).map(
      ([op]) => op,
    );
    expect(invertible).toEqual(['count', 'sum', 'mean', 'variance', 'stddev']);
  });

  it('computes the expected values', () => {
    const value = (op: AggOp, params: AggParams = {}): unknown => {
      const agg = createAggregator(op, params);
      return agg.finalize(fold(agg, events));
    };
    expect(value('count')).toBe(4);
    expect(value('sum')).toBe(18);
    expect(value('mean')).toBe(4.5);
    expect(value('min')).toBe(1);
    expect(value('max')).toBe(9);
    expect(value('first')).toBe(1);
    expect(value('last')).toBe(9);
    expect(value('variance')).toBe(8.25);
    expect(value('stddev')).toBe(Math.sqrt(8.25));
    expect(value('distinctCount')).toBe(3);
    expect(value('quantile', { q: 0.5 })).toBeCloseTo(4, 1);
    expect(value('lastN', { n: 2 })).toEqual([9, 4]);
  });

  it('uses the defaults: precision 12, relativeAccuracy 0.01', () => {
    expect(createAggregator('distinctCount', {})).toMatchObject({ precision: 12 });
    expect(createAggregator('quantile', { q: 0.5 })).toMatchObject({ relativeAccuracy: 0.01 });
    expect(createAggregator('distinctCount', { precision: 16 })).toMatchObject({ precision: 16 });
  });

  it.each([
    ['quantile', {}, 'q'],
    ['quantile', { q: -0.01 }, 'q'],
    ['quantile', { q: 1.5 }, 'q'],
    ['quantile', { q: Number.NaN }, 'q'],
    ['quantile', { q: 0.5, relativeAccuracy: 0 }, 'relativeAccuracy'],
    ['quantile', { q: 0.5, relativeAccuracy: 0.5 }, 'relativeAccuracy'],
    ['quantile', { q: 0.5, relativeAccuracy: -0.1 }, 'relativeAccuracy'],
    ['lastN', {}, 'n'],
    ['lastN', { n: 0 }, 'n'],
    ['lastN', { n: 1001 }, 'n'],
    ['lastN', { n: 2.5 }, 'n'],
    ['distinctCount', { precision: 3 }, 'precision'],
    ['distinctCount', { precision: 17 }, 'precision'],
    ['distinctCount', { precision: 12.5 }, 'precision'],
  ] as [AggOp, AggParams, string][])(
    'rejects %s %o (bad %s) with a user error',
    (op, params, param) => {
      let caught: unknown;
      try {
        createAggregator(op, params);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(FeatureStreamError);
      const err = caught as FeatureStreamError;
      expect(err.code).toBe('AGG_BAD_PARAM');
      expect(err.domain).toBe('user');
      expect(err.retriable).toBe(false);
      expect(err.details).toMatchObject({ op, param });
      expect(err.fix).toBeTruthy();
    },
  );

  it('accepts the parameter bounds', () => {
    expect(() => createAggregator('quantile', { q: 0 })).not.toThrow();
    expect(() => createAggregator('quantile', { q: 1, relativeAccuracy: 0.499 })).not.toThrow();
    expect(() => createAggregator('lastN', { n: 1 })).not.toThrow();
    expect(() => createAggregator('lastN', { n: 1000 })).not.toThrow();
    expect(() => createAggregator('distinctCount', { precision: 4 })).not.toThrow();
    expect(() => createAggregator('distinctCount', { precision: 16 })).not.toThrow();
  });

  it('rejects an unknown op with a user error', () => {
    expect(() => createAggregator('median' as AggOp, {})).toThrow(
      expect.objectContaining({ code: 'AGG_UNKNOWN_OP', domain: 'user' }) as Error,
    );
  });
});
