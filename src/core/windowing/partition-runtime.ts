import type { FeatureValue, Scalar } from '../aggregation/aggregator.js';
import type { ByteWriter } from '../encoding/bytes.js';
import {
  EntityState,
  NO_PENDING,
  appendEntity,
  createSlabs,
  decodeEntity,
} from './entity-state.js';
import type { PendingEvent, SeriesSlabs } from './entity-state.js';
import { tileStart } from './resolution.js';
import { TimerQueue } from './timer-queue.js';
import { HEAD, LEAVE, SHOWN, STALE } from './view-plan.js';
import type { FeaturePlan, ViewPlan } from './view-plan.js';
import { heldMessage } from './view-runtime.js';
import type { EntityOutput, ViewRuntime } from './view-runtime.js';
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

export { APPLIED, LATE, REPLAYED };
export type { ApplyResult, HistoryRow };

/**
 * The windowing state machine of one view on one source partition (semantics.md):
 * - `apply` takes one event (already keyed, timed and reduced to input slots) in partition order;
 *   events older than the partition watermark are LATE; offsets at or below an entity's fence
 *   are REPLAYED (already applied before a restart) and change nothing but the watermark.
 * - `advance` settles, in event-time order, every entity time before the watermark: history rows
 *   as of each distinct event time and each decay boundary (a non-empty tile leaving a sliding
 *   window, or a tumbling window closing), found through the timer queue without scanning.
 * - `onlineValues` gives an entity's values as of its latest event (or later decay boundary).
 *
 * The watermark is per partition (max event time seen − allowed lateness): every entity lives in
 * one partition, so results do not depend on how partitions are spread over workers.
 */
export class PartitionRuntime implements ViewRuntime {
  readonly entities = new Map<string, EntityState>();
  /** Where the entities' fixed-width tiles live (`slab-series.ts`). */
  readonly slabs: SeriesSlabs;
  /** Max event time seen on this partition (including replayed events). */
  maxEventTime = -Infinity;
  /** History rows settled since the last `takeRows`. */
  private rows: HistoryRow[] = [];
  private dirty: EntityState[] = [];
  private readonly timers: TimerQueue<EntityState>;
  private readonly due: EntityState[] = [];
  private readonly lateness: number;

  constructor(readonly plan: ViewPlan) {
    this.lateness = plan.allowedLatenessMs;
    this.slabs = createSlabs(plan);
    let width = 1_000;
    for (const f of plan.features) if (f.tileMs > 0 && f.tileMs < width) width = f.tileMs;
    this.timers = new TimerQueue(width);
  }

  /** The partition watermark: events before it are late; times before it are settled. */
  get watermark(): number {
    return this.maxEventTime - this.lateness;
  }

  /** The entity's state, created empty when unknown (the engine loads persisted state first). */
  entity(key: string): EntityState {
    let s = this.entities.get(key);
    if (s === undefined) {
      s = new EntityState(key, this.plan, this.slabs);
      this.entities.set(key, s);
    }
    return s;
  }

  /** Installs a restored entity (decoded from persisted bytes) and schedules its timers. */
  install(s: EntityState): void {
    if (s.slabs !== this.slabs)
      throw new Error(
        "install: decode the entity into this runtime's slabs (decodeEntity(…, rt.slabs))",
      );
    this.entities.set(s.key, s);
    s.scheduled = Number.NaN;
    recomputeBoundary(this.plan, s);
    this.timers.schedule(s, s.due());
  }

  /** Advances the partition clock for an event this view does not apply (filtered, or idle time). */
  observe(t: number): void {
    if (t > this.maxEventTime) this.maxEventTime = t;
  }

  apply(key: string, t: number, inputs: readonly (Scalar | null)[], offset: number): ApplyResult {
    if (t < this.maxEventTime - this.lateness) return LATE;
    if (t > this.maxEventTime) this.maxEventTime = t;
    const s = this.entity(key);
    if (offset <= s.fence) return REPLAYED;
    s.fence = offset;
    s.stateDirty = true;
    const ev: PendingEvent = { t, inputs };
    if (s.pending.length === 0) s.pending = [ev];
    else insertPending(s.pending as PendingEvent[], ev);
    if (t > s.latest) s.latest = t;
    if (t > s.onlineAsOf) s.onlineAsOf = t;
    if (!s.dirty) {
      s.dirty = true;
      this.dirty.push(s);
    }
    this.timers.schedule(s, t);
    return APPLIED;
  }

  /** Settles everything before `wm` (default: the partition watermark). */
  advance(wm: number = this.watermark): void {
    const due = this.due;
    this.timers.popDue(wm, due);
    for (let i = 0; i < due.length; i++) {
      const s = due[i];
      if (s === undefined) continue;
      this.settle(s, wm);
    }
    for (let i = 0; i < due.length; i++) {
      const s = due[i];
      if (s !== undefined) this.timers.schedule(s, s.due());
    }
    due.length = 0;
  }

