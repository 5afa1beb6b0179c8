import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { ScalarSlots } from './scalar-slots.js';

/**
 * `count`: the number of events. IR: a non-negative integer (immutable number). Invertible.
 * Empty → 0. Encoded as an unsigned varint.
 */
export class CountAggregator implements Aggregator<number> {
  readonly op = 'count';
  /** Tiles keep the count/extreme packed, one double per tile. */
  readonly slots: ScalarSlots = new ScalarSlots(this);

  empty(): number {
    return 0;
  }

  isEmpty(ir: number): boolean {
    return ir === 0;
  }

  update(ir: number, _value: Scalar, _t: number): number {
    return ir + 1;
  }

  merge(a: number, b: number): number {
    return a + b;
  }

  retract(a: number, b: number): number {
    return a - b;
  }

  clone(ir: number): number {
    return ir;
  }

  finalize(ir: number): FeatureValue {
    return ir;
  }

  encode(ir: number, w: ByteWriter): void {
    w.uvar(ir);
  }

  decode(r: ByteReader): number {
    return r.uvar();
  }
}
