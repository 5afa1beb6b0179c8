import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, PackedSlots, Scalar } from './aggregator.js';

/**
 * Packed slots of an aggregator whose IR is one immutable number (count, min, max): the slot is
 * the IR itself, so every operation is the aggregator's own on `buf[off]`.
 */
export class ScalarSlots implements PackedSlots<number> {
  readonly width = 1;
  readonly retractFrom?: (acc: number, buf: Float64Array, off: number) => number;
  readonly unaffectedBy?: (whole: number, buf: Float64Array, off: number) => boolean;

  constructor(private readonly agg: Omit<Aggregator<number>, 'slots'>) {
    const retract = agg.retract;
    if (retract !== undefined) {
      const r = retract.bind(agg);
      this.retractFrom = (acc, buf, off) => r(acc, buf[off] ?? 0);
    }
    const unaffectedBy = agg.unaffectedBy;
    if (unaffectedBy !== undefined) {
      const u = unaffectedBy.bind(agg);
      this.unaffectedBy = (whole, buf, off) => u(whole, buf[off] ?? Number.NaN);
    }
  }

  clear(buf: Float64Array, off: number): void {
    buf[off] = this.agg.empty();
  }

  update(buf: Float64Array, off: number, value: Scalar, t: number): void {
    buf[off] = this.agg.update(buf[off] ?? 0, value, t);
  }

  load(buf: Float64Array, off: number): number {
    return buf[off] ?? 0;
  }

  store(buf: Float64Array, off: number, ir: number): void {
    buf[off] = ir;
  }

  mergeInto(acc: number, buf: Float64Array, off: number): number {
    return this.agg.merge(acc, buf[off] ?? 0);
  }

  encode(buf: Float64Array, off: number, w: ByteWriter): void {
    this.agg.encode(buf[off] ?? 0, w);
  }

  decode(r: ByteReader, buf: Float64Array, off: number): void {
    buf[off] = this.agg.decode(r);
  }
}
