import type { FeatureValue, Scalar } from '../aggregation/aggregator.js';
import { SCALAR_ABSENT, readScalarBody, writeScalar } from '../aggregation/scalar-codec.js';
import { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { SlabSeries } from './slab-series.js';
import { TileDeque } from './tile-deque.js';
import type { Tiles } from './tiles.js';
import { HEAD, LEAVE } from './view-plan.js';
import type { SeriesPlan, ViewPlan } from './view-plan.js';
import { firstTileFrom, windowStart } from './window-steps.js';
import type { PendingEvent } from './window-steps.js';

export type { PendingEvent };

/**
 * The pending list of every entity without pending events: one shared array, so settling an
 * entity that only decays reads a hot object instead of a cold one of its own.
 */
export const NO_PENDING: readonly PendingEvent[] = [];

/**
 * Everything the engine keeps for one entity of one view:
 * - settled state as of `settled` (S): tiles per series, a running aggregate per sliding and
 *   lifetime feature (sliding runnings cover exactly the tiles in the window as of S),
 * - `pending`: applied events with time > S, in (time, arrival) order,
 * - `latest`: max applied event time; `onlineAsOf`: the time the online values are exact at,
 * - `fence`: the highest source offset applied (replays skip offsets ≤ fence).
 */
export class EntityState {
  fence = -1;
  latest = -Infinity;
  settled = -Infinity;
  onlineAsOf = -Infinity;
  /** Object tiles per series (undefined where the series is a slab); shared when there are none. */
  private readonly deques: readonly (TileDeque | undefined)[];
  readonly running: unknown[];
  /**
   * Per feature its window head, leave time, shown tumbling tile and stale flag, then per tile
   * series when its oldest tile can be dropped (start + keepMs; Infinity when empty) — the
   * layout of `view-plan.ts` (HEAD, LEAVE, SHOWN, STALE). Leave and drop times are kept so
   * settling touches only the tile series whose windows move, not every series of the entity.
   */
  readonly marks: number[];
  /** `NO_PENDING` (shared, never mutated) when empty; else an array this entity owns. */
  pending: readonly PendingEvent[] = NO_PENDING;
  /** Next time (> settled) at which some window's content changes without an event. */
  nextBoundary = Infinity;
  /** Bucket this entity is scheduled in (timer queue), NaN when unscheduled. */
  scheduled = Number.NaN;
  /** Online values changed since the last `takeDirty`. */
  dirty = false;
  /** Events were applied since the state was last persisted (decays alone need no new state). */
  stateDirty = false;
  /** The state exists in the online store (restored, or written at least once). */
  persisted = false;
  /** Values of the last history row (as of `settled`), reused when online equals settled. */
  lastRow: FeatureValue[] | undefined;

  constructor(
    readonly key: string,
    plan: ViewPlan,
    /** The runtime's slabs, where this entity's fixed-width tiles live (`createSlabs`). */
    readonly slabs: SeriesSlabs,
  ) {
    if (slabs.length !== plan.series.length) throw new Error('slabs of another plan');
    this.deques = plan.series.some((x) => x.ringMark < 0)
      ? plan.series.map((x) => (x.ringMark < 0 ? new TileDeque() : undefined))
      : NO_DEQUES;
    this.running = plan.features.map((f) => (f.kind === 1 ? undefined : f.aggregator.empty()));
    // A copy of the plan's template: exactly its length, packed doubles.
    this.marks = plan.initialMarks.slice();
  }

  /** The entity's tiles of series `i`: its ring in the runtime's slab, or its own deque. */
  tiles(i: number): Tiles | undefined {
    const slab = this.slabs[i];
    return slab !== undefined ? slab.bind(this.marks) : this.deques[i];
  }

  /** Earliest time at which this entity needs settling. */
  due(): number {
    const first = this.pending[0];
    return first === undefined ? this.nextBoundary : Math.min(first.t, this.nextBoundary);
  }
}

/** Per tile series of a runtime: a slab for fixed-width IRs (`ringMark ≥ 0`), else undefined. */
export type SeriesSlabs = readonly (SlabSeries | undefined)[];

const NO_DEQUES: readonly (TileDeque | undefined)[] = [];

/** A runtime's slabs: every entity of one `PartitionRuntime` keeps its fixed-width tiles in them. */
export function createSlabs(plan: ViewPlan): SeriesSlabs {
  return plan.series.map((x) => {
    const slots = x.aggregator.slots;
    return slots === undefined || x.ringMark < 0 ? undefined : new SlabSeries(slots, x.ringMark);
  });
}

/**
 * 3: doubles of sums, min/max, quantile extremes and event times as `num` (a short decimal as a
 * varint, else f64 — bytes.ts). 2: tile series shared by ops with the same IR (sum/mean,
 * variance/stddev) and the compact sum encoding; still read (its doubles are plain f64), so
 * state written by the previous release keeps working and is rewritten as 3 when it changes.
 * Format 1 bytes are refused with a message: rebuild the state with
 * `featurestream backfill <view> --seed-online` or drop the view's state keys.
 */
const STATE_FORMAT = 3;
const READABLE_FORMAT_F64 = 2;
const NEG_INF = -(2 ** 53);

function writeTime(w: ByteWriter, t: number): void {
  w.svar(t === -Infinity ? NEG_INF : t);
}

function readTime(r: ByteReader): number {
  const t = r.svar();
  return t === NEG_INF ? -Infinity : t;
}

/**
 * Versioned bytes of an entity's state: times, tiles, lifetime runnings and pending events.
 * Sliding runnings and window heads are derived again on decode (see `rebuildWindows`).
 * Returns a copy; `appendEntity` writes many entities into one buffer without copies.
 */
export function encodeEntity(
  plan: ViewPlan,
  s: EntityState,
  w: ByteWriter = new ByteWriter(),
): Uint8Array {
  w.reset();
  writeEntity(plan, s, w);
  return w.finish();
}

/** Initial size of a batch's state-bytes arena (it doubles as needed). */
export const STATE_ARENA_BYTES = 16_384;

/**
 * Appends the entity's state bytes to `arena` and returns a view of them — valid (and unchanged)
 * until the arena is reset, so an arena is used for one batch of writes and then dropped: one
 * buffer per batch instead of an allocation and a copy per entity.
 */
export function appendEntity(plan: ViewPlan, s: EntityState, arena: ByteWriter): Uint8Array {
  const from = arena.length;
  writeEntity(plan, s, arena);
  return arena.viewFrom(from);
}

function writeEntity(plan: ViewPlan, s: EntityState, w: ByteWriter): void {
  writeStateHeader(w, s.fence, s.latest, s.settled, s.onlineAsOf);
  for (const series of plan.series) {
    const d = s.tiles(series.index);
    if (d === undefined) throw new Error('tile series missing');
    d.encodeTo(w, series.aggregator, series.tileMs);
  }
  for (const f of plan.lifetime) f.aggregator.encode(s.running[f.index], w);
  writePending(w, s.pending);
}

/** The state bytes' header: format, fence, then the latest, settled and online-as-of times. */
export function writeStateHeader(
  w: ByteWriter,
  fence: number,
  latest: number,
  settled: number,
  onlineAsOf: number,
): void {
  w.u8(STATE_FORMAT);
  w.svar(fence);
  writeTime(w, latest);
  writeTime(w, settled);
  writeTime(w, onlineAsOf);
}

/** The state bytes' tail: the pending events, times delta-coded, then their input slots. */
export function writePending(w: ByteWriter, pending: readonly PendingEvent[]): void {
  w.uvar(pending.length);
  let prevT = 0;
  for (const p of pending) {
    w.svar(p.t - prevT);
    prevT = p.t;
    for (const v of p.inputs) {
      if (v === null) w.u8(SCALAR_ABSENT);
      else writeScalar(w, v);
    }
  }
}

export interface StateHeader {
  fence: number;
  latest: number;
  settled: number;
  onlineAsOf: number;
}

/** Reads what `writeStateHeader` wrote (format 2 or 3; others are refused with the remedy). */
export function readStateHeader(r: ByteReader): StateHeader {
  const format = r.u8();
  if (format !== STATE_FORMAT && format !== READABLE_FORMAT_F64)
    throw new RangeError(
      `entity state format ${format} is not supported (expected ${READABLE_FORMAT_F64} or ${STATE_FORMAT}): state written by an older featurestream — rebuild it with \`featurestream backfill <view> --seed-online\` or delete the view's state keys and replay`,
    );
  r.numAsF64 = format === READABLE_FORMAT_F64;
  const fence = r.svar();
  const latest = readTime(r);
  const settled = readTime(r);
  return { fence, latest, settled, onlineAsOf: readTime(r) };
}

/** Reads what `writePending` wrote. */
export function readPending(r: ByteReader, plan: ViewPlan): readonly PendingEvent[] {
  const np = r.uvar();
  if (np === 0) return NO_PENDING;
  const pending: PendingEvent[] = [];
  let prevT = 0;
  for (let i = 0; i < np; i++) {
    prevT += r.svar();
    const inputs: (Scalar | null)[] = [];
    for (let j = 0; j < plan.inputs.length; j++) {
      const tag = r.u8();
      inputs.push(tag === SCALAR_ABSENT ? null : readScalarBody(tag, r));
    }
    pending.push({ t: prevT, inputs });
  }
  return pending;
}

/**
 * An entity from its state bytes, its tiles in `slabs` — those of the runtime it is installed
 * in (`PartitionRuntime.slabs`); a fresh set when it is only inspected.
 */
export function decodeEntity(
  plan: ViewPlan,
  key: string,
  bytes: Uint8Array,
  slabs: SeriesSlabs = createSlabs(plan),
): EntityState {
  const r = new ByteReader(bytes);
  const head = readStateHeader(r);
  const s = new EntityState(key, plan, slabs);
  s.persisted = true;
  s.fence = head.fence;
  s.latest = head.latest;
  s.settled = head.settled;
  s.onlineAsOf = head.onlineAsOf;
  for (const series of plan.series) {
    const d = s.tiles(series.index);
    if (d === undefined) throw new Error('tile series missing');
    readSeries(r, d, series);
  }
  for (const f of plan.lifetime) s.running[f.index] = f.aggregator.decode(r);
  s.pending = readPending(r, plan);
  rebuildWindows(plan, s);
  return s;
}

/** Reads one series' tiles (`Tiles.encodeTo`'s format) into `d`. */
export function readSeries(r: ByteReader, d: Tiles, series: SeriesPlan): void {
  const n = r.uvar();
  let prev = 0;
  for (let i = 0; i < n; i++) {
    prev += r.svar() * series.tileMs;
    d.decodeTile(prev, series.aggregator, r);
  }
}

/** Recomputes sliding runnings, window heads and the leave/drop times from the tiles, as of `settled`. */
export function rebuildWindows(plan: ViewPlan, s: EntityState): void {
  for (const series of plan.series) {
    const d = s.tiles(series.index);
    s.marks[series.dropMark] =
      d === undefined || d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
  }
  for (const f of plan.sliding) {
    const d = s.tiles(f.series);
    if (d === undefined) continue;
    const i = firstTileFrom(
      d,
      d.head,
      s.settled === -Infinity ? -Infinity : windowStart(f, s.settled),
    );
    s.marks[f.marks + HEAD] = i;
    s.marks[f.marks + LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
    s.running[f.index] = d.mergeRange(f.aggregator, f.aggregator.empty(), i, d.end);
  }
}
