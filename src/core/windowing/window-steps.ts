import type { FeatureValue, Scalar } from '../aggregation/aggregator.js';
import { tileStart } from './resolution.js';
import type { Tiles } from './tiles.js';
import type { FeaturePlan } from './view-plan.js';

/*
 * The steps both view runtimes (`partition-runtime.ts`, `record-runtime.ts`) share: the apply
 * results, history rows, and the window arithmetic of semantics.md.
 */

/** An applied event whose time is not yet settled (its time ≥ the partition watermark). */
export interface PendingEvent {
  readonly t: number;
  /** Values of the plan's input slots; null = absent. */
  readonly inputs: readonly (Scalar | null)[];
}

/** One row of feature history: the entity's values exactly as of `asOf`. */
export interface HistoryRow {
  readonly key: string;
  readonly asOf: number;
  readonly values: readonly FeatureValue[];
}

export const APPLIED = 0;
export const LATE = 1;
export const REPLAYED = 2;
export type ApplyResult = typeof APPLIED | typeof LATE | typeof REPLAYED;

export const COUNT_INPUT: Scalar = 1;

/** Inserts `ev` in (time, arrival) order into a non-empty pending list the entity owns. */
export function insertPending(pending: PendingEvent[], ev: PendingEvent): void {
  let i = pending.length;
  while (i > 0 && (pending[i - 1]?.t ?? -Infinity) > ev.t) i--;
  if (i === pending.length) pending.push(ev);
  else pending.splice(i, 0, ev);
}

export function windowStart(f: FeaturePlan, T: number): number {
  return tileStart(T, f.tileMs) + f.tileMs - f.sizeMs;
}

/**
 * The aggregate of `f`'s window once tiles `[from, to)` of `d` left it (`running` held
 * `[from, end)`): retracted (invertible ops), kept (`unaffectedBy`), reduced (`expire`:
 * sketches), or else re-merged from the remaining tiles. May mutate `running`.
 */
export function expireTiles(
  f: FeaturePlan,
  running: unknown,
  d: Tiles,
  from: number,
  to: number,
): unknown {
  const agg = f.aggregator;
  if (to < d.end) {
    if (f.invertible) return d.retractRange(agg, running, from, to);
    if (agg.expire !== undefined) {
      const reduced = d.expireRange(agg, running, from, to);
      if (reduced !== undefined) return reduced;
    } else if (d.unaffectedRange(agg, running, from, to)) {
      return running;
    }
  }
  return d.mergeRange(agg, agg.empty(), to, d.end);
}

export function output(f: FeaturePlan, ir: unknown): FeatureValue {
  const v = f.aggregator.finalize(ir);
  return f.map === undefined ? v : f.map(v);
}

/** The first tile index at or after `i` whose start is ≥ `start` (tiles are in start order). */
export function firstTileFrom(d: Tiles, i: number, start: number): number {
  let j = i;
  while (j < d.end && d.startAt(j) < start) j++;
  return j;
}

/** The IR of the closed tumbling window shown as of `T` (undefined when it had no events). */
export function closedTumblingIr(f: FeaturePlan, d: Tiles, T: number): unknown {
  const target = tileStart(T, f.tileMs) - f.tileMs;
  for (let i = d.end - 1; i >= d.head; i--) {
    const start = d.startAt(i);
    if (start === target) return d.irAt(i);
    if (start < target) break;
  }
  return undefined;
}

/**
 * `next`, or an earlier time after `settled` at which a tumbling window over `d`'s tiles
 * changes with no new event: a tile's window is shown once it closes, and stops being shown
 * one period later.
 */
export function nextTumblingBoundary(
  f: FeaturePlan,
  d: Tiles,
  settled: number,
  next: number,
): number {
  let n = next;
  for (let i = d.head; i < d.end; i++) {
    const enters = d.startAt(i) + f.sizeMs;
    const leaves = enters + f.sizeMs;
    if (enters > settled && enters < n) n = enters;
    else if (leaves > settled && leaves < n) n = leaves;
  }
  return n;
}
