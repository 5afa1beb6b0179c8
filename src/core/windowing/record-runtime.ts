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
  expireTiles,
  insertPending,
  output,
  windowStart,
} from './window-steps.js';
import type { ApplyResult, HistoryRow } from './window-steps.js';
import { tileStart } from './resolution.js';
import { EMPTY_RING, SlabSeries } from './slab-series.js';
import { SLIDING } from './view-plan.js';
import type { FeaturePlan, ViewPlan } from './view-plan.js';
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
/** Per feature: window head, leave time, stale flag, then (sliding) the running IR's doubles. */
const F_HEAD = 0;
const F_LEAVE = 1;
const F_STALE = 2;
const F_IR = 3;

const NO_LIFE: unknown[] = [];
const INITIAL_ENTITIES = 256;

/**
 * True when `RecordRuntime` can run the view: no tumbling windows, and every tile series keeps
 * a fixed-width IR (`Aggregator.slots`: count, sum, mean, min, max, variance, stddev) — lifetime
 * features may use any aggregation.
 */
export function recordEligible(plan: ViewPlan): boolean {
  return (
    plan.tumbling.length === 0 &&
    plan.series.every((x) => x.aggregator.slots !== undefined) &&
    plan.sliding.every((f) => f.aggregator.slots !== undefined)
  );
}

function slotsOf(f: FeaturePlan): PackedSlots {
  const slots = f.aggregator.slots;
  if (slots === undefined) throw new Error(`${f.name}: no packed slots`);
  return slots;
}

/**
 * `PartitionRuntime`'s semantics with entities as records: every entity of the partition is
 * a small integer id and one fixed-size record in a shared `Float64Array` — times, fence, flags,
 * each series' tile ring and drop time, each feature's window head, leave time, stale flag and
 * (sliding windows) running aggregate — instead of an object graph of about twenty heap
 * objects. Tiles live in per-series slabs (`SlabSeries`, bound to the record). What is not a
 * fixed number of doubles stays in arrays indexed by id: the key, pending events, the last
 * history row, lifetime aggregates.
 *
 * Same history rows, online values and state bytes as `PartitionRuntime` for every eligible
 * view (`recordEligible`) — the differential test runs both on the same streams.
 */
export class RecordRuntime implements ViewRuntime {
  maxEventTime = -Infinity;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  private rec: Float64Array;
  private readonly template: Float64Array;
  private readonly stride: number;
  private readonly seriesAt: readonly number[];
  private readonly featureAt: readonly number[];
  private readonly rings: readonly SlabSeries[];
  private readonly slots: readonly (PackedSlots | undefined)[];
  /** Lifetime features' position in an entity's `life` array, by feature index. */
  private readonly lifeIndex: readonly number[];
  private readonly pending: (readonly PendingEvent[])[] = [];
  private readonly lastRows: (FeatureValue[] | undefined)[] = [];
  private readonly life: unknown[][] = [];
  private rows: HistoryRow[] = [];
  private dirty: number[] = [];
  private readonly timers: IdTimerQueue;
  private readonly due: number[] = [];
  private readonly lateness: number;

