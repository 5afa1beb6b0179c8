import type { Aggregator, Scalar } from '../aggregation/aggregator.js';
import type { ByteReader } from '../encoding/bytes.js';
import { ByteWriter } from '../encoding/bytes.js';
import type { Tiles } from './tiles.js';
import { appendExact } from '../values/exact-array.js';

/** Scratch writer for encoding one closed tile into a deque's cache (the core is single-threaded per isolate). */
const scratch = new ByteWriter(256);
const NO_BYTES = new Uint8Array(0);

/**
 * Tiles whose IRs are objects (sketches, first/last, lastN): `starts` and `irs` in parallel
 * arrays (the `Tiles` contract in tiles.ts).
 *
 * Only the last tile can still change, so the encoding of every other ("closed") tile is kept:
 * `encodeTo` copies the closed tiles' bytes in one block and encodes only the open tile (and
 * tiles that closed since the last call). Persisting an entity's state each batch then costs a
 * copy, not a walk over every tile's IR (with ~200 tiles per fraud-topology card, each IR a
 * separate heap object, that walk was the largest single cost per event).
 */
export class TileDeque implements Tiles {
  starts: number[] = [];
  irs: unknown[] = [];
  head = 0;
  /**
   * Cached bytes of the closed tiles `[cacheFirst, cacheEnd)` at `cache[cacheFrom, cacheTo)`:
   * per tile its IR, then svar(delta to the next tile's start / R). `dropBefore` keeps
   * `head ≤ cacheFirst ≤ cacheEnd`, so the cache never holds a dropped tile.
   */
  private cache: Uint8Array = NO_BYTES;
  private cacheFirst = 0;
  private cacheEnd = 0;
  private cacheFrom = 0;
  private cacheTo = 0;

  get size(): number {
    return this.starts.length - this.head;
  }

  get end(): number {
    return this.starts.length;
  }

  lastStart(): number {
    return this.starts.length > this.head
      ? (this.starts[this.starts.length - 1] ?? -Infinity)
      : -Infinity;
  }

  startAt(i: number): number {
    return this.starts[i] ?? Infinity;
  }

  /** Appends a tile; the previous last tile is closed from now on (its IR trimmed). */
  push(start: number, ir: unknown, agg: Aggregator): void {
    const last = this.starts.length - 1;
    const trim = agg.trim;
    if (trim !== undefined && last >= this.head) this.irs[last] = trim.call(agg, this.irs[last]);
    this.starts = appendExact(this.starts, start);
    this.irs = appendExact(this.irs, ir);
  }

  update(start: number, agg: Aggregator, value: Scalar, t: number): void {
    if (this.lastStart() !== start) this.push(start, agg.empty(), agg);
    const last = this.starts.length - 1;
    this.irs[last] = agg.update(this.irs[last], value, t);
  }

  mergeRange(agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    for (let i = from; i < to; i++) acc = agg.merge(acc, this.irs[i]);
    return acc;
  }

  retractRange(agg: Aggregator, acc: unknown, from: number, to: number): unknown {
    const retract = agg.retract;
    if (retract === undefined) throw new Error(`retract on tiles of ${agg.op}`);
    for (let i = from; i < to; i++) acc = retract.call(agg, acc, this.irs[i]);
    return acc;
  }

  unaffectedRange(agg: Aggregator, whole: unknown, from: number, to: number): boolean {
    const unaffectedBy = agg.unaffectedBy;
    if (unaffectedBy === undefined) return false;
    for (let i = from; i < to; i++) if (!unaffectedBy.call(agg, whole, this.irs[i])) return false;
    return true;
  }

  expireRange(agg: Aggregator, whole: unknown, from: number, to: number): unknown {
    return agg.expire?.(whole, this.irs, from, to, this.starts.length);
  }

  irAt(i: number): unknown {
    return this.irs[i];
  }

  decodeTile(start: number, agg: Aggregator, r: ByteReader): void {
    this.push(start, agg.decode(r), agg);
  }

  /**
   * Drops tiles starting before `minStart`; returns how many. `agg` and `tileMs` are the series'
   * (a dropped cached tile is encoded once more to learn how many cached bytes it held).
   */
  dropBefore(minStart: number, agg: Aggregator, tileMs: number): number {
    const from = this.head;
    while (this.head < this.starts.length && (this.starts[this.head] ?? Infinity) < minStart) {
      if (this.head === this.cacheFirst && this.cacheFirst < this.cacheEnd) {
        this.cacheFrom += this.encodeClosed(this.head, agg, tileMs);
        this.cacheFirst++;
      }
      this.irs[this.head] = undefined;
      this.head++;
    }
    if (this.cacheFirst < this.head) this.clearCache();
    return this.head - from;
  }

  /** Reclaims dropped slots when worthwhile; returns the shift to subtract from absolute indices. */
  compact(): number {
    const shift = this.head;
    if (shift < 32 || shift * 2 < this.starts.length) return 0;
    this.starts = this.starts.slice(shift);
    this.irs = this.irs.slice(shift);
    this.cacheFirst -= shift;
    this.cacheEnd -= shift;
    this.head = 0;
    return shift;
  }

  /** Writes the series (format: see tiles.ts), `agg` encoding the IRs, starts in units of `tileMs`. */
  encodeTo(w: ByteWriter, agg: Aggregator, tileMs: number): void {
    const size = this.starts.length - this.head;
    w.uvar(size);
    if (size === 0) return;
    const last = this.starts.length - 1;
    w.svar((this.starts[this.head] ?? 0) / tileMs);
    if (this.cacheEnd < last) this.fill(agg, tileMs, last);
    if (this.cacheTo > this.cacheFrom) w.bytesOf(this.cache, this.cacheFrom, this.cacheTo);
    agg.encode(this.irs[last], w);
  }

  private clearCache(): void {
    this.cacheFirst = this.cacheEnd = this.head;
    this.cacheFrom = this.cacheTo = 0;
  }

  /** Encodes closed tile `i` (IR, delta to the next start) into the scratch writer; returns its length. */
  private encodeClosed(i: number, agg: Aggregator, tileMs: number): number {
    scratch.reset();
    agg.encode(this.irs[i], scratch);
    scratch.svar(((this.starts[i + 1] ?? 0) - (this.starts[i] ?? 0)) / tileMs);
    return scratch.length;
  }

  /** Caches the bytes of the closed tiles `[cacheEnd, last)`. */
  private fill(agg: Aggregator, tileMs: number, last: number): void {
    for (let i = this.cacheEnd; i < last; i++) {
      const n = this.encodeClosed(i, agg, tileMs);
      if (this.cacheTo + n > this.cache.length) this.regrow(n);
      scratch.copyTo(this.cache, this.cacheTo);
      this.cacheTo += n;
    }
    this.cacheEnd = last;
  }

  /** Moves the live cached bytes to the front of a buffer with room for `extra` more. */
  private regrow(extra: number): void {
    const live = this.cacheTo - this.cacheFrom;
    const need = live + extra;
    const next = need <= this.cache.length ? this.cache : new Uint8Array(Math.max(32, 2 * need));
    next.set(this.cache.subarray(this.cacheFrom, this.cacheTo));
    this.cache = next;
    this.cacheFrom = 0;
    this.cacheTo = live;
  }
}
