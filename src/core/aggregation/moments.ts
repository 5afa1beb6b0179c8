import type { ByteReader, ByteWriter } from '../encoding/bytes.js';

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

const N = 0;
const MEAN = 1;
const M2 = 2;

export function emptyMoments(): MomentsState {
  return new Float64Array(3);
}

export function updateMoments(ir: MomentsState, x: number): MomentsState {
  const n = (ir[N] ?? 0) + 1;
  const mean = ir[MEAN] ?? 0;
  const d = x - mean;
  const nextMean = mean + d / n;
  ir[N] = n;
  ir[MEAN] = nextMean;
  ir[M2] = (ir[M2] ?? 0) + d * (x - nextMean);
  return ir;
}

export function mergeMoments(a: MomentsState, b: MomentsState): MomentsState {
  const nb = b[N] ?? 0;
  if (nb === 0) return a;
  const na = a[N] ?? 0;
  if (na === 0) {
    a.set(b);
    return a;
  }
  const n = na + nb;
  const ma = a[MEAN] ?? 0;
  const d = (b[MEAN] ?? 0) - ma;
  a[N] = n;
  a[MEAN] = ma + (d * nb) / n;
  a[M2] = (a[M2] ?? 0) + (b[M2] ?? 0) + ((d * d * na) / n) * nb;
  return a;
}

/** Removes `b` from `a` (where `a` = merge(x, b)), leaving x. */
export function retractMoments(a: MomentsState, b: MomentsState): MomentsState {
  const nb = b[N] ?? 0;
  if (nb === 0) return a;
  const na = a[N] ?? 0;
  const nx = na - nb;
  if (nx <= 0) {
    a.fill(0);
    return a;
  }
  // With δ = meanᵦ − meanₐ (a = the merged state): meanₓ = meanₐ − δ·nᵦ/nₓ and, inverting Chan,
  // m2ₓ = m2ₐ − m2ᵦ − δ²·nₐ·nᵦ/nₓ. Working from δ avoids forming n·mean products.
  const ma = a[MEAN] ?? 0;
  const d = (b[MEAN] ?? 0) - ma;
  const m2 = (a[M2] ?? 0) - (b[M2] ?? 0) - ((d * d * na) / nx) * nb;
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
  w.uvar(ir[N] ?? 0);
  w.f64(ir[MEAN] ?? 0);
  w.f64(ir[M2] ?? 0);
}

export function decodeMoments(r: ByteReader): MomentsState {
  const ir = new Float64Array(3);
  ir[N] = r.uvar();
  ir[MEAN] = r.f64();
  ir[M2] = r.f64();
  return ir;
}
