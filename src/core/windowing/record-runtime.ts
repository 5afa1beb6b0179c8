import type { FeatureValue, PackedSlots, Scalar } from '../aggregation/aggregator.js';
import { ByteReader } from '../encoding/bytes.js';
import type { ByteWriter } from '../encoding/bytes.js';
import {
  NO_PENDING,
  readPending,
  readSeries,
  readStateHeader,
  writePending,
  writeStateHeader,
} from './entity-state.js';
import type { PendingEvent } from './entity-state.js';
import { IdTimerQueue } from './id-timer-queue.js';
import {
  APPLIED,
  COUNT_INPUT,
  LATE,
  REPLAYED,
  closedTumblingIr,
  expireTiles,
  firstTileFrom,
  insertPending,
  nextTumblingBoundary,
  output,
  windowStart,
} from './window-steps.js';
import type { ApplyResult, HistoryRow } from './window-steps.js';
import { tileStart } from './resolution.js';
import { EMPTY_RING, SlabSeries } from './slab-series.js';
import { TileDeque } from './tile-deque.js';
import type { Tiles } from './tiles.js';
import { SLIDING, TUMBLING } from './view-plan.js';
import type { FeaturePlan, ViewPlan } from './view-plan.js';
import { heldMessage } from './view-runtime.js';
import type { EntityOutput, ViewRuntime } from './view-runtime.js';

/** An entity record's header: times, the fence and flags (1/0). */
const FENCE = 0;
const LATEST = 1;
const SETTLED = 2;
const ONLINE = 3;
/** Next time (> settled) at which a window's content changes with no new event. */
const NEXT = 4;
const DIRTY = 5;
const STATE_DIRTY = 6;
const PERSISTED = 7;
const HEADER = 8;
/** Per tile series: its ring (`slab-series.ts` marks, 4 doubles), then its drop time. */
const DROP = 4;
const SERIES_FIELDS = 5;
/**
 * Per feature: window head (sliding), leave time (sliding), shown closed window (tumbling),
 * stale flag, then — sliding windows of fixed-width aggregations — the running IR's doubles.
 */
const F_HEAD = 0;
const F_LEAVE = 1;
const F_SHOWN = 2;
const F_STALE = 3;
const F_IR = 4;

const NO_OBJECTS: unknown[] = [];
/** Entities per record chunk (a power of two). */
const CHUNK_BITS = 10;
const CHUNK = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK - 1;

/**
 * `PartitionRuntime`'s semantics with entities as records: every entity of the partition is
 * a small integer id and one fixed-size record in a shared `Float64Array` — times, fence, flags,
 * each tile series' ring and drop time, each feature's window head, leave time, shown window,
 * stale flag and (sliding windows of fixed-width aggregations) running aggregate — instead of an
 * object graph of about twenty heap objects. Fixed-width tiles live in per-series slabs
 * (`SlabSeries`, bound to the record). What is not a fixed number of doubles stays in arrays
 * indexed by id: the key, pending events, the last history row, sketch and list tiles
 * (`TileDeque`), and the running IRs that are objects (sketches, first/last, lastN, lifetime).
 *
 * Same history rows, online values and state bytes as `PartitionRuntime` for every view — the
 * differential test runs both on the same streams.
 */
export class RecordRuntime implements ViewRuntime {
  maxEventTime = -Infinity;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  /** Records in chunks of `CHUNK` entities: growing never copies (nor touches) earlier ones. */
  private readonly chunks: Float64Array[] = [];
  private readonly template: Float64Array;
  private readonly stride: number;
  private readonly seriesAt: readonly number[];
  private readonly featureAt: readonly number[];
  /** Per tile series: its slab (fixed-width IRs), else undefined. */
  private readonly rings: readonly (SlabSeries | undefined)[];
  /** Per tile series of object IRs: each entity's `TileDeque`, by id. */
  private readonly deques: readonly (TileDeque[] | undefined)[];
  /** Per feature: the packed slots of its running IR (sliding, fixed-width), else undefined. */
  private readonly slots: readonly (PackedSlots | undefined)[];
  /** Per feature: where its running IR sits in the entity's `objects`, or -1. */
  private readonly objectIndex: readonly number[];
  private readonly objectCount: number;
  private readonly pending: (readonly PendingEvent[])[] = [];
  private readonly lastRows: (FeatureValue[] | undefined)[] = [];
  /** Per entity: the running IRs that are objects (see `objectIndex`). */
  private readonly objects: unknown[][] = [];
  private rows: HistoryRow[] = [];
  private dirty: number[] = [];
  private readonly timers: IdTimerQueue;
  private readonly due: number[] = [];
  private readonly lateness: number;

