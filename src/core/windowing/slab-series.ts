import type { Aggregator, PackedSlots, Scalar } from '../aggregation/aggregator.js';
import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Tiles } from './tiles.js';

/**
 * Where an entity's ring of one slab series is described in its `marks` (4 doubles from
 * `SeriesPlan.ringMark`): the block's offset in the slab (in doubles; -1 before the first tile),
 * its capacity in tiles (0 or a power of two), and the absolute indices `[head, end)` of the
 * entity's tiles.
 */
export const RING_BLOCK = 0;
export const RING_CAP = 1;
export const RING_HEAD = 2;
export const RING_END = 3;

/** Marks of an entity with no ring yet (appended to `ViewPlan.initialMarks`). */
export const EMPTY_RING: readonly number[] = [-1, 0, 0, 0];

const INITIAL_SLAB_DOUBLES = 1 << 10;
const NO_MARKS: number[] = [];

/** Where ring marks live: an entity's `marks` array, or a runtime's record slab. */
export type Marks = number[] | Float64Array;

/**
 * The tiles of one fixed-width numeric tile series (`Aggregator.slots`: count, sum, mean, min,
 * max, variance, stddev) for every entity of a partition runtime, in one `Float64Array`: each
 * entity owns a ring of `cap` tiles (a power of two; blocks of a size class are reused through
 * free lists), tile `i` at `block + (i mod cap)·stride` = its start, then its IR (`stride` =
 * 1 + width). A ring doubles when full, halves when a quarter full and is given back when
 * empty; absolute tile indices only grow, so no index ever changes.
 *
 * Settling one entity then reads its `marks` and one contiguous block per series instead of a
 * tile object, its array and the array's backing store per series (three heap objects, scattered
 * once 100k entities are live). The `Tiles` methods act on the entity last passed to `bind`:
 * the runtime handles one entity at a time, so `bind(s.marks)` right before use is enough.
 */
export class SlabSeries implements Tiles {
  private buf: Float64Array;
  /** First never-allocated double. */
  private top = 0;
  /** Free blocks by log2(capacity). */
  private readonly free: number[][] = [];
  private readonly stride: number;
  private m: Marks = NO_MARKS;
  /** Offset of the bound entity's ring marks in `m`. */
  private at: number;

  constructor(
    private readonly slots: PackedSlots,
    /** Offset of this series' ring marks in an entity's `marks`. */
    private readonly ringMark: number,
    initialDoubles: number = INITIAL_SLAB_DOUBLES,
  ) {
    this.at = ringMark;
    this.stride = slots.width + 1;
    this.buf = new Float64Array(Math.max(16, initialDoubles));
  }

  /** Doubles of the slab handed out to blocks so far (free blocks included). */
  get reservedDoubles(): number {
    return this.top;
  }

  /** Makes the `Tiles` methods act on the entity whose marks these are. */
  bind(marks: number[]): this {
    this.m = marks;
    this.at = this.ringMark;
    return this;
  }

  /** Makes the `Tiles` methods act on the ring described at `marks[at..at + 4)` (a record slab). */
  bindAt(marks: Marks, at: number): this {
    this.m = marks;
    this.at = at;
    return this;
  }

  get head(): number {
    return this.m[this.at + RING_HEAD] ?? 0;
  }

  get end(): number {
    return this.m[this.at + RING_END] ?? 0;
  }

  get size(): number {
    return this.end - this.head;
  }

  /** Offset in the slab of tile `i` (its start; the IR follows). */
  private offsetOf(i: number): number {
    const m = this.m;
    const cap = m[this.at + RING_CAP] ?? 1;
    return (m[this.at + RING_BLOCK] ?? 0) + (i & (cap - 1)) * this.stride;
  }

  startAt(i: number): number {
    if (i < this.head || i >= this.end) return Infinity;
    return this.buf[this.offsetOf(i)] ?? Infinity;
  }

  lastStart(): number {
    const end = this.end;
    return end > this.head ? (this.buf[this.offsetOf(end - 1)] ?? -Infinity) : -Infinity;
  }

  update(start: number, _agg: Aggregator, value: Scalar, t: number): void {
    const end = this.end;
    let o = end > this.head ? this.offsetOf(end - 1) : -1;
    if (o < 0 || this.buf[o] !== start) o = this.append(start);
    this.slots.update(this.buf, o + 1, value, t);
  }

  /** Appends an empty tile; returns its offset. */
  private append(start: number): number {
    const m = this.m;
    const at = this.at;
    const end = m[at + RING_END] ?? 0;
    const cap = m[at + RING_CAP] ?? 0;
    if (end - (m[at + RING_HEAD] ?? 0) >= cap) this.resize(cap === 0 ? 1 : cap * 2);
    const o = this.offsetOf(end);
    this.buf[o] = start;
    this.slots.clear(this.buf, o + 1);
    m[at + RING_END] = end + 1;
    return o;
  }

