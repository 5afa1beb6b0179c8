import type { Aggregator, Scalar } from '../aggregation/aggregator.js';
import type { ByteReader, ByteWriter } from '../encoding/bytes.js';

/**
 * The non-empty tiles of one tile series for one entity, oldest first. Tiles are only appended
 * (settling runs in event-time order) and dropped from the front once no window can read them.
 * Indices are absolute positions `[head, end)`; `compact()` shifts them and reports by how much.
 * Only the last tile can still change: an event settles at a time ≥ every tile start.
 *
 * Two layouts, chosen per series by its aggregator: `SlabSeries` when the IR is a fixed
 * number of doubles (`Aggregator.slots`: count, sum, mean, min, max, variance, stddev) — each
 * entity's tiles (start and IR) in a ring of one `Float64Array` shared by the runtime's entities; `TileDeque` otherwise (sketches, first/last,
 * lastN) — one IR object per tile, closed tiles' bytes cached for persisting.
 *
 * Series bytes (entity state): `uvar(size)`, `svar(first start / R)`, then per tile its IR
 * followed, except after the last, by `svar(Δ start / R)`.
 */
export interface Tiles {
  readonly head: number;
  readonly end: number;
  readonly size: number;
  /** Start of tile `i` (`head ≤ i < end`). */
  startAt(i: number): number;
  /** Start of the last tile, -Infinity when empty. */
  lastStart(): number;
  /** Adds one event at time `t` to the tile starting at `start` (appended unless it is the last). */
  update(start: number, agg: Aggregator, value: Scalar, t: number): void;
  /** `acc` merged with tiles `[from, to)` in order. */
  mergeRange(agg: Aggregator, acc: unknown, from: number, to: number): unknown;
  /** `acc` with tiles `[from, to)` retracted (`agg.retract` must exist). */
  retractRange(agg: Aggregator, acc: unknown, from: number, to: number): unknown;
  /** `agg.unaffectedBy(whole, tile)` for every tile in `[from, to)` (false without it). */
  unaffectedRange(agg: Aggregator, whole: unknown, from: number, to: number): boolean;
  /** `agg.expire(whole, tiles, from, to, end)`; undefined when it declines or is absent. */
  expireRange(agg: Aggregator, whole: unknown, from: number, to: number): unknown;
  /** Tile `i`'s IR, to read only (a copy for packed tiles). */
  irAt(i: number): unknown;
  /** Appends a tile read from entity-state bytes. */
  decodeTile(start: number, agg: Aggregator, r: ByteReader): void;
  /** Drops tiles starting before `minStart`; returns how many. */
  dropBefore(minStart: number, agg: Aggregator, tileMs: number): number;
  /** Reclaims dropped slots when worthwhile; returns the shift to subtract from absolute indices. */
  compact(): number;
  /** Writes the series' bytes (format above), starts in units of `tileMs`. */
  encodeTo(w: ByteWriter, agg: Aggregator, tileMs: number): void;
}
