import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, AggOp, FeatureValue, PackedSlots, Scalar } from './aggregator.js';

/** IR of `sum` and `mean`: `[n, sum, compensation]`, a plain (double-packed) array mutated in place. */
export type SumState = number[];

/** Doubles indexable from an offset: an IR array, or a packed tile buffer (`PackedSlots`). */
type Doubles = { [i: number]: number };

/** Adds `x` to the compensated sum at `a[o + 1]`, `a[o + 2]` (Neumaier's variant of Kahan summation). */
function add(a: Doubles, o: number, x: number): void {
  const s = a[o + 1] ?? 0;
  const t = s + x;
  a[o + 2] = (a[o + 2] ?? 0) + (Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s);
  a[o + 1] = t;
}

/** `[n, sum, c]` at `a[o..]` += one value. */
function updateAt(a: Doubles, o: number, x: number): void {
  a[o] = (a[o] ?? 0) + 1;
  add(a, o, x);
}

/** `a[ao..]` merged with `b[bo..]` (the later part). */
function mergeAt(a: Doubles, ao: number, b: Doubles, bo: number): void {
  a[ao] = (a[ao] ?? 0) + (b[bo] ?? 0);
  add(a, ao, b[bo + 1] ?? 0);
  add(a, ao, b[bo + 2] ?? 0);
}

/** `a[ao..]` with `b[bo..]` retracted; exactly 0 once nothing is left. */
function retractAt(a: Doubles, ao: number, b: Doubles, bo: number): void {
  const n = (a[ao] ?? 0) - (b[bo] ?? 0);
  a[ao] = n;
  if (n === 0) {
    a[ao + 1] = 0;
    a[ao + 2] = 0;
  } else {
    add(a, ao, -(b[bo + 1] ?? 0));
    add(a, ao, -(b[bo + 2] ?? 0));
  }
}

/** `2n + (c ≠ 0)` as a varint, the sum, and the compensation only when it is not 0. */
function encodeAt(a: Doubles, o: number, w: ByteWriter): void {
  const c = a[o + 2] ?? 0;
  const compensated = c !== 0 || Object.is(c, -0);
  w.uvar(2 * (a[o] ?? 0) + (compensated ? 1 : 0));
  w.num(a[o + 1] ?? 0);
  if (compensated) w.f64(c);
}

function decodeAt(r: ByteReader, a: Doubles, o: number): void {
  const head = r.uvar();
  a[o] = Math.floor(head / 2);
  a[o + 1] = r.num();
  a[o + 2] = head % 2 === 1 ? r.f64() : 0;
}

/** Sum tiles packed as three doubles `[n, sum, c]`, by the same functions as the IR arrays. */
class SumSlots implements PackedSlots<SumState> {
  readonly width = 3;

  clear(buf: Float64Array, off: number): void {
    buf[off] = 0;
    buf[off + 1] = 0;
    buf[off + 2] = 0;
  }

  update(buf: Float64Array, off: number, value: Scalar, _t: number): void {
    updateAt(buf, off, value as number);
  }

  load(buf: Float64Array, off: number): SumState {
    return [buf[off] ?? 0, buf[off + 1] ?? 0, buf[off + 2] ?? 0];
  }

  store(buf: Float64Array, off: number, ir: SumState): void {
    buf[off] = ir[0] ?? 0;
    buf[off + 1] = ir[1] ?? 0;
    buf[off + 2] = ir[2] ?? 0;
  }

  mergeInto(acc: SumState, buf: Float64Array, off: number): SumState {
    mergeAt(acc, 0, buf, off);
    return acc;
  }

  readonly retractFrom = (acc: SumState, buf: Float64Array, off: number): SumState => {
    retractAt(acc, 0, buf, off);
    return acc;
  };

  encode(buf: Float64Array, off: number, w: ByteWriter): void {
    encodeAt(buf, off, w);
  }

  decode(r: ByteReader, buf: Float64Array, off: number): void {
    decodeAt(r, buf, off);
  }
}

const SUM_SLOTS = new SumSlots();

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
  readonly slots: PackedSlots<SumState> = SUM_SLOTS;

  empty(): SumState {
    return [0, 0, 0];
  }

  isEmpty(ir: SumState): boolean {
    return ir[0] === 0;
  }

  update(ir: SumState, value: Scalar, _t: number): SumState {
    updateAt(ir, 0, value as number);
    return ir;
  }

  merge(a: SumState, b: SumState): SumState {
    mergeAt(a, 0, b, 0);
    return a;
  }

  retract(a: SumState, b: SumState): SumState {
    retractAt(a, 0, b, 0);
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

  encode(ir: SumState, w: ByteWriter): void {
    encodeAt(ir, 0, w);
  }

  decode(r: ByteReader): SumState {
    const ir: SumState = [0, 0, 0];
    decodeAt(r, ir, 0);
    return ir;
  }
}