  constructor(readonly plan: ViewPlan) {
    this.lateness = plan.allowedLatenessMs;
    let at = HEADER;
    const seriesAt: number[] = [];
    for (let i = 0; i < plan.series.length; i++) {
      seriesAt.push(at);
      at += SERIES_FIELDS;
    }
    const featureAt: number[] = [];
    const objectIndex: number[] = [];
    const slots: (PackedSlots | undefined)[] = [];
    let objects = 0;
    for (const f of plan.features) {
      featureAt.push(at);
      const s = f.kind === SLIDING ? f.aggregator.slots : undefined;
      slots.push(s);
      objectIndex.push(f.kind === TUMBLING || s !== undefined ? -1 : objects++);
      at += F_IR + (s?.width ?? 0);
    }
    this.stride = at;
    this.seriesAt = seriesAt;
    this.featureAt = featureAt;
    this.objectIndex = objectIndex;
    this.objectCount = objects;
    this.slots = slots;
    this.rings = plan.series.map((x) =>
      x.aggregator.slots === undefined ? undefined : new SlabSeries(x.aggregator.slots, 0),
    );
    this.deques = plan.series.map((x) => (x.aggregator.slots === undefined ? [] : undefined));
    const t = new Float64Array(at);
    t[FENCE] = -1;
    t[LATEST] = -Infinity;
    t[SETTLED] = -Infinity;
    t[ONLINE] = -Infinity;
    t[NEXT] = Infinity;
    for (const o of seriesAt) {
      t.set(EMPTY_RING, o);
      t[o + DROP] = Infinity;
    }
    plan.features.forEach((f, i) => {
      const o = featureAt[i] ?? 0;
      t[o + F_HEAD] = 0;
      t[o + F_LEAVE] = Infinity;
      t[o + F_SHOWN] = Number.NaN;
      t[o + F_STALE] = 1;
      slots[i]?.clear(t, o + F_IR);
    });
    this.template = t;
    let width = 1_000;
    for (const f of plan.features) if (f.tileMs > 0 && f.tileMs < width) width = f.tileMs;
    this.timers = new IdTimerQueue(width);
  }

  get watermark(): number {
    return this.maxEventTime - this.lateness;
  }

  get entityCount(): number {
    return this.keys.length;
  }

  observe(t: number): void {
    if (t > this.maxEventTime) this.maxEventTime = t;
  }

  /** The entity's id, its record created empty when the key is new. */
  private idOf(key: string): number {
    let id = this.ids.get(key);
    if (id !== undefined) return id;
    id = this.keys.length;
    if ((id & CHUNK_MASK) === 0) this.chunks.push(new Float64Array(CHUNK * this.stride));
    this.recOf(id).set(this.template, this.baseOf(id));
    this.ids.set(key, id);
    this.keys.push(key);
    this.pending.push(NO_PENDING);
    this.lastRows.push(undefined);
    this.objects.push(this.newObjects());
    for (const d of this.deques) d?.push(new TileDeque());
    return id;
  }

  /** The chunk holding entity `id`'s record. */
  private recOf(id: number): Float64Array {
    return this.chunks[id >>> CHUNK_BITS] as Float64Array;
  }

  /** Where entity `id`'s record starts in its chunk. */
  private baseOf(id: number): number {
    return (id & CHUNK_MASK) * this.stride;
  }

  /** Empty running IRs for the features whose IR is an object. */
  private newObjects(): unknown[] {
    if (this.objectCount === 0) return NO_OBJECTS;
    const out: unknown[] = [];
    this.plan.features.forEach((f, i) => {
      if ((this.objectIndex[i] ?? -1) >= 0) out.push(f.aggregator.empty());
    });
    return out;
  }

