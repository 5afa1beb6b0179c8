import type { Aggregator, FeatureValue } from '../aggregation/aggregator.js';
import type { CompiledView } from '../topology/compile.js';
import type { WindowIR } from '../topology/ir.js';
import { EMPTY_RING } from './slab-series.js';

/**
 * The execution plan of a view, derived once from its compiled form: which event fields are
 * read (input slots), which tile series exist, and how each feature reads them. Sliding windows
 * of the same aggregation and tile size share one tile series; tumbling windows of the same
 * aggregation and period share one; lifetime features keep only a running aggregate.
 */
export interface SeriesPlan {
  readonly index: number;
  readonly aggregator: Aggregator;
  /** Input slot read by this series, or -1 for count() (the event itself). */
  readonly input: number;
  readonly tileMs: number;
  /** Tiles starting before `settled − keepMs` can never be read again. */
  readonly keepMs: number;
  /** Where this series' drop time sits in `EntityState.marks`. */
  readonly dropMark: number;
  /**
   * Where the entity's ring in this series' slab is described in `EntityState.marks`
   * (`slab-series.ts`: block, capacity, head, end) when the aggregator's IR is a fixed number of
   * doubles (`Aggregator.slots`); -1 for object tiles (a `TileDeque` per entity).
   */
  readonly ringMark: number;
}

/**
 * An entity's per-feature bookkeeping lives in one array of doubles (`EntityState.marks`), four
 * per feature from `FeaturePlan.marks`, then one per tile series (`SeriesPlan.dropMark`), then
 * four per slab tile series (`SeriesPlan.ringMark`): one
 * object to load per entity visit instead of one per kind of mark.
 * - HEAD: sliding — absolute index of the window's oldest in-window tile in its series;
 * - LEAVE: sliding — when that tile leaves the window (its start + W; Infinity when empty);
 * - SHOWN: tumbling — start of the closed window the last history row shows;
 * - STALE: 1 when the feature's aggregate changed since the last history row, else 0.
 */
export const HEAD = 0;
export const LEAVE = 1;
export const SHOWN = 2;
export const STALE = 3;
export const FEATURE_MARKS = 4;

export type FeatureKind = 0 | 1 | 2;
export const SLIDING: FeatureKind = 0;
export const TUMBLING: FeatureKind = 1;
export const LIFETIME: FeatureKind = 2;

export interface FeaturePlan {
  readonly index: number;
  /** Offset of this feature's marks (HEAD, LEAVE, SHOWN, STALE) in `EntityState.marks`. */
  readonly marks: number;
  readonly name: string;
  readonly kind: FeatureKind;
  readonly aggregator: Aggregator;
  readonly input: number;
  /** Tile series (sliding, tumbling); -1 for lifetime. */
  readonly series: number;
  /** Window size W (sliding) or period P (tumbling); 0 for lifetime. */
  readonly sizeMs: number;
  /** Tile size R (sliding), P (tumbling); 0 for lifetime. */
  readonly tileMs: number;
  /** Windows retract expired tiles instead of re-merging the rest (see `retractable`). */
  readonly invertible: boolean;
  readonly map: ((value: FeatureValue) => FeatureValue) | undefined;
  readonly empty: FeatureValue;
}

export interface ViewPlan {
  readonly view: CompiledView;
  /** Event fields read by aggregations, in slot order; '$time' is the event time. */
  readonly inputs: readonly string[];
  readonly series: readonly SeriesPlan[];
  readonly features: readonly FeaturePlan[];
  readonly sliding: readonly FeaturePlan[];
  readonly tumbling: readonly FeaturePlan[];
  readonly lifetime: readonly FeaturePlan[];
  /** `EntityState.marks` of a new entity (copied): heads 0, times Infinity, shown NaN, stale. */
  readonly initialMarks: readonly number[];
  readonly allowedLatenessMs: number;
}

/**
 * Windows share a tile series when they keep the same IR (`irKind`, else the op) of the same
 * field with the same parameters and tile size — e.g. `sum('amount').over('1h')` and
 * `mean('amount').over('1h')` read one series of `[n, sum, c]` tiles.
 */
