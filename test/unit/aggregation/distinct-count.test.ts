import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { DistinctCountAggregator } from '../../../src/core/aggregation/distinct-count.js';
import type { HllState } from '../../../src/core/aggregation/hyper-log-log.js';
import { hashScalar } from '../../../src/core/aggregation/scalar-hash.js';
import { ByteReader, ByteWriter } from '../../../src/core/encoding/bytes.js';
import { anyScalar, checkLaws, type Ev, fold, NUM_RUNS, roundTrip } from './laws.js';

const p12 = new DistinctCountAggregator();
/** Tiny sketch (16 registers, sparse up to 4 hashes): laws exercise sparse, dense and the switch. */
const p4 = new DistinctCountAggregator(4);
const p6 = new DistinctCountAggregator(6);

checkLaws('distinctCount (p = 12, sparse)', p12, anyScalar, { emptyValue: 0 });
checkLaws('distinctCount (p = 4, sparse and dense)', p4, anyScalar, { emptyValue: 0 });
checkLaws('distinctCount (p = 6, values 0..200)', p6, fc.integer({ min: 0, max: 200 }), {
  emptyValue: 0,
  maxLength: 120,
});

const evs = (values: readonly Scalar[]): Ev[] => values.map((v, i) => ({ v, t: i }));
const range = (n: number, f: (i: number) => Scalar): Scalar[] =>
  Array.from({ length: n }, (_, i) => f(i));
const isDense = (ir: HllState): boolean => ir.dense !== null;

/** Oracle for sparse mode: the number of distinct 32-bit hashes of the canonical texts. */
const distinctHashes = (vs: readonly Scalar[]): number => new Set(vs.map(hashScalar)).size;

describe('distinctCount: values', () => {
  it('is 0 when empty', () => {
    expect(p12.finalize(p12.empty())).toBe(0);
  });

  it('is exact in sparse mode (up to m/4 = 1024 hashes at p = 12)', () => {
    fc.assert(
      fc.property(fc.array(anyScalar, { maxLength: 300 }), (vs) => {
        const ir = fold(p12, evs(vs));
        expect(isDense(ir)).toBe(false);
        expect(p12.finalize(ir)).toBe(distinctHashes(vs));
        expect(p12.finalize(ir)).toBe(new Set(vs.map(canonical)).size); // no collision here
      }),
      { numRuns: NUM_RUNS },
    );
    const full = fold(p12, evs(range(1024, (i) => `id-${i}`)));
    expect(isDense(full)).toBe(false);
    expect(p12.finalize(full)).toBe(1024);
    expect(isDense(fold(p12, [{ v: 'one more', t: 0 }], full))).toBe(true);
  });

  it('treats a value and its canonical text as the same value (1 ≡ "1", true ≡ "true")', () => {
    const ir = fold(p12, evs([1, '1', 1.0, true, 'true', -0, '0', 0, 2.5, '2.5', 1e21, '1e+21']));
    expect(p12.finalize(ir)).toBe(5);
  });

  it('stays within 3 standard errors (3 × 1.04/√m) on 10k and 100k distinct values', () => {
    const cases: [DistinctCountAggregator, number, (i: number) => Scalar][] = [
      [p12, 10_000, (i) => `user-${i}`],
      [p12, 100_000, (i) => `user-${i}`],
      [p12, 100_000, (i) => i * 7 + 1_000_000],
      [p12, 100_000, (i) => i / 8],
      [new DistinctCountAggregator(14), 100_000, (i) => `session:${i}:x`],
      [new DistinctCountAggregator(16), 100_000, (i) => i],
      [p12, 2_000, (i) => `just-dense-${i}`],
      [p12, 5_000, (i) => `mid-${i}`],
    ];
    for (const [agg, n, f] of cases) {
      const bound = 3 * (1.04 / Math.sqrt(2 ** agg.precision));
      const ir = agg.empty();
      for (let i = 0; i < n; i++) agg.update(ir, f(i), i);
      // Duplicates do not change anything.
      for (let i = 0; i < n; i += 3) agg.update(ir, f(i), i);
      const est = agg.finalize(ir) as number;
      expect(Math.abs(est / n - 1), `p=${agg.precision} n=${n}: ${est}`).toBeLessThanOrEqual(bound);
    }
  });

  it('merges dense and sparse halves to the same estimate as one fold', () => {
    const vs = range(30_000, (i) => `k${i % 20_000}`);
    const whole = p12.finalize(fold(p12, evs(vs)));
    const cuts = [0, 500, 700, 5_000, 29_000, 30_000];
    let merged = p12.empty();
    for (let i = 0; i + 1 < cuts.length; i++) {
      merged = p12.merge(merged, fold(p12, evs(vs.slice(cuts[i], cuts[i + 1]))));
    }
    expect(p12.finalize(merged)).toBe(whole);
    // Sparse into dense, dense into sparse.
    const small = fold(p12, evs(range(100, (i) => `k${i}`)));
    const big = fold(p12, evs(range(20_000, (i) => `k${i}`)));
    expect(p12.finalize(p12.merge(p12.clone(small), big))).toBe(p12.finalize(big));
    expect(p12.finalize(p12.merge(p12.clone(big), small))).toBe(p12.finalize(big));
  });

  it('round-trips in both sparse and dense mode (format tag first)', () => {
    const sparse = fold(p12, evs(range(1000, (i) => i)));
    const dense = fold(p12, evs(range(50_000, (i) => i)));
    for (const ir of [sparse, dense]) {
      const back = roundTrip(p12, ir);
      expect(isDense(back)).toBe(isDense(ir));
      expect(p12.finalize(back)).toBe(p12.finalize(ir));
      expect(back.dense).toEqual(ir.dense);
    }
    // [format: 0 sparse | 1 dense][precision]
    expect([...encodeBytes(sparse).subarray(0, 2)]).toEqual([0, 12]);
    expect([...encodeBytes(dense).subarray(0, 2)]).toEqual([1, 12]);
    expect(encodeBytes(dense).length).toBe(2 + 4096);
  });

  it('rejects state bytes of another precision', () => {
    const bytes = encodeBytes(fold(p12, evs([1, 2])));
    expect(() => p4.decode(new ByteReader(bytes))).toThrow(RangeError);
  });
});

function encodeBytes(ir: HllState): Uint8Array {
  const w = new ByteWriter();
  p12.encode(ir, w);
  return w.finish();
}

function canonical(v: Scalar): string {
  return String(v);
}