  /** Series `i`'s tiles of the entity `id` (record at `b`): its slab ring, or its deque. */
  private tiles(i: number, id: number, b: number): Tiles {
    const ring = this.rings[i];
    if (ring !== undefined) return ring.bindAt(this.recOf(id), b + (this.seriesAt[i] ?? 0));
    return this.deques[i]?.[id] as TileDeque;
  }

  /** The running IR of feature `i` (sliding or lifetime) of the entity `id` (record at `b`). */
  private running(i: number, id: number, b: number): unknown {
    const slots = this.slots[i];
    if (slots !== undefined) return slots.load(this.recOf(id), b + (this.featureAt[i] ?? 0) + F_IR);
    return (this.objects[id] ?? NO_OBJECTS)[this.objectIndex[i] ?? 0];
  }

  private setRunning(i: number, id: number, b: number, ir: unknown): void {
    const slots = this.slots[i];
    if (slots !== undefined) slots.store(this.recOf(id), b + (this.featureAt[i] ?? 0) + F_IR, ir);
    else (this.objects[id] ?? NO_OBJECTS)[this.objectIndex[i] ?? 0] = ir;
  }

  private markDirty(id: number, b: number): void {
    if (this.recOf(id)[b + DIRTY] === 0) {
      this.recOf(id)[b + DIRTY] = 1;
      this.dirty.push(id);
    }
  }

  apply(key: string, t: number, inputs: readonly (Scalar | null)[], offset: number): ApplyResult {
    if (t < this.maxEventTime - this.lateness) return LATE;
    if (t > this.maxEventTime) this.maxEventTime = t;
    const id = this.idOf(key);
    const rec = this.recOf(id);
    const b = this.baseOf(id);
    if (offset <= (rec[b + FENCE] ?? 0)) return REPLAYED;
    rec[b + FENCE] = offset;
    rec[b + STATE_DIRTY] = 1;
    const ev: PendingEvent = { t, inputs };
    const pending = this.pending[id] ?? NO_PENDING;
    if (pending.length === 0) this.pending[id] = [ev];
    else insertPending(pending as PendingEvent[], ev);
    if (t > (rec[b + LATEST] ?? 0)) rec[b + LATEST] = t;
    if (t > (rec[b + ONLINE] ?? 0)) rec[b + ONLINE] = t;
    this.markDirty(id, b);
    this.timers.schedule(id, t);
    return APPLIED;
  }

  advance(wm: number = this.watermark): void {
    const due = this.due;
    this.timers.popDue(wm, due);
    for (let i = 0; i < due.length; i++) this.settle(due[i] ?? 0, wm);
    for (let i = 0; i < due.length; i++) {
      const id = due[i] ?? 0;
      this.timers.schedule(id, this.dueTime(id));
    }
    due.length = 0;
  }

  private dueTime(id: number): number {
    const next = this.recOf(id)[this.baseOf(id) + NEXT] ?? Infinity;
    const first = this.pending[id]?.[0];
    return first === undefined ? next : Math.min(first.t, next);
  }

  takeRows(): HistoryRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  takeWrites(arena: ByteWriter): EntityOutput[] {
    const out: EntityOutput[] = [];
    const dirty = this.dirty;
    this.dirty = [];
    for (const id of dirty) {
      const b = this.baseOf(id);
      const rec = this.recOf(id);
      rec[b + DIRTY] = 0;
      const stateDirty = rec[b + STATE_DIRTY] === 1;
      out.push({
        key: this.keys[id] ?? '',
        asOf: rec[b + ONLINE] ?? 0,
        values: this.onlineValues(id),
        state: stateDirty ? this.appendState(id, arena) : null,
        isNew: rec[b + PERSISTED] === 0,
        fence: rec[b + FENCE] ?? -1,
      });
      rec[b + STATE_DIRTY] = 0;
      rec[b + PERSISTED] = 1;
    }
    return out;
  }

  dropWrites(): void {
    for (const id of this.dirty) this.recOf(id)[this.baseOf(id) + DIRTY] = 0;
    this.dirty = [];
  }