  takeRows(): HistoryRow[] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  get entityCount(): number {
    return this.entities.size;
  }

  takeWrites(arena: ByteWriter): EntityOutput[] {
    const out: EntityOutput[] = [];
    for (const s of this.takeDirty()) {
      out.push({
        key: s.key,
        asOf: s.onlineAsOf,
        values: this.onlineValues(s),
        state: s.stateDirty ? appendEntity(this.plan, s, arena) : null,
        isNew: !s.persisted,
        fence: s.fence,
      });
      s.stateDirty = false;
      s.persisted = true;
    }
    return out;
  }

  dropWrites(): void {
    this.takeDirty();
  }

  restore(key: string, bytes: Uint8Array): void {
    if (this.entities.has(key)) throw new Error(heldMessage(key));
    this.install(decodeEntity(this.plan, key, bytes, this.slabs));
  }

  entityKeys(): string[] {
    return [...this.entities.keys()];
  }

  snapshotWrite(key: string, arena: ByteWriter): EntityOutput {
    const s = this.entities.get(key);
    if (s === undefined) throw new Error(`snapshotWrite: unknown entity ${key}`);
    return {
      key,
      asOf: s.onlineAsOf,
      values: this.onlineValues(s),
      state: appendEntity(this.plan, s, arena),
      isNew: true,
      fence: s.fence,
    };
  }

  /** Entities whose online values changed since the last call. */
  takeDirty(): EntityState[] {
    const dirty = this.dirty;
    this.dirty = [];
    for (const s of dirty) s.dirty = false;
    return dirty;
  }

  private settle(s: EntityState, wm: number): void {
    const plan = this.plan;
    const pending = s.pending;
    let pi = 0;
    for (;;) {
      const tNext = pending[pi]?.t ?? Infinity;
      const T = tNext < s.nextBoundary ? tNext : s.nextBoundary;
      if (!(T < wm)) break;
      advanceWindows(plan, s, T);
      s.settled = T;
      while (pi < pending.length && (pending[pi]?.t ?? Infinity) === T) {
        const ev = pending[pi];
        if (ev !== undefined) applySettled(plan, s, ev.t, ev.inputs);
        pi++;
      }
      dropTiles(plan, s, T);
      recomputeBoundary(plan, s);
      const values = finalizeRow(plan, s, T);
      s.lastRow = values;
      this.rows.push({ key: s.key, asOf: T, values });
      if (T > s.onlineAsOf) {
        s.onlineAsOf = T;
        if (!s.dirty) {
          s.dirty = true;
          this.dirty.push(s);
        }
      }
    }
    if (pi > 0) s.pending = pi === pending.length ? NO_PENDING : pending.slice(pi);
  }

  /** The entity's online values, exact as of `s.onlineAsOf` for all events applied so far. */
  onlineValues(s: EntityState): readonly FeatureValue[] {
    if (s.pending.length === 0 && s.settled === s.onlineAsOf && s.lastRow !== undefined)
      return s.lastRow;
    return projectOnline(this.plan, s, s.onlineAsOf);
  }
}

/**
 * Moves every sliding window of `s` to its extent as of `T`, expiring tiles that left. A tile
 * leaves a window exactly when `T ≥ start + W`, and `s.nextBoundary` is the least such time over
 * the windows' oldest tiles, so before it no window moves (most event-time rows).
 */
function advanceWindows(plan: ViewPlan, s: EntityState, T: number): void {
  if (T < s.nextBoundary) return;
  const marks = s.marks;
  for (const f of plan.sliding) {
    const m = f.marks;
    if (T < (marks[m + LEAVE] ?? Infinity)) continue;
    const d = s.tiles(f.series);
    if (d === undefined) continue;
    const start = windowStart(f, T);
    const head = marks[m + HEAD] ?? d.head;
    const i = firstTileFrom(d, head, start);
    marks[m + HEAD] = i;
    marks[m + LEAVE] = i < d.end ? d.startAt(i) + f.sizeMs : Infinity;
    s.running[f.index] = expireTiles(f, s.running[f.index], d, head, i);
    marks[m + STALE] = 1;
  }
}

