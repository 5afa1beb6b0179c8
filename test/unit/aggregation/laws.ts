/**
 * Shared property tests for the Aggregator laws (see src/core/aggregation/aggregator.ts), plus
 * small helpers: fold, encode/decode round trip, value comparison with the contract's tolerance.
 * Not a test file itself: each op's test file calls `checkLaws`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregator, FeatureValue, Scalar } from '../../../src/core/aggregation/aggregator.js';
import { ByteReader, ByteWriter } from '../../../src/core/encoding/bytes.js';

export interface Ev {
  readonly v: Scalar;
  readonly t: number;
}

/** Compares a finalized value to an expected one; `events` are all the inputs involved. */
export type Equal = (
  actual: FeatureValue,
  expected: FeatureValue,
  events: readonly Ev[],
) => boolean;

export const NUM_RUNS = 200;

export function fold<IR>(agg: Aggregator<IR>, events: readonly Ev[], start?: IR): IR {
  let ir = start ?? agg.empty();
  for (const e of events) ir = agg.update(ir, e.v, e.t);
  return ir;
}

export function encode<IR>(agg: Aggregator<IR>, ir: IR): Uint8Array {
  const w = new ByteWriter(8);
  agg.encode(ir, w);
  return w.finish();
}

export function roundTrip<IR>(agg: Aggregator<IR>, ir: IR): IR {
  const r = new ByteReader(encode(agg, ir));
  const out = agg.decode(r);
  expect(r.done).toBe(true);
  return out;
}

/** Exact equality of finalized values (numbers by ===, NaN equal to NaN, arrays elementwise). */
export const exact: Equal = (a, b) => sameValue(a, b);

function sameValue(a: FeatureValue, b: FeatureValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++)
      if (!sameScalar(a[i] as Scalar, b[i] as Scalar)) return false;
    return true;
  }
  if (a === null || b === null) return a === b;
  return sameScalar(a as Scalar, b as Scalar);
}

function sameScalar(a: Scalar, b: Scalar): boolean {
  if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a)) return Number.isNaN(b);
  return a === b;
}

/**
 * Below the smallest normal double (2^-1022) precision is absolute, not relative: a subnormal
 * result (e.g. the variance of values near 1e-160, whose squares are ~1e-320) carries rounding
 * errors of a few 2^-1074, far more than 1e-9 of itself. Differences up to this are equal.
 */
const SUBNORMAL_TOLERANCE = 2 ** -1022;

/**
 * Float equality per the contract: 1e-9 relative, where "relative" is to the larger of the two
 * values and `scale(events)` — the magnitude that bounds the rounding error of the computation
 * (e.g. Σ|x| for a sum, whose rounding error is relative to it, not to a cancelled result) —
 * and absolute in the subnormal range (`SUBNORMAL_TOLERANCE`).
 */
export function closeTo(scale: (events: readonly Ev[]) => number, rel = 1e-9): Equal {
  return (a, b, events) => {
    if (a === null || b === null) return a === b;
    if (typeof a !== 'number' || typeof b !== 'number') return false;
    if (a === b) return true;
    const bound = rel * Math.max(Math.abs(a), Math.abs(b), scale(events));
    return Math.abs(a - b) <= Math.max(bound, SUBNORMAL_TOLERANCE);
  };
}

export const sumAbs = (events: readonly Ev[]): number =>
  events.reduce((s, e) => s + Math.abs(e.v as number), 0);
export const maxAbs = (events: readonly Ev[]): number =>
  events.reduce((s, e) => Math.max(s, Math.abs(e.v as number)), 0);
export const maxSquare = (events: readonly Ev[]): number => maxAbs(events) ** 2;

/**
 * Event lists with non-decreasing event times (ties frequent), cut into three consecutive parts.
 */
