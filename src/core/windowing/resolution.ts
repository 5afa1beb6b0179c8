import { userError } from '../errors.js';
import { formatMillis } from '../time/duration.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;

/** Candidate tile sizes (semantics.md "Sliding window"). */
export const TILE_SIZES_MS: readonly number[] = [
  S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  6 * H,
  12 * H,
  24 * H,
];

/** Default tile size R for a sliding window W: the largest candidate ≤ W/60, at least 1s. */
export function defaultTileMs(windowMs: number): number {
  let best = S;
  for (const size of TILE_SIZES_MS) if (size <= windowMs / 60) best = size;
  return best;
}

/** Start of the tile of size `tileMs` that holds time `t` (epoch-aligned). */
export function tileStart(t: number, tileMs: number): number {
  return Math.floor(t / tileMs) * tileMs;
}

export function checkTile(windowMs: number, tileMs: number, feature: string): void {
  if (tileMs <= 0 || windowMs % tileMs !== 0 || tileMs > windowMs) {
    throw userError(
      'DSL_WINDOW_TILE',
      `feature '${feature}': window ${formatMillis(windowMs)} is not a multiple of tile ${formatMillis(tileMs)}`,
      `pick a tile that divides the window, e.g. ${formatMillis(defaultTileMs(windowMs))}`,
      { feature },
    );
  }
}
