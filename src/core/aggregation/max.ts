import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { ScalarSlots } from './scalar-slots.js';

/**
 * `max`: the largest value. IR: a number (immutable), `NaN` while empty — so ±Infinity stay
 * ordinary values. Not invertible. Empty → null. Encoded as `num` (bytes.ts; NaN round-trips as NaN).
 * Ties (including 0 vs -0) keep the earlier value.
 */
export class MaxAggregator implements Aggregator<number> {
  readonly op = 'max';
  /** Tiles keep the count/extreme packed, one double per tile. */
  readonly slots: ScalarSlots = new ScalarSlots(this);

  empty(): number {
    return Number.NaN;
  }

  isEmpty(ir: number): boolean {
    return Number.isNaN(ir);
  }

  update(ir: number, value: Scalar, _t: number): number {
    const v = value as number;
    // `!(ir >= v)` is true when v is larger or when ir is NaN (empty).
    return !(ir >= v) ? v : ir;
  }

  merge(a: number, b: number): number {
    return !(a >= b) && !Number.isNaN(b) ? b : a;
  }

  /** The window's max is strictly larger than the expiring part's (or the part is empty). */
  unaffectedBy(whole: number, part: number): boolean {
    return Number.isNaN(part) || part < whole;
  }

  clone(ir: number): number {
    return ir;
  }

  finalize(ir: number): FeatureValue {
    return Number.isNaN(ir) ? null : ir;
  }

  encode(ir: number, w: ByteWriter): void {
    w.num(ir);
  }

  decode(r: ByteReader): number {
    return r.num();
  }
}
