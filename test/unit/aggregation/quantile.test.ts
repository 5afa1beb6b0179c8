import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuantileAggregator } from '../../../src/core/aggregation/quantile.js';
import { checkLaws, type Ev, fold, NUM_RUNS, roundTrip } from './laws.js';

const MIN_NORMAL = 2.2250738585072014e-308;

/** The documented definition: the element at rank ⌊q·(n − 1)⌋ of the sorted values. */
function lowerQuantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

/**
 * The documented guarantee, checked exactly (no slack): |est − true| ≤ α·|true|; a subnormal
 * true value is estimated as 0 (or clamped to a subnormal min/max).
 */
function withinBound(est: number, truth: number, alpha: number): boolean {
  if (Math.abs(truth) < MIN_NORMAL) return Math.abs(est) < MIN_NORMAL;
  return Math.abs(est - truth) <= alpha * Math.abs(truth);
}

const evs = (values: readonly number[]): Ev[] => values.map((v, i) => ({ v, t: i }));

/** Finite doubles over the whole range (subnormals, ±0, huge), mixed with common shapes. */
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1000, max: 1000, noNaN: true }),
  fc.integer({ min: -50, max: 50 }),
  fc.constant(0),
  fc.double({ min: 1e-9, max: 1e-3, noNaN: true }),
  fc.double({ min: 1e200, max: 1e300, noNaN: true }),
);
const qArb = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.constantFrom(0, 0.01, 0.25, 0.5, 0.9, 0.99, 1),
);

const p50 = new QuantileAggregator(0.5);
const p99 = new QuantileAggregator(0.99);
/** A tiny bin limit so the laws also cover collapsing. */
const collapsing = new QuantileAggregator(0.9, 0.01, 8);

checkLaws('quantile(0.5)', p50, value, { emptyValue: null });
checkLaws('quantile(0.99)', p99, value, { emptyValue: null });
checkLaws('quantile(0.9), 8 bins per sign', collapsing, value, { emptyValue: null, maxLength: 80 });

describe('quantile: accuracy (DDSketch)', () => {
  it('is null when empty', () => {
    expect(p50.finalize(p50.empty())).toBeNull();
  });

  it('meets |est − true| ≤ α·|true| on random data, folded, merged and decoded', () => {
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 300 }),
        qArb,
        fc.constantFrom(0.01, 0.05, 0.001, 0.2),
        fc.nat(),
        (xs, q, alpha, cut) => {
          const agg = new QuantileAggregator(q, alpha);
          const truth = lowerQuantile(xs, q);
          const folded = fold(agg, evs(xs));
          const c = cut % (xs.length + 1);
          const merged = agg.merge(fold(agg, evs(xs.slice(0, c))), fold(agg, evs(xs.slice(c))));
          for (const ir of [folded, merged, roundTrip(agg, folded)]) {
            const est = agg.finalize(ir) as number;
            if (!withinBound(est, truth, alpha)) {
              expect.fail(`q=${q} α=${alpha} n=${xs.length}: est ${est} vs true ${truth}`);
            }
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('meets the bound on large samples from several distributions', () => {
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed + 0.5) / 4294967296;
    };
    const normal = (): number => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
    const distributions: [string, () => number][] = [
      ['latency ms: lognormal', () => Math.exp(3 + normal())],
      ['pareto', () => 1 / rand() ** 1.5],
      ['normal around 0 (negatives and positives)', () => normal() * 100],
      ['mostly zeros', () => (rand() < 0.7 ? 0 : normal())],
      ['small integers', () => Math.floor(rand() * 20) - 5],
      // 16 decades per sign: ~1850 bins, just inside the 2048-bin limit.
      [
        'wide range 1e-8 … 1e8, both signs',
        () => (rand() < 0.5 ? -1 : 1) * 10 ** (16 * rand() - 8),
      ],
    ];
    const qs = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
    for (const [name, draw] of distributions) {
      const xs = Array.from({ length: 20_000 }, draw);
      const sorted = [...xs].sort((a, b) => a - b);
      const ir = fold(new QuantileAggregator(0.5), evs(xs));
      for (const q of qs) {
        const est = new QuantileAggregator(q).finalize(ir) as number;
        const truth = sorted[Math.floor(q * (sorted.length - 1))] as number;
        expect(withinBound(est, truth, 0.01), `${name} q=${q}: ${est} vs ${truth}`).toBe(true);
      }
    }
  });

  it('returns the exact min for q = 0 and max for q = 1', () => {
    const xs = [3.3, -7.25, 1e300, 0, 5e-324];
    expect(new QuantileAggregator(0).finalize(fold(new QuantileAggregator(0), evs(xs)))).toBe(
      -7.25,
    );
    expect(new QuantileAggregator(1).finalize(fold(new QuantileAggregator(1), evs(xs)))).toBe(
      1e300,
    );
  });

  it('collapses the lowest magnitudes beyond the bin limit; high quantiles keep the bound', () => {
    const maxBins = 64;
    const xs = Array.from({ length: 2000 }, (_, i) => 1.01 ** i); // ~1000 distinct bins
    for (const q of [0.97, 0.99, 1]) {
      const agg = new QuantileAggregator(q, 0.01, maxBins);
      const ir = fold(agg, evs(xs));
      expect(ir.pos.keys.length).toBeLessThanOrEqual(maxBins);
      expect(withinBound(agg.finalize(ir) as number, lowerQuantile(xs, q), 0.01)).toBe(true);
    }
    const low = new QuantileAggregator(0.5, 0.01, maxBins);
    const est = low.finalize(fold(low, evs(xs))) as number;
    expect(withinBound(est, lowerQuantile(xs, 0.5), 0.01)).toBe(false); // documented loss
  });

  it('keeps a tile with few values small (sparse bins)', () => {
    const ir = fold(p50, evs([10, 10.01, 10, 250, -3, 0]));
    expect(ir.pos.keys.length).toBe(2);
    expect(ir.neg.keys.length).toBe(1);
    expect(ir.zero).toBe(1);
  });
});