/** Applies one event at settled time `t` to tiles and runnings. */
function applySettled(
  plan: ViewPlan,
  s: EntityState,
  t: number,
  inputs: readonly (Scalar | null)[],
): void {
  const marks = s.marks;
  for (const series of plan.series) {
    const v = series.input < 0 ? COUNT_INPUT : inputs[series.input];
    if (v === null || v === undefined) continue;
    const d = s.tiles(series.index);
    if (d === undefined) continue;
    const start = tileStart(t, series.tileMs);
    if (d.size === 0) marks[series.dropMark] = start + series.keepMs;
    d.update(start, series.aggregator, v, t);
  }
  for (const f of plan.features) {
    if (f.kind === 1) continue;
    const v = f.input < 0 ? COUNT_INPUT : inputs[f.input];
    if (v === null || v === undefined) continue;
    s.running[f.index] = f.aggregator.update(s.running[f.index], v, t);
    marks[f.marks + STALE] = 1;
    // An empty window's first tile is this event's.
    if (f.kind === 0 && marks[f.marks + LEAVE] === Infinity)
      marks[f.marks + LEAVE] = tileStart(t, f.tileMs) + f.sizeMs;
  }
  for (const f of plan.tumbling) marks[f.marks + STALE] = 1;
}

/** Drops tiles no window can read any more (as of settled time `T` or later). */
function dropTiles(plan: ViewPlan, s: EntityState, T: number): void {
  const marks = s.marks;
  for (const series of plan.series) {
    if (T < (marks[series.dropMark] ?? Infinity)) continue;
    const d = s.tiles(series.index);
    if (d === undefined || d.size === 0) continue;
    const ts = tileStart(T, series.tileMs);
    const minStart = ts + series.tileMs - series.keepMs;
    d.dropBefore(minStart, series.aggregator, series.tileMs);
    marks[series.dropMark] = d.size === 0 ? Infinity : d.startAt(d.head) + series.keepMs;
    const shift = d.compact();
    if (shift > 0) {
      for (const f of plan.sliding) {
        if (f.series === series.index) marks[f.marks + HEAD] = (marks[f.marks + HEAD] ?? 0) - shift;
      }
    }
  }
}

/** Next time after `s.settled` at which a window's content changes with no new event. */
function recomputeBoundary(plan: ViewPlan, s: EntityState): void {
  let next = Infinity;
  for (const f of plan.sliding) {
    const b = s.marks[f.marks + LEAVE] ?? Infinity;
    if (b < next) next = b;
  }
  for (const f of plan.tumbling) {
    const d = s.tiles(f.series);
    if (d !== undefined) next = nextTumblingBoundary(f, d, s.settled, next);
  }
  s.nextBoundary = next;
}

function tumblingTile(f: FeaturePlan, s: EntityState, T: number): unknown {
  const d = s.tiles(f.series);
  return d === undefined ? undefined : closedTumblingIr(f, d, T);
}

/**
 * Values as of settled time `T` (all pending events before T are already applied). Features
 * whose aggregate did not change since the previous row reuse its value (a decay of one window
 * re-finalizes only that window).
 */
function finalizeRow(plan: ViewPlan, s: EntityState, T: number): FeatureValue[] {
  const features = plan.features;
  const prev = s.lastRow;
  const marks = s.marks;
  const out = new Array<FeatureValue>(features.length);
  for (let i = 0; i < features.length; i++) {
    const f = features[i] as FeaturePlan;
    const m = f.marks;
    if (f.kind === 1) {
      const shown = tileStart(T, f.tileMs) - f.tileMs;
      if (prev !== undefined && marks[m + STALE] === 0 && marks[m + SHOWN] === shown) {
        out[i] = prev[i] ?? null;
        continue;
      }
      const ir = tumblingTile(f, s, T);
      out[i] = ir === undefined ? f.empty : output(f, ir);
      marks[m + SHOWN] = shown;
    } else if (prev !== undefined && marks[m + STALE] === 0) {
      out[i] = prev[i] ?? null;
      continue;
    } else {
      out[i] = output(f, s.running[i]);
    }
    marks[m + STALE] = 0;
  }
  return out;
}

/** Values as of `A` ≥ settled: the settled windows moved to A, plus the pending events. */
function projectOnline(plan: ViewPlan, s: EntityState, A: number): FeatureValue[] {
  const out = new Array<FeatureValue>(plan.features.length);
  const pending = s.pending;
  for (const f of plan.features) {
    const agg = f.aggregator;
    let acc: unknown;
    let from = -Infinity;
    let to = Infinity;
    if (f.kind === 0) {
      const d = s.tiles(f.series);
      from = windowStart(f, A);
      acc = agg.clone(s.running[f.index]);
      const head = s.marks[f.marks + HEAD] ?? 0;
      if (d !== undefined && A >= (s.marks[f.marks + LEAVE] ?? Infinity))
        acc = expireTiles(f, acc, d, head, firstTileFrom(d, head, from));
    } else if (f.kind === 1) {
      const ir = tumblingTile(f, s, A);
      acc = ir === undefined ? agg.empty() : agg.clone(ir);
      to = tileStart(A, f.tileMs);
      from = to - f.tileMs;
    } else {
      acc = agg.clone(s.running[f.index]);
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