  entityKeys(): string[] {
    return this.keys.slice();
  }

  snapshotWrite(key: string, arena: ByteWriter): EntityOutput {
    const id = this.ids.get(key);
    if (id === undefined) throw new Error(`snapshotWrite: unknown entity ${key}`);
    const b = this.baseOf(id);
    return {
      key,
      asOf: this.recOf(id)[b + ONLINE] ?? 0,
      values: this.onlineValues(id),
      state: this.appendState(id, arena),
      isNew: true,
      fence: this.recOf(id)[b + FENCE] ?? -1,
    };
  }

  private appendState(id: number, arena: ByteWriter): Uint8Array {
    const from = arena.length;
    this.writeState(id, arena);
    return arena.viewFrom(from);
  }

  /** The same bytes as `entity-state.ts` writes for the entity (format 3). */
  private writeState(id: number, w: ByteWriter): void {
    const plan = this.plan;
    const b = this.baseOf(id);
    const rec = this.recOf(id);
    writeStateHeader(
      w,
      rec[b + FENCE] ?? -1,
      rec[b + LATEST] ?? 0,
      rec[b + SETTLED] ?? 0,
      rec[b + ONLINE] ?? 0,
    );
    for (const series of plan.series)
      this.tiles(series.index, id, b).encodeTo(w, series.aggregator, series.tileMs);
    for (const f of plan.lifetime) f.aggregator.encode(this.running(f.index, id, b), w);
    writePending(w, this.pending[id] ?? NO_PENDING);
  }

  restore(key: string, bytes: Uint8Array): void {
    const plan = this.plan;
    if (this.ids.has(key)) throw new Error(heldMessage(key));
    const id = this.idOf(key);
    const b = this.baseOf(id);
    const rec = this.recOf(id);
    const r = new ByteReader(bytes);
    const head = readStateHeader(r);
    rec[b + FENCE] = head.fence;
    rec[b + LATEST] = head.latest;
    rec[b + SETTLED] = head.settled;
    rec[b + ONLINE] = head.onlineAsOf;
    rec[b + PERSISTED] = 1;
    for (const series of plan.series) readSeries(r, this.tiles(series.index, id, b), series);
    for (const f of plan.lifetime) this.setRunning(f.index, id, b, f.aggregator.decode(r));
    this.pending[id] = readPending(r, plan);
    this.rebuildWindows(id, b);
    this.timers.unschedule(id);
    this.recomputeBoundary(id, b);
    this.timers.schedule(id, this.dueTime(id));
  }