  /** Moves the entity's tiles to a block of `next` tiles (≥ their count, a power of two). */
  private resize(next: number): void {
    const m = this.m;
    const at = this.at;
    const cap = m[at + RING_CAP] ?? 0;
    const block = this.alloc(next);
    const old = m[at + RING_BLOCK] ?? -1;
    const stride = this.stride;
    const head = m[at + RING_HEAD] ?? 0;
    const end = m[at + RING_END] ?? 0;
    for (let i = head; i < end; i++) {
      const from = old + (i & (cap - 1)) * stride;
      this.buf.copyWithin(block + (i & (next - 1)) * stride, from, from + stride);
    }
    if (cap > 0) this.release(old, cap);
    m[at + RING_BLOCK] = block;
    m[at + RING_CAP] = next;
  }

  private alloc(cap: number): number {
    const k = Math.log2(cap);
    const reused = this.free[k]?.pop();
    if (reused !== undefined) return reused;
    const size = cap * this.stride;
    if (this.top + size > this.buf.length) {
      let length = this.buf.length * 2;
      while (length < this.top + size) length *= 2;
      const bigger = new Float64Array(length);
      bigger.set(this.buf.subarray(0, this.top));
      this.buf = bigger;
    }
    const block = this.top;
    this.top += size;
    return block;
  }

  private release(block: number, cap: number): void {
    const k = Math.log2(cap);
    (this.free[k] ??= []).push(block);
  }

  mergeRange(_agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    const { buf, slots } = this;
    for (let i = from; i < to; i++) acc = slots.mergeInto(acc, buf, this.offsetOf(i) + 1);
    return acc;
  }

  retractRange(_agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    const retract = this.slots.retractFrom;
    if (retract === undefined) throw new Error('retract on tiles of a non-invertible aggregation');
    const buf = this.buf;
    for (let i = from; i < to; i++) acc = retract(acc, buf, this.offsetOf(i) + 1);
    return acc;
  }

  unaffectedRange(_agg: Aggregator, whole: unknown, from: number, to: number): boolean {
    const unaffectedBy = this.slots.unaffectedBy;
    if (unaffectedBy === undefined) return false;
    const buf = this.buf;
    for (let i = from; i < to; i++)
      if (!unaffectedBy(whole, buf, this.offsetOf(i) + 1)) return false;
    return true;
  }

  expireRange(): unknown {
    return undefined;
  }

  irAt(i: number): unknown {
    return this.slots.load(this.buf, this.offsetOf(i) + 1);
  }

  decodeTile(start: number, _agg: Aggregator, r: ByteReader): void {
    const o = this.append(start);
    this.slots.decode(r, this.buf, o + 1);
  }

  dropBefore(minStart: number): number {
    const m = this.m;
    const at = this.at;
    const from = m[at + RING_HEAD] ?? 0;
    const end = m[at + RING_END] ?? 0;
    let head = from;
    while (head < end && (this.buf[this.offsetOf(head)] ?? Infinity) < minStart) head++;
    m[at + RING_HEAD] = head;
    const cap = m[at + RING_CAP] ?? 0;
    if (head === end && cap > 0) {
      // Empty: the block goes back to its free list (an idle entity holds no slab space; its
      // next tile starts a one-tile ring).
      this.release(m[at + RING_BLOCK] ?? 0, cap);
      m[at + RING_BLOCK] = -1;
      m[at + RING_CAP] = 0;
    } else if (cap >= 8 && (end - head) * 4 <= cap) {
      // A quarter full after a burst: half the block (a ring holds at most 4× its tiles).
      this.resize(cap / 2);
    }
    return head - from;
  }

  /**
   * Ring indices never move, and never need rebasing: `i & (cap − 1)` is `i mod cap` for every
   * safe integer `i` (ToInt32 keeps `i mod 2^32`, and `cap` divides 2^32).
   */
  compact(): number {
    return 0;
  }

  encodeTo(w: ByteWriter, _agg: Aggregator, tileMs: number): void {
    const { buf, slots } = this;
    const head = this.head;
    const end = this.end;
    w.uvar(end - head);
    if (end === head) return;
    let o = this.offsetOf(head);
    w.svar((buf[o] ?? 0) / tileMs);
    for (let i = head; i < end; i++) {
      slots.encode(buf, o + 1, w);
      if (i + 1 < end) {
        const next = this.offsetOf(i + 1);
        w.svar(((buf[next] ?? 0) - (buf[o] ?? 0)) / tileMs);
        o = next;
      }
    }
  }
}
