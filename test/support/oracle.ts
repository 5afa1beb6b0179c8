/**
 * A brute-force oracle for feature values, written straight from semantics.md and independent of
 * the aggregators and the windowing code: every value is recomputed from the raw events.
 */
import type { FeatureValue, Scalar } from '../../src/core/aggregation/aggregator.js';
import type { FeatureIR } from '../../src/core/topology/ir.js';

export interface OracleEvent {
  readonly t: number;
  /** Arrival order (ties in time are broken by it). */
  readonly seq: number;
  readonly fields: Readonly<Record<string, Scalar | null>>;
}

const tileStart = (t: number, r: number): number => Math.floor(t / r) * r;

/** Events (of one entity) inside feature `f`'s window as of T, in (time, arrival) order. */
export function windowEvents(
  f: FeatureIR,
  events: readonly OracleEvent[],
  T: number,
): OracleEvent[] {
  const w = f.window;
  let lo = -Infinity;
  let hi = T;
  let hiInclusive = true;
  if (w.kind === 'sliding') lo = tileStart(T, w.tileMs) + w.tileMs - w.sizeMs;
  else if (w.kind === 'tumbling') {
    hi = tileStart(T, w.sizeMs);
    lo = hi - w.sizeMs;
    hiInclusive = false;
  }
  return events
    .filter((e) => e.t >= lo && (hiInclusive ? e.t <= hi : e.t < hi))
    .sort((a, b) => a.t - b.t || a.seq - b.seq);
}

function valuesOf(f: FeatureIR, events: readonly OracleEvent[]): { v: Scalar; t: number }[] {
  const out: { v: Scalar; t: number }[] = [];
  for (const e of events) {
    const v = f.field === null ? 1 : f.field === '$time' ? e.t : e.fields[f.field];
    if (v !== null && v !== undefined) out.push({ v, t: e.t });
  }
  return out;
}

/** The exact value per semantics.md (quantile: exact lower quantile; distinct: exact count). */
export function exactValue(f: FeatureIR, events: readonly OracleEvent[]): FeatureValue {
  const xs = valuesOf(f, events);
  const nums = xs.map((x) => x.v as number);
  switch (f.op) {
    case 'count':
      return xs.length;
    case 'sum':
      return nums.reduce((a, b) => a + b, 0);
    case 'mean':
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0) / nums.length;
    case 'min':
      return nums.length === 0 ? null : Math.min(...nums);
    case 'max':
      return nums.length === 0 ? null : Math.max(...nums);
    case 'variance':
    case 'stddev': {
      if (nums.length === 0) return null;
      const m = nums.reduce((a, b) => a + b, 0) / nums.length;
      const v = nums.reduce((a, b) => a + (b - m) * (b - m), 0) / nums.length;
      return f.op === 'variance' ? v : Math.sqrt(v);
    }
    case 'first':
      return xs.length === 0 ? null : (xs[0]?.v ?? null);
    case 'last':
      return xs.length === 0 ? null : (xs[xs.length - 1]?.v ?? null);
    case 'lastN': {
      const n = f.params.n ?? 1;
      return xs
        .slice(-n)
        .reverse()
        .map((x) => x.v);
    }
    case 'distinctCount':
      return new Set(xs.map((x) => (typeof x.v === 'number' ? `n${x.v}` : `s${String(x.v)}`))).size;
    case 'quantile': {
      if (nums.length === 0) return null;
      const sorted = [...nums].sort((a, b) => a - b);
      return sorted[Math.floor((f.params.q ?? 0.5) * (sorted.length - 1))] ?? null;
    }
  }
}

/** Times at which a window's content changes without an event (decay boundaries). */
export function boundaries(f: FeatureIR, events: readonly OracleEvent[]): number[] {
  const w = f.window;
  const out = new Set<number>();
  for (const e of events) {
    const v = f.field === null ? 1 : f.field === '$time' ? e.t : e.fields[f.field];
    if (v === null || v === undefined) continue;
    if (w.kind === 'sliding') out.add(tileStart(e.t, w.tileMs) + w.sizeMs);
    else if (w.kind === 'tumbling') {
      const k = tileStart(e.t, w.sizeMs);
      out.add(k + w.sizeMs);
      out.add(k + 2 * w.sizeMs);
    }
  }
  return [...out];
}

/**
 * Compares a produced value with the exact one, with the tolerance the op documents. Variance and
 * stddev are ill-conditioned when the spread is tiny next to the values: their tolerance is
 * relative to the second moment E[x²] of the window (pass the window's events).
 */
export function sameValue(
  f: FeatureIR,
  got: FeatureValue,
  want: FeatureValue,
  events: readonly OracleEvent[] = [],
  relAccuracy = 0.01,
): boolean {
  if (want === null || got === null) return want === got;
  if (Array.isArray(want) || Array.isArray(got)) {
    return JSON.stringify(got) === JSON.stringify(want);
  }
  if (typeof want !== 'number' || typeof got !== 'number') return want === got;
  if (f.op === 'quantile') return Math.abs(got - want) <= relAccuracy * Math.abs(want) + 1e-12;
  if (f.op === 'variance' || f.op === 'stddev') {
    const nums = valuesOf(f, events).map((x) => x.v as number);
    const m2 = nums.reduce((a, b) => a + b * b, 0) / Math.max(1, nums.length);
    const varTol = 1e-9 * m2 + 1e-12;
    const tol = f.op === 'variance' ? varTol : Math.sqrt(varTol);
    if (Math.abs(got - want) <= tol) return true;
  }
  if (f.op === 'count' || f.op === 'distinctCount' || Number.isInteger(want)) {
    if (Number.isInteger(want) && Number.isInteger(got)) return got === want;
  }
  return Math.abs(got - want) <= 1e-9 * Math.max(Math.abs(want), Math.abs(got)) + 1e-12;
}
