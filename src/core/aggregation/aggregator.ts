import type { ByteReader, ByteWriter } from '../encoding/bytes.js';

/** A value a feature can take once finalized. Lists (lastN) are arrays of scalars. */
export type Scalar = number | string | boolean;
export type FeatureValue = Scalar | readonly Scalar[] | null;

/** The aggregation operations of the DSL. One implementation file per op. */
export type AggOp =
  | 'count'
  | 'sum'
  | 'mean'
  | 'min'
  | 'max'
  | 'first'
  | 'last'
  | 'variance'
  | 'stddev'
  | 'distinctCount'
  | 'quantile'
  | 'lastN';

/**
 * A mergeable aggregation over an intermediate representation (IR) — the contract of
 * semantics.md "Aggregations". The concrete aggregator is chosen once, when a topology is
 * compiled; the per-event loop only calls `update`.
 *
 * Laws (property-tested for every implementation):
 * - `merge(empty(), a) ≅ a` and `merge(a, empty()) ≅ a`
 * - `merge(merge(a, b), c) ≅ merge(a, merge(b, c))`
 * - `fold(xs ++ ys) ≅ merge(fold(xs), fold(ys))` where `fold` applies `update` in order
 * - `retract(merge(a, b), b) ≅ a` where `retract` is offered
 * - `decode(encode(a)) ≅ a`
 * (≅: equal finalized value; exact for counts and integer sums, 1e-9 relative for floats.)
 *
 * Ordering: `update` is called in event-time order (ties in arrival order); `merge(a, b)` treats
 * `a` as the earlier part. `first` keeps the earliest event (ties: the earlier arrival), `last`
 * the latest (ties: the later arrival); `t` is the event time in epoch milliseconds.
 *
 * IRs are mutable: `update`, `merge` and `retract` may mutate their first argument and return
 * it (or return a new IR for immutable representations such as plain numbers). They never
 * mutate other arguments. Callers always use the returned IR.
 */
export interface Aggregator<IR = unknown> {
  readonly op: AggOp;
  /**
   * Names the IR and its update rule when several ops share them (`sum` and `mean` both keep
   * `[n, sum, c]`; `variance` and `stddev` the same moments): windows of such ops over the same
   * field and tile size read one tile series. Absent: the IR belongs to this op alone.
   */
  readonly irKind?: string;
  /** A fresh IR representing no events. */
  empty(): IR;
  /** True when the IR holds no events (so a tile can be dropped). */
  isEmpty(ir: IR): boolean;
  /** Adds one input value at event time `t`. `value` has already been validated for the op. */
  update(ir: IR, value: Scalar, t: number): IR;
  /** Merges `b` (the later part) into `a` (the earlier part). */
  merge(a: IR, b: IR): IR;
  /** Removes `b` from `a`, where `a` was built by merging `b` in. Present only when invertible. */
  readonly retract?: (a: IR, b: IR) => IR;
  /**
   * For ops without `retract`: true when `whole` — built by merging the earlier part `part` with
   * later parts — is exactly what the later parts alone would give, so a window can drop `part`
   * without re-merging its remaining tiles (e.g. max: the expiring tile's max is below the
   * window's). False when unsure. Law: `unaffectedBy(merge(a, b), a) ⇒ merge(a, b) ≅ b`.
   */
  readonly unaffectedBy?: (whole: IR, part: IR) => boolean;
  /**
   * For ops without `retract` (sketches): a sliding window's tiles `tiles[from..to)` leave it
   * while `tiles[to..end)` stay; `whole` holds every event of `tiles[from..end)`. Returns what
   * merging `tiles[to..end)` alone would give (possibly `whole`, mutated) — or undefined when
   * that cannot be had exactly without the merge (then `whole` may have been changed and the
   * caller re-merges the remaining tiles). Law: when defined,
   * `expire(fold(tiles[from..end)), tiles, from, to, end) ≅ fold(tiles[to..end))`, exactly.
   */
  readonly expire?: (
    whole: IR,
    tiles: readonly IR[],
    from: number,
    to: number,
    end: number,
  ) => IR | undefined;
  /** An independent copy. */
  clone(ir: IR): IR;
  /**
   * Optional: releases spare capacity of a closed tile's IR (it is only read from then on) —
   * the same value, less memory. Absent when the IR has none.
   */
  readonly trim?: (ir: IR) => IR;
  /** The feature value; the op's empty value for an empty IR (see semantics.md). */
  finalize(ir: IR): FeatureValue;
  /** Appends the IR's bytes (self-delimiting). */
  encode(ir: IR, w: ByteWriter): void;
  /** Reads one IR written by `encode`. */
  decode(r: ByteReader): IR;
  /**
   * Present when the IR is a fixed number of doubles: tile series of this op then keep their
   * tiles in rings of one shared `Float64Array` (see `core/windowing/slab-series.ts`) instead of
   * one heap object per tile. Running aggregates stay ordinary IRs.
   */
  readonly slots?: PackedSlots<IR>;
}

/**
 * The IR of an aggregator laid out as `width` doubles at `buf[off..off + width)` of a
 * `Float64Array` (a tile slab). Each operation equals the
 * aggregator's own on the IR `load(buf, off)` would give — the same values and the same bytes
 * (`encode`), so packed and object tiles are interchangeable in state. The caller provides
 * room: a typed array drops writes past its end.
 */
export interface PackedSlots<IR = unknown> {
  readonly width: number;
  /** Writes `empty()`. */
  clear(buf: Float64Array, off: number): void;
  /** `update` in place. */
  update(buf: Float64Array, off: number, value: Scalar, t: number): void;
  /** A fresh IR holding the slot's value. */
  load(buf: Float64Array, off: number): IR;
  /** Writes `ir` into the slot (the inverse of `load`). */
  store(buf: Float64Array, off: number, ir: IR): void;
  /** `merge(acc, slot)`. */
  mergeInto(acc: IR, buf: Float64Array, off: number): IR;
  /** `retract(acc, slot)`; present when the aggregator has `retract`. */
  readonly retractFrom?: (acc: IR, buf: Float64Array, off: number) => IR;
  /** `unaffectedBy(whole, slot)`; present when the aggregator has `unaffectedBy`. */
  readonly unaffectedBy?: (whole: IR, buf: Float64Array, off: number) => boolean;
  /** Writes exactly the bytes `encode(load(buf, off))` writes. */
  encode(buf: Float64Array, off: number, w: ByteWriter): void;
  /** Reads what `encode` wrote into the slot. */
  decode(r: ByteReader, buf: Float64Array, off: number): void;
}

/** Parameters a concrete aggregator may need; fixed at compile time. */
export interface AggParams {
  /** quantile: q in [0, 1]. */
  readonly q?: number;
  /** lastN: how many values to keep (1..1000). */
  readonly n?: number;
  /** quantile: relative accuracy of the sketch (default 0.01). */
  readonly relativeAccuracy?: number;
  /** distinctCount: HyperLogLog precision bits (default 12). */
  readonly precision?: number;
}