  /** Sliding runnings, window heads and leave/drop times from the tiles, as of `settled`. */
  private rebuildWindows(id: number, b: number): void {
    const plan = this.plan;
    const rec = this.recOf(id);
    for (const series of plan.series) {
      const d = this.tiles(series.index, id, b);
      rec[b + (this.seriesAt[series.index] ?? 0) + DROP] =
        d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
    }
    const settled = rec[b + SETTLED] ?? -Infinity;
    for (const f of plan.sliding) {
      const d = this.tiles(f.series, id, b);
      const m = b + (this.featureAt[f.index] ?? 0);
      const i = firstTileFrom(
        d,
        d.head,
        settled === -Infinity ? -Infinity : windowStart(f, settled),
      );
      rec[m + F_HEAD] = i;
      rec[m + F_LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
      this.setRunning(f.index, id, b, d.mergeRange(f.aggregator, f.aggregator.empty(), i, d.end));
    }
  }

  private settle(id: number, wm: number): void {
    const rec = this.recOf(id);
    const b = this.baseOf(id);
    const pending = this.pending[id] ?? NO_PENDING;
    let pi = 0;
    for (;;) {
      const tNext = pending[pi]?.t ?? Infinity;
      const next = rec[b + NEXT] ?? Infinity;
      const T = tNext < next ? tNext : next;
      if (!(T < wm)) break;
      if (T >= next) this.advanceWindows(id, b, T);
      rec[b + SETTLED] = T;
      while (pi < pending.length && (pending[pi]?.t ?? Infinity) === T) {
        const ev = pending[pi];
        if (ev !== undefined) this.applySettled(id, b, ev.t, ev.inputs);
        pi++;
      }
      this.dropTiles(id, b, T);
      this.recomputeBoundary(id, b);
      const values = this.finalizeRow(id, b, T);
      this.lastRows[id] = values;
      this.rows.push({ key: this.keys[id] ?? '', asOf: T, values });
      if (T > (rec[b + ONLINE] ?? 0)) {
        rec[b + ONLINE] = T;
        this.markDirty(id, b);
      }
    }
    if (pi > 0) this.pending[id] = pi === pending.length ? NO_PENDING : pending.slice(pi);
  }

  /** Moves the sliding windows to their extent as of `T` (see `PartitionRuntime`). */
  private advanceWindows(id: number, b: number, T: number): void {
    const rec = this.recOf(id);
    for (const f of this.plan.sliding) {
      const m = b + (this.featureAt[f.index] ?? 0);
      if (T < (rec[m + F_LEAVE] ?? Infinity)) continue;
      const d = this.tiles(f.series, id, b);
      const start = windowStart(f, T);
      const head = rec[m + F_HEAD] ?? 0;
      const i = firstTileFrom(d, head, start);
      rec[m + F_HEAD] = i;
      rec[m + F_LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
      this.setRunning(f.index, id, b, expireTiles(f, this.running(f.index, id, b), d, head, i));
      rec[m + F_STALE] = 1;
    }
  }

  private applySettled(id: number, b: number, t: number, inputs: readonly (Scalar | null)[]): void {
    const plan = this.plan;
    const rec = this.recOf(id);
    for (const series of plan.series) {
      const v = series.input < 0 ? COUNT_INPUT : inputs[series.input];
      if (v === null || v === undefined) continue;
      const d = this.tiles(series.index, id, b);
      const start = tileStart(t, series.tileMs);
      if (d.size === 0) rec[b + (this.seriesAt[series.index] ?? 0) + DROP] = start + series.keepMs;
      d.update(start, series.aggregator, v, t);
    }
    for (const f of plan.features) {
      const m = b + (this.featureAt[f.index] ?? 0);
      if (f.kind === TUMBLING) {
        rec[m + F_STALE] = 1;
        continue;
      }
      const v = f.input < 0 ? COUNT_INPUT : inputs[f.input];
      if (v === null || v === undefined) continue;
      const slots = this.slots[f.index];
      if (slots !== undefined) slots.update(rec, m + F_IR, v, t);
      else {
        const objects = this.objects[id] ?? NO_OBJECTS;
        const j = this.objectIndex[f.index] ?? 0;
        objects[j] = f.aggregator.update(objects[j], v, t);
      }
      rec[m + F_STALE] = 1;
      // An empty window's first tile is this event's.
      if (f.kind === SLIDING && rec[m + F_LEAVE] === Infinity)
        rec[m + F_LEAVE] = tileStart(t, f.tileMs) + f.sizeMs;
    }
  }

  /** Drops tiles no window can read any more (as of settled time `T` or later). */
  private dropTiles(id: number, b: number, T: number): void {
    const rec = this.recOf(id);
    for (const series of this.plan.series) {
      const sb = b + (this.seriesAt[series.index] ?? 0);
      if (T < (rec[sb + DROP] ?? Infinity)) continue;
      const d = this.tiles(series.index, id, b);
      if (d.size === 0) continue;
      const ts = tileStart(T, series.tileMs);
      d.dropBefore(ts + series.tileMs - series.keepMs, series.aggregator, series.tileMs);
      rec[sb + DROP] = d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
      const shift = d.compact();
      if (shift > 0) {
        for (const f of this.plan.sliding) {
          if (f.series !== series.index) continue;
          const m = b + (this.featureAt[f.index] ?? 0);
          rec[m + F_HEAD] = (rec[m + F_HEAD] ?? 0) - shift;
        }
      }
    }
  }

  /** Next time after `settled` at which a window's content changes with no new event. */
  private recomputeBoundary(id: number, b: number): void {
    const rec = this.recOf(id);
    let next = Infinity;
    for (const f of this.plan.sliding) {
      const leave = rec[b + (this.featureAt[f.index] ?? 0) + F_LEAVE] ?? Infinity;
      if (leave < next) next = leave;
    }
    const settled = rec[b + SETTLED] ?? -Infinity;
    for (const f of this.plan.tumbling)
      next = nextTumblingBoundary(f, this.tiles(f.series, id, b), settled, next);
    rec[b + NEXT] = next;
  }

  /** The IR of the closed tumbling window shown as of `T` (undefined when it had no events). */
  private tumblingTile(f: FeaturePlan, id: number, b: number, T: number): unknown {
    return closedTumblingIr(f, this.tiles(f.series, id, b), T);
  }

  /** Values as of settled time `T`; unchanged aggregates reuse the previous row's value. */
  private finalizeRow(id: number, b: number, T: number): FeatureValue[] {
    const rec = this.recOf(id);
    const features = this.plan.features;
    const prev = this.lastRows[id];
    const out = new Array<FeatureValue>(features.length);
    for (let i = 0; i < features.length; i++) {
      const f = features[i] as FeaturePlan;
      const m = b + (this.featureAt[i] ?? 0);
      if (f.kind === TUMBLING) {
        const shown = tileStart(T, f.tileMs) - f.tileMs;
        if (prev !== undefined && rec[m + F_STALE] === 0 && rec[m + F_SHOWN] === shown) {
          out[i] = prev[i] ?? null;
          continue;
        }
        const ir = this.tumblingTile(f, id, b, T);
        out[i] = ir === undefined ? f.empty : output(f, ir);
        rec[m + F_SHOWN] = shown;
      } else if (prev !== undefined && rec[m + F_STALE] === 0) {
        out[i] = prev[i] ?? null;
        continue;
      } else {
        out[i] = output(f, this.running(i, id, b));
      }
      rec[m + F_STALE] = 0;
    }
    return out;
  }

  private onlineValues(id: number): readonly FeatureValue[] {
    const b = this.baseOf(id);
    const rec = this.recOf(id);
    const last = this.lastRows[id];
    if (
      (this.pending[id] ?? NO_PENDING).length === 0 &&
      rec[b + SETTLED] === rec[b + ONLINE] &&
      last !== undefined
    )
      return last;
    return this.projectOnline(id, b, rec[b + ONLINE] ?? 0);
  }

  /** Values as of `A` ≥ settled: the settled windows moved to A, plus the pending events. */
  private projectOnline(id: number, b: number, A: number): FeatureValue[] {
    const plan = this.plan;
    const rec = this.recOf(id);
    const out = new Array<FeatureValue>(plan.features.length);
    const pending = this.pending[id] ?? NO_PENDING;
    for (const f of plan.features) {
      const agg = f.aggregator;
      const m = b + (this.featureAt[f.index] ?? 0);
      let acc: unknown;
      let from = -Infinity;
      let to = Infinity;
      if (f.kind === SLIDING) {
        const d = this.tiles(f.series, id, b);
        from = windowStart(f, A);
        const running = this.running(f.index, id, b);
        // Packed IRs load as a fresh copy; object IRs are cloned before they change.
        acc = this.slots[f.index] !== undefined ? running : agg.clone(running);
        const head = rec[m + F_HEAD] ?? 0;
        if (A >= (rec[m + F_LEAVE] ?? Infinity))
          acc = expireTiles(f, acc, d, head, firstTileFrom(d, head, from));
      } else if (f.kind === TUMBLING) {
        const ir = this.tumblingTile(f, id, b, A);
        acc = ir === undefined ? agg.empty() : agg.clone(ir);
        to = tileStart(A, f.tileMs);
        from = to - f.tileMs;
      } else {
        acc = agg.clone(this.running(f.index, id, b));
      }
      for (const p of pending) {
        if (p.t < from || p.t >= to) continue;
        const v = f.input < 0 ? COUNT_INPUT : p.inputs[f.input];
        if (v === null || v === undefined) continue;
        acc = agg.update(acc, v, p.t);
      }
      out[f.index] = output(f, acc);
    }
    return out;
  }
}