function seriesKey(
  window: WindowIR,
  aggregator: Aggregator,
  field: string | null,
  params: unknown,
): string | undefined {
  if (window.kind === 'lifetime') return undefined;
  const tile = window.kind === 'sliding' ? window.tileMs : window.sizeMs;
  const ir = aggregator.irKind ?? aggregator.op;
  return JSON.stringify([window.kind === 'sliding' ? 's' : 't', ir, field, params, tile]);
}

export function planView(view: CompiledView): ViewPlan {
  const inputs: string[] = [];
  const inputOf = (field: string | null): number => {
    if (field === null) return -1;
    let i = inputs.indexOf(field);
    if (i < 0) i = inputs.push(field) - 1;
    return i;
  };
  const seriesByKey = new Map<string, { plan: SeriesPlan; keep: number }>();
  const series: {
    index: number;
    aggregator: Aggregator;
    input: number;
    tileMs: number;
    keepMs: number;
    dropMark: number;
    ringMark: number;
  }[] = [];
  const features: FeaturePlan[] = [];
  /**
   * Windows retract expired tiles where that is exact or compensated: counts, and sums/means
   * (Neumaier-compensated, see sum.ts). Variance re-merges its tiles (its inverse is unstable).
   */
  const retractable = (op: string): boolean => op === 'count' || op === 'sum' || op === 'mean';
  for (const f of view.features) {
    const w = f.ir.window;
    const input = inputOf(f.field);
    const key = seriesKey(w, f.aggregator, f.field, f.ir.params);
    let seriesIndex = -1;
    if (key !== undefined && w.kind !== 'lifetime') {
      const tileMs = w.kind === 'sliding' ? w.tileMs : w.sizeMs;
      const keep = w.kind === 'sliding' ? w.sizeMs : 2 * w.sizeMs;
      let s = seriesByKey.get(key);
      if (s === undefined) {
        const plan = {
          index: series.length,
          aggregator: f.aggregator,
          input,
          tileMs,
          keepMs: keep,
          dropMark: 0,
          ringMark: -1,
        };
        series.push(plan);
        s = { plan, keep };
        seriesByKey.set(key, s);
      }
      const mutable = series[s.plan.index];
      if (mutable !== undefined) mutable.keepMs = Math.max(mutable.keepMs, keep);
      seriesIndex = s.plan.index;
    }
    const empty = f.aggregator.finalize(f.aggregator.empty());
    features.push({
      index: features.length,
      marks: features.length * FEATURE_MARKS,
      name: f.name,
      kind: w.kind === 'sliding' ? SLIDING : w.kind === 'tumbling' ? TUMBLING : LIFETIME,
      aggregator: f.aggregator,
      input,
      series: seriesIndex,
      sizeMs: w.kind === 'lifetime' ? 0 : w.sizeMs,
      tileMs: w.kind === 'sliding' ? w.tileMs : w.kind === 'tumbling' ? w.sizeMs : 0,
      invertible: f.aggregator.retract !== undefined && retractable(f.ir.op),
      map: f.map,
      empty: f.map === undefined ? empty : f.map(empty),
    });
  }
  const seriesMarks = features.length * FEATURE_MARKS;
  for (const x of series) x.dropMark = seriesMarks + x.index;
  const initialMarks: number[] = [];
  for (let i = 0; i < seriesMarks + series.length; i++) initialMarks.push(Infinity);
  for (const x of series) {
    if (x.aggregator.slots === undefined) continue;
    x.ringMark = initialMarks.length;
    initialMarks.push(...EMPTY_RING);
  }
  for (const f of features) {
    initialMarks[f.marks + HEAD] = 0;
    initialMarks[f.marks + SHOWN] = Number.NaN;
    initialMarks[f.marks + STALE] = 1;
  }
  return {
    view,
    inputs,
    series,
    features,
    sliding: features.filter((f) => f.kind === SLIDING),
    tumbling: features.filter((f) => f.kind === TUMBLING),
    lifetime: features.filter((f) => f.kind === LIFETIME),
    initialMarks,
    allowedLatenessMs: view.ir.allowedLatenessMs,
  };
}