export function partsArb(
  value: fc.Arbitrary<Scalar>,
  maxLength = 30,
): fc.Arbitrary<[Ev[], Ev[], Ev[]]> {
  const step = fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max: 5 }),
    fc.integer({ min: 0, max: 1e6 }),
  );
  return fc
    .tuple(
      fc.array(fc.tuple(value, step), { maxLength }),
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 2e12 }),
    )
    .map(([raw, c1, c2, t0]) => {
      let t = t0;
      const events = raw.map(([v, dt]) => {
        t += dt;
        return { v, t };
      });
      const a = c1 % (events.length + 1);
      const b = c2 % (events.length + 1);
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return [events.slice(0, lo), events.slice(lo, hi), events.slice(hi)];
    });
}

export interface LawOptions {
  /** The finalized value of an empty IR per semantics.md. */
  readonly emptyValue: FeatureValue;
  readonly equal?: Equal;
  readonly maxLength?: number;
}

/** Registers the law tests for `agg` in a describe block. */
export function checkLaws<IR>(
  name: string,
  agg: Aggregator<IR>,
  value: fc.Arbitrary<Scalar>,
  options: LawOptions,
): void {
  const eq = options.equal ?? exact;
  const parts = partsArb(value, options.maxLength);
  const fin = (ir: IR): FeatureValue => agg.finalize(ir);
  const assertEq = (actual: FeatureValue, expected: FeatureValue, events: readonly Ev[]): void => {
    if (!eq(actual, expected, events)) {
      expect.fail(`${JSON.stringify(actual)} ≇ ${JSON.stringify(expected)}`);
    }
  };
  const run = (prop: fc.IProperty<[[Ev[], Ev[], Ev[]]]>): void => {
    fc.assert(prop, { numRuns: NUM_RUNS });
  };

  describe(`${name}: aggregator laws`, () => {
    it('finalizes an empty IR to the empty value, and reports it empty', () => {
      const e = agg.empty();
      expect(agg.isEmpty(e)).toBe(true);
      expect(exact(fin(e), options.emptyValue, [])).toBe(true);
      expect(exact(fin(roundTrip(agg, e)), options.emptyValue, [])).toBe(true);
      expect(agg.isEmpty(roundTrip(agg, e))).toBe(true);
      expect(agg.isEmpty(agg.clone(e))).toBe(true);
    });

    it('is not empty after an update', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const all = [...xs, ...ys, ...zs];
          fc.pre(all.length > 0);
          expect(agg.isEmpty(fold(agg, all))).toBe(false);
          expect(agg.isEmpty(roundTrip(agg, fold(agg, all)))).toBe(false);
        }),
      );
    });

    it('has empty() as identity on both sides of merge', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const all = [...xs, ...ys, ...zs];
          const expected = fin(fold(agg, all));
          assertEq(fin(agg.merge(agg.empty(), fold(agg, all))), expected, all);
          assertEq(fin(agg.merge(fold(agg, all), agg.empty())), expected, all);
        }),
      );
    });

    it('folds a concatenation to the merge of the folds', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const left = [...xs, ...ys];
          const all = [...left, ...zs];
          assertEq(fin(agg.merge(fold(agg, xs), fold(agg, ys))), fin(fold(agg, left)), left);
          assertEq(fin(agg.merge(fold(agg, left), fold(agg, zs))), fin(fold(agg, all)), all);
        }),
      );
    });

    it('merges associatively', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const all = [...xs, ...ys, ...zs];
          const ab_c = agg.merge(agg.merge(fold(agg, xs), fold(agg, ys)), fold(agg, zs));
          const a_bc = agg.merge(fold(agg, xs), agg.merge(fold(agg, ys), fold(agg, zs)));
          assertEq(fin(ab_c), fin(a_bc), all);
        }),
      );
    });

    it('never mutates the second argument of merge, nor a clone source', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const b = fold(agg, ys);
          const before = encode(agg, b);
          agg.merge(fold(agg, xs), b);
          agg.merge(agg.empty(), b);
          expect(encode(agg, b)).toEqual(before);
          const c = agg.clone(b);
          fold(agg, zs, agg.merge(c, fold(agg, xs)));
          expect(encode(agg, b)).toEqual(before);
          if (agg.retract !== undefined) {
            agg.retract(agg.merge(fold(agg, xs), b), b);
            expect(encode(agg, b)).toEqual(before);
          }
        }),
      );
    });

    it('clones to an equal, independent IR', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const a = fold(agg, xs);
          const expected = fin(a);
          const c = agg.clone(a);
          assertEq(fin(c), expected, xs);
          fold(agg, ys, c);
          assertEq(fin(a), expected, xs);
          const c2 = agg.clone(a);
          fold(agg, zs, a);
          assertEq(fin(c2), expected, xs);
        }),
      );
    });

    it('round-trips through bytes, and the decoded IR keeps working', () => {
      run(
        fc.property(parts, ([xs, ys, zs]) => {
          const a = fold(agg, [...xs, ...ys]);
          const bytes = encode(agg, a);
          const decoded = roundTrip(agg, a);
          assertEq(fin(decoded), fin(a), [...xs, ...ys]);
          expect(encode(agg, decoded)).toEqual(bytes);
          // Self-delimiting: two IRs back to back decode one after the other.
          const w = new ByteWriter(4);
          agg.encode(a, w);
          agg.encode(fold(agg, zs), w);
          w.u8(0xab);
          const r = new ByteReader(w.finish());
          assertEq(fin(agg.decode(r)), fin(a), [...xs, ...ys]);
          assertEq(fin(agg.decode(r)), fin(fold(agg, zs)), zs);
          expect(r.u8()).toBe(0xab);
          // Decoded state continues like the original.
          const all = [...xs, ...ys, ...zs];
          assertEq(fin(fold(agg, zs, decoded)), fin(fold(agg, zs, a)), all);
          assertEq(
            fin(agg.merge(roundTrip(agg, fold(agg, xs)), fold(agg, ys))),
            fin(fold(agg, [...xs, ...ys])),
            all,
          );
        }),
      );
    });

    const trim = agg.trim;
    if (trim !== undefined) {
      it('trims to the same IR (bytes, value), which keeps working as a tile and as an IR', () => {
        run(
          fc.property(parts, ([xs, ys, zs]) => {
            const all = [...xs, ...ys, ...zs];
            const a = fold(agg, [...xs, ...ys]);
            const bytes = encode(agg, a);
            const t = trim.call(agg, fold(agg, [...xs, ...ys]));
            expect(encode(agg, t)).toEqual(bytes);
            assertEq(fin(t), fin(a), all);
            assertEq(fin(agg.merge(fold(agg, zs), t)), fin(agg.merge(fold(agg, zs), a)), all);
            assertEq(fin(fold(agg, zs, t)), fin(fold(agg, zs, a)), all);
          }),
        );
      });
    }

    const retract = agg.retract;
    if (retract !== undefined) {
      it('retracts a merged part (retract(merge(a, b), b) ≅ a)', () => {
        run(
          fc.property(parts, ([xs, ys, zs]) => {
            const all = [...xs, ...ys, ...zs];
            const left = [...xs, ...ys];
            const a = fold(agg, left);
            const expected = fin(a);
            assertEq(
              fin(retract(agg.merge(fold(agg, left), fold(agg, zs)), fold(agg, zs))),
              expected,
              all,
            );
            // Sliding-window use: add the next tile, retract the oldest one.
            const slid = retract(agg.merge(fold(agg, left), fold(agg, zs)), fold(agg, xs));
            assertEq(fin(slid), fin(fold(agg, [...ys, ...zs])), all);
            // Retracting everything leaves an empty IR.
            const none = retract(fold(agg, left), fold(agg, left));
            expect(agg.isEmpty(none)).toBe(true);
            expect(exact(fin(none), options.emptyValue, [])).toBe(true);
          }),
        );
      });
    } else {
      it('offers no retract (not invertible)', () => {
        expect(agg.retract).toBeUndefined();
      });
    }
  });
}

/** Scalars of every kind, with repeats likely. */
export const anyScalar: fc.Arbitrary<Scalar> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('a', 'b', '1', 'true'),
  fc.boolean(),
);

/** Finite numbers of moderate magnitude, integers and fractions. */
export const moderateNumber: fc.Arbitrary<Scalar> = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
