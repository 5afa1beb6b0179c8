import type { Aggregator, PackedSlots, Scalar } from '../aggregation/aggregator.js';
import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Tiles } from './tiles.js';

/**
 * Tiles of a fixed-width numeric IR (`Aggregator.slots`) in one plain array of doubles: tile `i`
 * is `buf[i·s]` = its start, then its IR in `buf[i·s + 1 .. i·s + s)` (`s` = 1 + width), and
 * `buf.length` is always `end · s`. V8 keeps the array unboxed in one heap object, so an entity's
 * series costs one object instead of two arrays plus an object per tile, and reading a window
 * walks contiguous memory. Persisting encodes the doubles directly (no byte cache needed).
 */
export class PackedTiles implements Tiles {
  private buf: number[] = [];
  private readonly stride: number;
  head = 0;
  end = 0;

  constructor(private readonly slots: PackedSlots) {
    this.stride = slots.width + 1;
  }

  get size(): number {
    return this.end - this.head;
  }

  startAt(i: number): number {
    return this.buf[i * this.stride] ?? Infinity;
  }

  lastStart(): number {
    return this.end > this.head ? (this.buf[(this.end - 1) * this.stride] ?? -Infinity) : -Infinity;
  }

  update(start: number, _agg: Aggregator, value: Scalar, t: number): void {
    let o = (this.end - 1) * this.stride;
    if (this.end === this.head || this.buf[o] !== start) o = this.append(start);
    this.slots.update(this.buf, o + 1, value, t);
  }

  /** Appends an empty tile; returns its offset. */
  private append(start: number): number {
    const o = this.end * this.stride;
    this.buf[o] = start;
    this.slots.clear(this.buf, o + 1);
    this.end++;
    return o;
  }

  mergeRange(_agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    const { buf, slots, stride } = this;
    for (let i = from; i < to; i++) acc = slots.mergeInto(acc, buf, i * stride + 1);
    return acc;
  }

  retractRange(_agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    const retract = this.slots.retractFrom;
    if (retract === undefined) throw new Error('retract on tiles of a non-invertible aggregation');
    const { buf, stride } = this;
    for (let i = from; i < to; i++) acc = retract(acc, buf, i * stride + 1);
    return acc;
  }

  unaffectedRange(_agg: Aggregator, whole: unknown, from: number, to: number): boolean {
    const unaffectedBy = this.slots.unaffectedBy;
    if (unaffectedBy === undefined) return false;
    const { buf, stride } = this;
    for (let i = from; i < to; i++) if (!unaffectedBy(whole, buf, i * stride + 1)) return false;
    return true;
  }

  expireRange(): unknown {
    return undefined;
  }

  irAt(i: number): unknown {
    return this.slots.load(this.buf, i * this.stride + 1);
  }

  decodeTile(start: number, _agg: Aggregator, r: ByteReader): void {
    const o = this.append(start);
    this.slots.decode(r, this.buf, o + 1);
  }

  dropBefore(minStart: number): number {
    const from = this.head;
    while (this.head < this.end && (this.buf[this.head * this.stride] ?? Infinity) < minStart)
      this.head++;
    return this.head - from;
  }

  compact(): number {
    const shift = this.head;
    if (shift < 8 || shift * 2 < this.end) return 0;
    const { buf, stride } = this;
    buf.copyWithin(0, shift * stride, this.end * stride);
    this.end -= shift;
    buf.length = this.end * stride;
    this.head = 0;
    return shift;
  }

  encodeTo(w: ByteWriter, _agg: Aggregator, tileMs: number): void {
    const { buf, slots, stride, head, end } = this;
    w.uvar(end - head);
    if (end === head) return;
    w.svar((buf[head * stride] ?? 0) / tileMs);
    for (let i = head; i < end; i++) {
      const o = i * stride;
      slots.encode(buf, o + 1, w);
      if (i + 1 < end) w.svar(((buf[o + stride] ?? 0) - (buf[o] ?? 0)) / tileMs);
    }
  }
}
