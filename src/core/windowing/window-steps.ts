import type { FeatureValue, Scalar } from '../aggregation/aggregator.js';
import { tileStart } from './resolution.js';
import type { Tiles } from './tiles.js';
import type { FeaturePlan } from './view-plan.js';
import type { PendingEvent } from './entity-state.js';

/*
 * The steps both view runtimes (`partition-runtime.ts`, `record-runtime.ts`) share: the apply
 * results, history rows, and the window arithmetic of semantics.md.
 */

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
