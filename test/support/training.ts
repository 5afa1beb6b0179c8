/**
 * Training-set test support: labels around every emission time and tile boundary of the golden
 * stream, and the oracle of a training-set value (semantics.md "Training sets"): the exact value
 * as of the label time t, recomputed from the applied events — where t beyond an entity's last
 * settled history row is read as of that row (history only holds settled times), and t before
 * its first row gives the empty-window values.
 */
import { writeFileSync } from 'node:fs';
import type { FeatureValue } from '../../src/core/aggregation/aggregator.js';
import type { CompiledView } from '../../src/core/topology/compile.js';
import type { Expected, InputEvent } from './expected.js';
import { exactValue, sameValue, windowEvents } from './oracle.js';
import type { OracleEvent } from './oracle.js';

export interface Label {
  readonly acct: string;
  readonly t: number;
  /** Extra label columns: an integer target and a free-text note. */
  readonly label: number;
  readonly note: string;
}

/** Applied (not late) events per entity, as the oracle wants them. */
export function appliedEvents(
  events: readonly InputEvent[],
  expected: Expected,
): Map<string, OracleEvent[]> {
  const out = new Map<string, OracleEvent[]>();
  events.forEach((e, seq) => {
    if (expected.late.has(seq)) return;
    const list = out.get(e.key) ?? [];
    list.push({ t: e.t, seq, fields: e.fields });
    out.set(e.key, list);
  });
  return out;
}

/** A deterministic shuffle (so label order ≠ time order). */
function shuffle<T>(xs: T[], seed: number): T[] {
  let s = seed >>> 0;
  for (let i = xs.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/**
 * Labels 1 ms before, at and 1 ms after every history row time of every entity; for
 * `tileEntities` entities also around every 1 s tile boundary (and so every 10 s tumbling
 * boundary) of their active range; 1 s and 1 ms before each entity's first event; a day after the
 * last event. Shuffled.
 */
export function goldenLabels(
  expected: Expected,
  applied: ReadonlyMap<string, readonly OracleEvent[]>,
  tileEntities = 3,
): Label[] {
  const times = new Map<string, Set<number>>();
  const add = (acct: string, t: number): void => {
    let s = times.get(acct);
    if (s === undefined) times.set(acct, (s = new Set()));
    s.add(t);
  };
  for (const [acct, rows] of expected.rows) {
    for (const r of rows) for (const d of [-1, 0, 1]) add(acct, r.asOf + d);
  }
  [...applied.keys()].sort().forEach((acct, i) => {
    const ts = (applied.get(acct) ?? []).map((e) => e.t);
    const first = Math.min(...ts);
    const last = Math.max(...ts);
    add(acct, first - 1_000);
    add(acct, first - 1);
    add(acct, last + 86_400_000);
    if (i < tileEntities) {
      for (let b = Math.floor(first / 1000) * 1000; b <= last + 70_000; b += 1000)
        for (const d of [-1, 0, 1]) add(acct, b + d);
    }
  });
  const out: Label[] = [];
  for (const [acct, set] of times)
    for (const t of set) out.push({ acct, t, label: t % 2, note: `n${t % 5}` });
  return shuffle(out, 42);
}

/** The training-set oracle: each feature's value as of `t` for one entity. */
export function oracleValues(
  view: CompiledView,
  expected: Expected,
  applied: ReadonlyMap<string, readonly OracleEvent[]>,
  acct: string,
  t: number,
): FeatureValue[] {
  const rows = expected.rows.get(acct) ?? [];
  const last = rows[rows.length - 1]?.asOf;
  const first = rows[0]?.asOf;
  const evs = applied.get(acct) ?? [];
  const at = first === undefined || last === undefined || t < first ? undefined : Math.min(t, last);
  return view.features.map((f) => {
    const v = exactValue(f.ir, at === undefined ? [] : windowEvents(f.ir, evs, at));
    return f.map === undefined ? v : f.map(v);
  });
}

/** Differences between a training set's feature values and the oracle (empty = equal). */
export function diffTrainingRow(
  view: CompiledView,
  applied: ReadonlyMap<string, readonly OracleEvent[]>,
  expected: Expected,
  label: Label,
  got: readonly FeatureValue[],
): string[] {
  const want = oracleValues(view, expected, applied, label.acct, label.t);
  const out: string[] = [];
  const rows = expected.rows.get(label.acct) ?? [];
  const last = rows[rows.length - 1]?.asOf ?? label.t;
  const at = Math.min(label.t, last);
  view.features.forEach((f, i) => {
    const g = got[i] ?? null;
    const w = want[i] ?? null;
    if (!sameValue(f.ir, g, w, windowEvents(f.ir, applied.get(label.acct) ?? [], at)))
      out.push(
        `${label.acct} ${f.name} as of ${label.t}: got ${JSON.stringify(g)}, want ${JSON.stringify(w)}`,
      );
  });
  return out;
}

/** Writes labels as CSV: epoch ms, and every 7th time as ISO-8601 text. */
export function writeLabelsCsv(path: string, labels: readonly Label[]): void {
  const lines = ['acct,ts,label,note'];
  labels.forEach((l, i) =>
    lines.push(`${l.acct},${i % 7 === 3 ? new Date(l.t).toISOString() : l.t},${l.label},${l.note}`),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** `2025-01-01 12:00:00.123` (a DateTime64(3, 'UTC') as ClickHouse prints it) → epoch ms. */
export function chTime(s: unknown): number {
  return Date.parse(`${String(s).replace(' ', 'T')}Z`);
}