  constructor(readonly plan: ViewPlan) {
    if (!recordEligible(plan))
      throw new Error(`view ${plan.view.name}: not eligible for the record runtime`);
    this.lateness = plan.allowedLatenessMs;
    let at = HEADER;
    const seriesAt: number[] = [];
    for (let i = 0; i < plan.series.length; i++) {
      seriesAt.push(at);
      at += SERIES_FIELDS;
    }
    const featureAt: number[] = [];
    const lifeIndex: number[] = [];
    const slots: (PackedSlots | undefined)[] = [];
    let lives = 0;
    for (const f of plan.features) {
      featureAt.push(at);
      const s = f.kind === SLIDING ? slotsOf(f) : undefined;
      slots.push(s);
      lifeIndex.push(f.kind === SLIDING ? -1 : lives++);
      at += F_IR + (s?.width ?? 0);
    }
    this.stride = at;
    this.seriesAt = seriesAt;
    this.featureAt = featureAt;
    this.lifeIndex = lifeIndex;
    this.slots = slots;
    this.rings = plan.series.map((x) => {
      const s = x.aggregator.slots;
      if (s === undefined) throw new Error('unreachable: eligible series have slots');
      return new SlabSeries(s, 0);
    });
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
      t[o + F_STALE] = 1;
      slots[i]?.clear(t, o + F_IR);
    });
    this.template = t;
    this.rec = new Float64Array(at * INITIAL_ENTITIES);
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
    const base = id * this.stride;
    if (base + this.stride > this.rec.length) {
      const bigger = new Float64Array(this.rec.length * 2);
      bigger.set(this.rec);
      this.rec = bigger;
    }
    this.rec.set(this.template, base);
    this.ids.set(key, id);
    this.keys.push(key);
    this.pending.push(NO_PENDING);
    this.lastRows.push(undefined);
    this.life.push(this.newLife());
    return id;
  }

  private newLife(): unknown[] {
    if (this.plan.lifetime.length === 0) return NO_LIFE;
    return this.plan.lifetime.map((f) => f.aggregator.empty());
  }

  /** Series `i`'s slab, bound to the ring of the entity whose record starts at `b`. */
  private ring(i: number, b: number): SlabSeries {
    const ring = this.rings[i] as SlabSeries;
    return ring.bindAt(this.rec, b + (this.seriesAt[i] ?? 0));
  }

  private markDirty(id: number, b: number): void {
    if (this.rec[b + DIRTY] === 0) {
      this.rec[b + DIRTY] = 1;
      this.dirty.push(id);
    }
  }

  apply(key: string, t: number, inputs: readonly (Scalar | null)[], offset: number): ApplyResult {
    if (t < this.maxEventTime - this.lateness) return LATE;
    if (t > this.maxEventTime) this.maxEventTime = t;
    const id = this.idOf(key);
    const rec = this.rec;
    const b = id * this.stride;
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
    const next = this.rec[id * this.stride + NEXT] ?? Infinity;
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
      const b = id * this.stride;
      const rec = this.rec;
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
    for (const id of this.dirty) this.rec[id * this.stride + DIRTY] = 0;
    this.dirty = [];
  }

  entityKeys(): string[] {
    return this.keys.slice();
  }

  snapshotWrite(key: string, arena: ByteWriter): EntityOutput {
    const id = this.ids.get(key);
    if (id === undefined) throw new Error(`snapshotWrite: unknown entity ${key}`);
    const b = id * this.stride;
    return {
      key,
      asOf: this.rec[b + ONLINE] ?? 0,
      values: this.onlineValues(id),
      state: this.appendState(id, arena),
      isNew: true,
      fence: this.rec[b + FENCE] ?? -1,
    };
  }

  /** The online values of a held entity (undefined when unknown). */
  valuesOf(key: string): readonly FeatureValue[] | undefined {
    const id = this.ids.get(key);
    return id === undefined ? undefined : this.onlineValues(id);
  }

  /** The state bytes of a held entity (undefined when unknown). */
  stateOf(key: string, w: ByteWriter): Uint8Array | undefined {
    const id = this.ids.get(key);
    if (id === undefined) return undefined;
    w.reset();
    this.writeState(id, w);
    return w.finish();
  }

  private appendState(id: number, arena: ByteWriter): Uint8Array {
    const from = arena.length;
    this.writeState(id, arena);
    return arena.viewFrom(from);
  }

  /** The same bytes as `entity-state.ts` writes for the entity (format 3). */
  private writeState(id: number, w: ByteWriter): void {
    const plan = this.plan;
    const b = id * this.stride;
    const rec = this.rec;
    writeStateHeader(
      w,
      rec[b + FENCE] ?? -1,
      rec[b + LATEST] ?? 0,
      rec[b + SETTLED] ?? 0,
      rec[b + ONLINE] ?? 0,
    );
    for (const series of plan.series)
      this.ring(series.index, b).encodeTo(w, series.aggregator, series.tileMs);
    const life = this.life[id] ?? NO_LIFE;
    plan.lifetime.forEach((f, j) => f.aggregator.encode(life[j], w));
    writePending(w, this.pending[id] ?? NO_PENDING);
  }

  restore(key: string, bytes: Uint8Array): void {
    const plan = this.plan;
    const known = this.ids.has(key);
    const id = this.idOf(key);
    const b = id * this.stride;
    if (known) {
      // Give the old rings back before the record is reset.
      for (let i = 0; i < plan.series.length; i++) this.ring(i, b).dropBefore(Infinity);
      this.rec.set(this.template, b);
      this.life[id] = this.newLife();
      this.lastRows[id] = undefined;
    }
    const rec = this.rec;
    const r = new ByteReader(bytes);
    const head = readStateHeader(r);
    rec[b + FENCE] = head.fence;
    rec[b + LATEST] = head.latest;
    rec[b + SETTLED] = head.settled;
    rec[b + ONLINE] = head.onlineAsOf;
    rec[b + PERSISTED] = 1;
    for (const series of plan.series) readSeries(r, this.ring(series.index, b), series);
    const life = this.life[id] ?? NO_LIFE;
    plan.lifetime.forEach((f, j) => {
      life[j] = f.aggregator.decode(r);
    });
    this.pending[id] = readPending(r, plan);
    this.rebuildWindows(b);
    this.timers.unschedule(id);
    this.recomputeBoundary(b);
    this.timers.schedule(id, this.dueTime(id));
  }

  /** Sliding runnings, window heads and leave/drop times from the tiles, as of `settled`. */
  private rebuildWindows(b: number): void {
    const plan = this.plan;
    const rec = this.rec;
    for (const series of plan.series) {
      const d = this.ring(series.index, b);
      rec[b + (this.seriesAt[series.index] ?? 0) + DROP] =
        d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
    }
    const settled = rec[b + SETTLED] ?? -Infinity;
    for (const f of plan.sliding) {
      const d = this.ring(f.series, b);
      const m = b + (this.featureAt[f.index] ?? 0);
      const wStart =
        settled === -Infinity ? -Infinity : tileStart(settled, f.tileMs) + f.tileMs - f.sizeMs;
      let i = d.head;
      while (i < d.end && d.startAt(i) < wStart) i++;
      rec[m + F_HEAD] = i;
      rec[m + F_LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
      const running = d.mergeRange(f.aggregator, f.aggregator.empty(), i, d.end);
      (this.slots[f.index] as PackedSlots).store(rec, m + F_IR, running);
    }
  }

  private settle(id: number, wm: number): void {
    const rec = this.rec;
    const b = id * this.stride;
    const pending = this.pending[id] ?? NO_PENDING;
    let pi = 0;
    for (;;) {
      const tNext = pending[pi]?.t ?? Infinity;
      const next = rec[b + NEXT] ?? Infinity;
      const T = tNext < next ? tNext : next;
      if (!(T < wm)) break;
      if (T >= next) this.advanceWindows(b, T);
      rec[b + SETTLED] = T;
      while (pi < pending.length && (pending[pi]?.t ?? Infinity) === T) {
        const ev = pending[pi];
        if (ev !== undefined) this.applySettled(id, b, ev.t, ev.inputs);
        pi++;
      }
      this.dropTiles(b, T);
      this.recomputeBoundary(b);
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
  private advanceWindows(b: number, T: number): void {
    const rec = this.rec;
    for (const f of this.plan.sliding) {
      const m = b + (this.featureAt[f.index] ?? 0);
      if (T < (rec[m + F_LEAVE] ?? Infinity)) continue;
      const d = this.ring(f.series, b);
      const start = windowStart(f, T);
      const head = rec[m + F_HEAD] ?? 0;
      let i = head;
      while (i < d.end && d.startAt(i) < start) i++;
      rec[m + F_HEAD] = i;
      rec[m + F_LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
      const slots = this.slots[f.index] as PackedSlots;
      slots.store(rec, m + F_IR, expireTiles(f, slots.load(rec, m + F_IR), d, head, i));
      rec[m + F_STALE] = 1;
    }
  }

  private applySettled(id: number, b: number, t: number, inputs: readonly (Scalar | null)[]): void {
    const plan = this.plan;
    const rec = this.rec;
    for (const series of plan.series) {
      const v = series.input < 0 ? COUNT_INPUT : inputs[series.input];
      if (v === null || v === undefined) continue;
      const d = this.ring(series.index, b);
      const start = tileStart(t, series.tileMs);
      if (d.size === 0) rec[b + (this.seriesAt[series.index] ?? 0) + DROP] = start + series.keepMs;
      d.update(start, series.aggregator, v, t);
    }
    for (const f of plan.features) {
      const v = f.input < 0 ? COUNT_INPUT : inputs[f.input];
      if (v === null || v === undefined) continue;
      const m = b + (this.featureAt[f.index] ?? 0);
      const slots = this.slots[f.index];
      if (slots !== undefined) {
        slots.update(rec, m + F_IR, v, t);
        // An empty window's first tile is this event's.
        if (rec[m + F_LEAVE] === Infinity) rec[m + F_LEAVE] = tileStart(t, f.tileMs) + f.sizeMs;
      } else {
        const life = this.life[id] ?? NO_LIFE;
        const j = this.lifeIndex[f.index] ?? 0;
        life[j] = f.aggregator.update(life[j], v, t);
      }
      rec[m + F_STALE] = 1;
    }
  }

  /** Drops tiles no window can read any more (as of settled time `T` or later). */
  private dropTiles(b: number, T: number): void {
    const rec = this.rec;
    for (const series of this.plan.series) {
      const sb = b + (this.seriesAt[series.index] ?? 0);
      if (T < (rec[sb + DROP] ?? Infinity)) continue;
      const d = this.ring(series.index, b);
      if (d.size === 0) continue;
      const ts = tileStart(T, series.tileMs);
      d.dropBefore(ts + series.tileMs - series.keepMs);
      rec[sb + DROP] = d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
    }
  }

  private recomputeBoundary(b: number): void {
    const rec = this.rec;
    let next = Infinity;
    for (const f of this.plan.sliding) {
      const leave = rec[b + (this.featureAt[f.index] ?? 0) + F_LEAVE] ?? Infinity;
      if (leave < next) next = leave;
    }
    rec[b + NEXT] = next;
  }

  /** Values as of settled time `T`; unchanged aggregates reuse the previous row's value. */
  private finalizeRow(id: number, b: number, T: number): FeatureValue[] {
    void T;
    const rec = this.rec;
    const features = this.plan.features;
    const prev = this.lastRows[id];
    const out = new Array<FeatureValue>(features.length);
    for (let i = 0; i < features.length; i++) {
      const m = b + (this.featureAt[i] ?? 0);
      if (prev !== undefined && rec[m + F_STALE] === 0) {
        out[i] = prev[i] ?? null;
        continue;
      }
      const f = features[i] as FeaturePlan;
      const slots = this.slots[i];
      out[i] =
        slots !== undefined
          ? output(f, slots.load(rec, m + F_IR))
          : output(f, (this.life[id] ?? NO_LIFE)[this.lifeIndex[i] ?? 0]);
      rec[m + F_STALE] = 0;
    }
    return out;
  }

  private onlineValues(id: number): readonly FeatureValue[] {
    const b = id * this.stride;
    const rec = this.rec;
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
    const rec = this.rec;
    const out = new Array<FeatureValue>(plan.features.length);
    const pending = this.pending[id] ?? NO_PENDING;
    for (const f of plan.features) {
      const agg = f.aggregator;
      const m = b + (this.featureAt[f.index] ?? 0);
      const slots = this.slots[f.index];
      let acc: unknown;
      let from = -Infinity;
      if (slots !== undefined) {
        const d = this.ring(f.series, b);
        from = windowStart(f, A);
        acc = slots.load(rec, m + F_IR);
        const head = rec[m + F_HEAD] ?? 0;
        if (A >= (rec[m + F_LEAVE] ?? Infinity)) {
          let i = head;
          while (i < d.end && d.startAt(i) < from) i++;
          acc = expireTiles(f, acc, d, head, i);
        }
      } else {
        acc = agg.clone((this.life[id] ?? NO_LIFE)[this.lifeIndex[f.index] ?? 0]);
      }
      for (const p of pending) {
        if (p.t < from) continue;
        const v = f.input < 0 ? COUNT_INPUT : p.inputs[f.input];
        if (v === null || v === undefined) continue;
        acc = agg.update(acc, v, p.t);
      }
      out[f.index] = output(f, acc);
    }
    return out;
  }
}
