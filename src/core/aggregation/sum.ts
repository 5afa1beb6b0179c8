import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, AggOp, FeatureValue, Scalar } from './aggregator.js';

/** IR of `sum` and `mean`: `Float64Array [n, sum]`, mutated in place. */
export type SumState = Float64Array;

/**
 * `sum`: the plain double sum of the values. IR: `SumState [n, sum]` (mutable) — n is kept so
 * that `isEmpty` means "no events" (a tile whose values cancel out to 0 is not empty) and so that
 * retracting everything gives exactly 0, with no rounding residue. Invertible. Empty → 0.
 * Encoded as a varint n and an f64 sum (bit-exact round trip).
 *
 * Accuracy: sums of integers are exact while every partial sum stays within ±2^53. Float sums
 * carry ordinary rounding error, bounded by about n·ε·Σ|xᵢ| (ε = 2^-53); the same absolute bound
 * holds after `retract`, which subtracts.
 */
export class SumAggregator implements Aggregator<SumState> {
  readonly op: AggOp = 'sum';

  empty(): SumState {
    return new Float64Array(2);
  }

  isEmpty(ir: SumState): boolean {
    return ir[0] === 0;
  }

  update(ir: SumState, value: Scalar, _t: number): SumState {
    ir[0] = (ir[0] ?? 0) + 1;
    ir[1] = (ir[1] ?? 0) + (value as number);
    return ir;
  }

  merge(a: SumState, b: SumState): SumState {
    a[0] = (a[0] ?? 0) + (b[0] ?? 0);
    a[1] = (a[1] ?? 0) + (b[1] ?? 0);
    return a;
  }

  retract(a: SumState, b: SumState): SumState {
    const n = (a[0] ?? 0) - (b[0] ?? 0);
    a[0] = n;
    a[1] = n === 0 ? 0 : (a[1] ?? 0) - (b[1] ?? 0);
    return a;
  }

  clone(ir: SumState): SumState {
    return ir.slice();
  }

  finalize(ir: SumState): FeatureValue {
    return ir[0] === 0 ? 0 : (ir[1] ?? 0);
  }

  encode(ir: SumState, w: ByteWriter): void {
    w.uvar(ir[0] ?? 0);
    w.f64(ir[1] ?? 0);
  }

  decode(r: ByteReader): SumState {
    const ir = new Float64Array(2);
    ir[0] = r.uvar();
    ir[1] = r.f64();
    return ir;
  }
}
