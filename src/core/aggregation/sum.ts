import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, AggOp, FeatureValue, Scalar } from './aggregator.js';

/** IR of `sum` and `mean`: `[n, sum, compensation]`, a plain (double-packed) array mutated in place. */
export type SumState = number[];

/** Adds `x` to a compensated sum (Neumaier's variant of Kahan summation). */
function add(ir: SumState, x: number): void {
  const s = ir[1] ?? 0;
  const t = s + x;
  ir[2] = (ir[2] ?? 0) + (Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s);
  ir[1] = t;
}

/**
 * `sum`: the compensated (Neumaier) sum of the values. IR: `SumState [n, sum, c]` (mutable); the
 * value is `sum + c`. n is kept so that "no events" is exact (a tile whose values cancel out is
 * not empty) and so that retracting everything gives exactly 0. Invertible: `retract` subtracts
 * with compensation, so a sliding window retracting expired tiles keeps an error of about
 * 2ε·|value| + O(k·ε²)·Σ|xᵢ| after k operations — far inside the 1e-9 relative contract even when
 * the window value is small next to what passed through it. Integer sums are exact while every
 * partial sum stays within ±2^53. Empty → 0. Encoded as a varint `2n + (c ≠ 0)`, the sum as `num` (a
 * short decimal as a varint, else f64; bytes.ts) and the compensation as f64 only when it is not 0 (bit-exact; most tiles carry none).
 */
export class SumAggregator implements Aggregator<SumState> {
  readonly op: AggOp = 'sum';
  readonly irKind = 'sum';

  empty(): SumState {
    return [0, 0, 0];
  }

  isEmpty(ir: SumState): boolean {
    return ir[0] === 0;
  }

  update(ir: SumState, value: Scalar, _t: number): SumState {
    ir[0] = (ir[0] ?? 0) + 1;
    add(ir, value as number);
    return ir;
  }

  merge(a: SumState, b: SumState): SumState {
    a[0] = (a[0] ?? 0) + (b[0] ?? 0);
    add(a, b[1] ?? 0);
    add(a, b[2] ?? 0);
    return a;
  }

  retract(a: SumState, b: SumState): SumState {
    const n = (a[0] ?? 0) - (b[0] ?? 0);
    a[0] = n;
    if (n === 0) {
      a[1] = 0;
      a[2] = 0;
    } else {
      add(a, -(b[1] ?? 0));
      add(a, -(b[2] ?? 0));
    }
    return a;
  }

  clone(ir: SumState): SumState {
    return [ir[0] ?? 0, ir[1] ?? 0, ir[2] ?? 0];
  }

  /** The compensated total. */
  protected total(ir: SumState): number {
    return (ir[1] ?? 0) + (ir[2] ?? 0);
  }

  finalize(ir: SumState): FeatureValue {
    return ir[0] === 0 ? 0 : this.total(ir);
  }

  /** `2n + (c ≠ 0)` as a varint, the sum, and the compensation only when it is not 0. */
  encode(ir: SumState, w: ByteWriter): void {
    const c = ir[2] ?? 0;
    const compensated = c !== 0 || Object.is(c, -0);
    w.uvar(2 * (ir[0] ?? 0) + (compensated ? 1 : 0));
    w.num(ir[1] ?? 0);
    if (compensated) w.f64(c);
  }

  decode(r: ByteReader): SumState {
    const head = r.uvar();
    const s = r.num();
    return [Math.floor(head / 2), s, head % 2 === 1 ? r.f64() : 0];
  }
}
