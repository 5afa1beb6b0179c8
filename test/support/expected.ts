/**
 * What a run must produce, derived by brute force from the raw events (semantics.md): which
 * events are late, the history rows per entity (as-of times and values) and the final online
 * values. Shared by the windowing oracle test and the end-to-end tests.
 */
import type { FeatureValue, Scalar } from '../../src/core/aggregation/aggregator.js';
import type { CompiledView } from '../../src/core/topology/compile.js';
import { boundaries, exactValue, sameValue, windowEvents } from './oracle.js';
import type { OracleEvent } from './oracle.js';

export interface InputEvent {
  readonly partition: number;
  readonly key: string;
  readonly t: number;
  readonly fields: Readonly<Record<string, Scalar | null>>;
}

export interface ExpectedRow {
  readonly asOf: number;
  readonly values: readonly FeatureValue[];
}

export interface Expected {
  readonly late: ReadonlySet<number>;
  readonly rows: ReadonlyMap<string, readonly ExpectedRow[]>;
  readonly online: ReadonlyMap<string, ExpectedRow>;
  /** Window events per (key, feature index, as-of) for tolerance checks. */
  windowOf(key: string, feature: number, asOf: number): OracleEvent[];
}

/** Events in arrival order (their index is the arrival sequence). */
export function expectedResults(view: CompiledView, events: readonly InputEvent[]): Expected {
  const lateness = view.ir.allowedLatenessMs;
  const maxSeen = new Map<number, number>();
  const late = new Set<number>();
  const applied = new Map<string, OracleEvent[]>();
  const partitionOf = new Map<string, number>();
  events.forEach((e, seq) => {
    const max = maxSeen.get(e.partition) ?? -Infinity;
    if (e.t > max) maxSeen.set(e.partition, e.t);
    if (e.t < max - lateness) {
      late.add(seq);
      return;
    }
    const list = applied.get(e.key) ?? [];
    list.push({ t: e.t, seq, fields: e.fields });
    applied.set(e.key, list);
    partitionOf.set(e.key, e.partition);
  });
  const rows = new Map<string, ExpectedRow[]>();
  const online = new Map<string, ExpectedRow>();
  for (const [key, evs] of applied) {
    const wm = (maxSeen.get(partitionOf.get(key) ?? 0) ?? 0) - lateness;
    const valueAt = (T: number): FeatureValue[] =>
      view.features.map((f) => {
        const v = exactValue(f.ir, windowEvents(f.ir, evs, T));
        return f.map === undefined ? v : f.map(v);
      });
    const times = new Set<number>(evs.map((e) => e.t));
    const bounds = new Set<number>();
    for (const f of view.ir.features) for (const b of boundaries(f, evs)) bounds.add(b);
    for (const b of bounds) times.add(b);
    rows.set(
      key,
      [...times]
        .filter((t) => t < wm)
        .sort((a, b) => a - b)
        .map((asOf) => ({ asOf, values: valueAt(asOf) })),
    );
    const latest = Math.max(...evs.map((e) => e.t));
    const asOf = Math.max(latest, ...[...bounds].filter((b) => b > latest && b < wm));
    online.set(key, { asOf, values: valueAt(asOf) });
  }
  return {
    late,
    rows,
    online,
    windowOf: (key, feature, asOf) => {
      const f = view.features[feature];
      return f === undefined ? [] : windowEvents(f.ir, applied.get(key) ?? [], asOf);
    },
  };
}

/** Describes every difference between produced values and expected ones (empty = equal). */
export function diffValues(
  view: CompiledView,
  expected: Expected,
  key: string,
  asOf: number,
  got: readonly FeatureValue[],
  want: readonly FeatureValue[],
): string[] {
  const out: string[] = [];
  view.features.forEach((f, i) => {
    const g = got[i] ?? null;
    const w = want[i] ?? null;
    if (!sameValue(f.ir, g, w, expected.windowOf(key, i, asOf))) {
      out.push(
        `${key} ${f.name} as of ${asOf}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`,
      );
    }
  });
  return out;
}
