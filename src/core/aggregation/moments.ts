import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { PackedSlots } from './aggregator.js';

/**
 * IR shared by `variance` and `stddev`: `Float64Array [n, mean, m2]`, mutated in place, where
 * `m2 = Σ (xᵢ − mean)²`. Population variance is `m2 / n`.
 *
 * - update: Welford's recurrence (stable: no sum of squares, no cancellation of large terms).
 * - merge: Chan et al.'s parallel formula, `m2 = m2ₐ + m2ᵦ + δ²·nₐ·nᵦ/n` with `δ = meanᵦ − meanₐ`.
 * - retract: the same formula solved for the remaining part. Subtraction can cancel, so the
 *   result's absolute error is about ε·m2 of the larger state; a tiny negative m2 is clamped to 0.
 *
 * Encoded as a varint n, then f64 mean and f64 m2 (bit-exact round trip).
 */
export type MomentsState = Float64Array;

/** Doubles indexable from an offset: an IR, or a packed tile buffer (`PackedSlots`). */
type Doubles = { [i: number]: number };

const N = 0;
const MEAN = 1;
const M2 = 2;

export function emptyMoments(): MomentsState {
  return new Float64Array(3);
}

export function updateMoments(ir: MomentsState, x: number): MomentsState {
  updateMomentsAt(ir, 0, x);
  return ir;
}

/** Welford's update of the moments at `a[o..o + 3)`. */
export function updateMomentsAt(a: Doubles, o: number, x: number): void {
  const n = (a[o + N] ?? 0) + 1;
  const mean = a[o + MEAN] ?? 0;
  const d = x - mean;
  const nextMean = mean + d / n;
  a[o + N] = n;
  a[o + MEAN] = nextMean;
  a[o + M2] = (a[o + M2] ?? 0) + d * (x - nextMean);
}

export function mergeMoments(a: MomentsState, b: MomentsState): MomentsState {
  return mergeMomentsAt(a, b, 0);
}

/** Chan's merge of the moments at `b[bo..bo + 3)` (the later part) into `a`. */
export function mergeMomentsAt(a: MomentsState, b: Doubles, bo: number): MomentsState {
  const nb = b[bo + N] ?? 0;
  if (nb === 0) return a;
  const na = a[N] ?? 0;
  const mb = b[bo + MEAN] ?? 0;
  const m2b = b[bo + M2] ?? 0;
  if (na === 0) {
    a[N] = nb;
    a[MEAN] = mb;
    a[M2] = m2b;
    return a;
  }
  const n = na + nb;
  const ma = a[MEAN] ?? 0;
  const d = mb - ma;
  a[N] = n;
  a[MEAN] = ma + (d * nb) / n;
  a[M2] = (a[M2] ?? 0) + m2b + ((d * d * na) / n) * nb;
  return a;
}

/** Removes `b` from `a` (where `a` = merge(x, b)), leaving x. */
export function retractMoments(a: MomentsState, b: MomentsState): MomentsState {
  return retractMomentsAt(a, b, 0);
}

/** `retractMoments` of the moments at `b[bo..bo + 3)`. */
export function retractMomentsAt(a: MomentsState, b: Doubles, bo: number): MomentsState {
  const nb = b[bo + N] ?? 0;
  if (nb === 0) return a;
  const na = a[N] ?? 0;
  const nx = na - nb;
  if (nx <= 0) {
    a.fill(0);
    return a;
  }
  const ma = a[MEAN] ?? 0;
  const d = (b[bo + MEAN] ?? 0) - ma;
  const m2 = (a[M2] ?? 0) - (b[bo + M2] ?? 0) - ((d * d * na) / nx) * nb;
  a[N] = nx;
  a[MEAN] = ma - (d * nb) / nx;
  a[M2] = m2 > 0 ? m2 : 0;
  return a;
}

/** Population variance, or null when empty (0 for a single value). */
export function momentsVariance(ir: MomentsState): number | null {
  const n = ir[N] ?? 0;
  return n === 0 ? null : (ir[M2] ?? 0) / n;
}

export function encodeMoments(ir: MomentsState, w: ByteWriter): void {
  encodeMomentsAt(ir, 0, w);
}

export function encodeMomentsAt(a: Doubles, o: number, w: ByteWriter): void {
  w.uvar(a[o + N] ?? 0);
  w.f64(a[o + MEAN] ?? 0);
  w.f64(a[o + M2] ?? 0);
}

export function decodeMoments(r: ByteReader): MomentsState {
  const ir = new Float64Array(3);
  decodeMomentsAt(r, ir, 0);
  return ir;
}

export function decodeMomentsAt(r: ByteReader, a: Doubles, o: number): void {
  a[o + N] = r.uvar();
  a[o + MEAN] = r.f64();
  a[o + M2] = r.f64();
}

/** Moments tiles packed as three doubles `[n, mean, m2]`, by the same functions as the IR. */
export const MOMENTS_SLOTS: PackedSlots<MomentsState> = {
  width: 3,
  clear(buf, off) {
    buf[off + N] = 0;
    buf[off + MEAN] = 0;
    buf[off + M2] = 0;
  },
  update(buf, off, value) {
    updateMomentsAt(buf, off, value as number);
  },
  load(buf, off) {
    return Float64Array.of(buf[off + N] ?? 0, buf[off + MEAN] ?? 0, buf[off + M2] ?? 0);
  },
  store(buf, off, ir) {
    buf.set(ir, off);
  },
  mergeInto: mergeMomentsAt,
  retractFrom: retractMomentsAt,
  encode: encodeMomentsAt,
  decode: decodeMomentsAt,
};
