import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureValue } from '../../../src/core/aggregation/aggregator.js';
import { StddevAggregator } from '../../../src/core/aggregation/stddev.js';
import { VarianceAggregator } from '../../../src/core/aggregation/variance.js';
import {
  checkLaws,
  closeTo,
  type Equal,
  type Ev,
  fold,
  maxSquare,
  moderateNumber,
  NUM_RUNS,
  roundTrip,
} from './laws.js';

const variance = new VarianceAggregator();
const stddev = new StddevAggregator();

/** stddev compared through its square, whose rounding error is bounded like variance's. */
const stddevEqual: Equal = (a, b, events) => {
  const sq = (x: FeatureValue): FeatureValue => (typeof x === 'number' ? x * x : x);
  return closeTo(maxSquare)(sq(a), sq(b), events);
};

checkLaws('variance', variance, moderateNumber, { emptyValue: null, equal: closeTo(maxSquare) });
checkLaws('stddev', stddev, moderateNumber, { emptyValue: null, equal: stddevEqual });

/** Two-pass population variance (the oracle). */
function twoPass(xs: readonly number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) * (x - m), 0) / xs.length;
}

const evs = (values: readonly number[]): Ev[] => values.map((v, i) => ({ v, t: i }));

/** A seeded generator (mulberry32) for reproducible distributions. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const relClose = (a: number, b: number, rel = 1e-9): boolean =>
  Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));

describe('variance / stddev: values', () => {
  it('empty → null, one value → 0, population (÷ n) not sample', () => {
    expect(variance.finalize(variance.empty())).toBeNull();
    expect(stddev.finalize(stddev.empty())).toBeNull();
    expect(variance.finalize(fold(variance, evs([42.5])))).toBe(0);
    expect(stddev.finalize(fold(stddev, evs([-3])))).toBe(0);
    expect(variance.finalize(fold(variance, evs([2, 4, 4, 4, 5, 5, 7, 9])))).toBe(4);
    expect(stddev.finalize(fold(stddev, evs([2, 4, 4, 4, 5, 5, 7, 9])))).toBe(2);
  });

  it('matches the two-pass computation within 1e-9 relative (fold, merge, round trip)', () => {
    const cases: [string, (r: () => number) => number][] = [
      ['standard normal', (r) => normal(r)],
      ['large offset, small spread: 1e6 + N(0, 1)', (r) => 1e6 + normal(r)],
      [
        'prices: 1000 + 50·N(0, 1), 2 decimals',
        (r) => Math.round((1000 + 50 * normal(r)) * 100) / 100,
      ],
      ['heavy tail: exp(3·N(0, 1))', (r) => Math.exp(3 * normal(r))],
      ['uniform integers 0..9', (r) => Math.floor(r() * 10)],
    ];
    for (const [name, draw] of cases) {
      const r = rng(name.length * 7919);
      const xs = Array.from({ length: 10_000 }, () => draw(r));
      const expected = twoPass(xs);
      const folded = fold(variance, evs(xs));
      // Merged from uneven tiles, as a sliding window would.
      let merged = variance.empty();
      for (let i = 0; i < xs.length;) {
        const size = 1 + Math.floor(r() * 200);
        merged = variance.merge(
          merged,
          roundTrip(variance, fold(variance, evs(xs.slice(i, i + size)))),
        );
        i += size;
      }
      for (const got of [variance.finalize(folded), variance.finalize(merged)]) {
        expect(relClose(got as number, expected), `${name}: ${String(got)} vs ${expected}`).toBe(
          true,
        );
      }
      expect(relClose(stddev.finalize(folded) as number, Math.sqrt(expected))).toBe(true);
    }
  });

  it('matches two-pass on arbitrary inputs (error relative to max x²)', () => {
    fc.assert(
      fc.property(
        fc.array(moderateNumber as fc.Arbitrary<number>, { minLength: 1, maxLength: 100 }),
        (xs) => {
          const got = variance.finalize(fold(variance, evs(xs)));
          expect(closeTo(maxSquare)(got, twoPass(xs), evs(xs))).toBe(true);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('retract slides a window accurately and never goes negative', () => {
    const r = rng(17);
    const tiles = Array.from({ length: 200 }, () =>
      Array.from({ length: 1 + Math.floor(r() * 20) }, () => 1e6 + normal(r)),
    );
    const width = 10;
    let window = variance.empty();
    for (let i = 0; i < tiles.length; i++) {
      window = variance.merge(window, fold(variance, evs(tiles[i] ?? [])));
      if (i >= width)
        window = variance.retract(window, fold(variance, evs(tiles[i - width] ?? [])));
      const inWindow = tiles.slice(Math.max(0, i - width + 1), i + 1).flat();
      const got = variance.finalize(window) as number;
      expect(got).toBeGreaterThanOrEqual(0);
      // Mean/sd = 1e6 is a hard case for retraction (cancellation); measured error ≈ 1e-9 after
      // 2000 slides, 1e-14 without the offset.
      expect(relClose(got, twoPass(inWindow), 1e-8)).toBe(true);
    }
    // Retracting a constant part from a constant state: exactly 0, never a tiny negative.
    const c = fold(variance, evs([0.1, 0.1, 0.1, 0.1]));
    expect(variance.finalize(variance.retract(c, fold(variance, evs([0.1]))))).toBe(0);
  });

  it('variance and stddev share IR bytes', () => {
    const ir = fold(variance, evs([1, 2, 3, 10]));
    const asStddev = roundTrip(stddev, ir);
    expect(stddev.finalize(asStddev)).toBe(Math.sqrt(variance.finalize(ir) as number));
  });
});
