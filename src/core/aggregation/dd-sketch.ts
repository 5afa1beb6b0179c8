import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import {
  BinStore,
  storeAdd,
  storeClone,
  storeDecode,
  storeEncode,
  storeMerge,
  storeSubtract,
  storeTotal,
} from './bin-store.js';

/** Default relative accuracy α of the quantile sketch. */
export const DEFAULT_RELATIVE_ACCURACY = 0.01;
/** Default bin limit, per sign. */
export const DEFAULT_MAX_BINS = 2048;

/** Magnitudes below the smallest normal double are counted as zero. */
const MIN_INDEXABLE = 2.2250738585072014e-308;

/** IR of `quantile`: a DDSketch, mutated in place. */
export class DDSketchState {
  /** Bins of positive values. */
  pos = new BinStore();
  /** Bins of negative values, by the index of |x|. */
  neg = new BinStore();
  /** Values with |x| < 2.2250738585072014e-308 (0, -0, subnormals). */
  zero = 0;
  /** Total number of values. */
  count = 0;
  /** Exact extremes (for q = 0 and q = 1, and to clamp estimates). */
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
}

/**
 * DDSketch (Masson, Rim & Lee, VLDB 2019) with a logarithmic index mapping and sparse stores.
 *
 * A value x > 0 goes to bin i = ⌈log_γ x⌉ with γ = (1 + α)/(1 − α); bin i covers (γ^(i−1), γ^i]
 * and is represented by 2γ^i/(γ + 1), which is within a factor (1 ± α) of every value in the bin.
 * Negative values use a second store keyed by |x|; ±0 and subnormal magnitudes a zero count.
 * Internally γ is built from α − min(α/1000, 1e-10), so that rounding in log/exp (relative
 * ~1e-13) can never push an estimate past α (for any α ≥ 1e-9).
 *
 * Quantile: with n values, the rank is r = ⌊q·(n − 1)⌋ (evaluated in double precision) — the
 * LOWER quantile, the element at index r of the sorted values. The estimate is the representative
 * of the bin holding rank r (walking negatives from most negative, then zeros, then positives),
 * clamped to the exact [min, max]; r = 0 returns the exact min and r = n − 1 the exact max.
 *
 * GUARANTEE: |estimate − x_r| ≤ α·|x_r| where x_r is the true element at rank r, provided
 * - |x_r| is 0 or at least 2.2250738585072014e-308 (a subnormal x_r is estimated as 0 — an
 *   absolute error below 2.3e-308), and
 * - x_r's bin was not collapsed: each sign keeps at most `maxBins` bins (default 2048) and, beyond
 *   that, merges its LOWEST-magnitude bins. 2048 bins at α = 0.01 span magnitudes over a ratio of
 *   γ^2048 ≈ 6·10^17 (e.g. 1e-6 … 6e11) before anything collapses; when it does, the quantiles of
 *   the largest magnitudes keep the guarantee and those near zero lose it.
 *
 * Inputs are finite numbers (validated upstream). ±Infinity is kept in the outermost bin (and in
 * min/max); NaN would count as 0.
 */
export class DDSketch {
  readonly alpha: number;
  readonly maxBins: number;
  /** ln γ. */
  private readonly lnGamma: number;
  /** ln(2/(γ + 1)): representative of bin i is exp(i·ln γ + lnFactor). */
  private readonly lnFactor: number;
  /** Index of the largest finite double (where ±Infinity goes). */
  private readonly maxIndex: number;

  constructor(alpha: number = DEFAULT_RELATIVE_ACCURACY, maxBins: number = DEFAULT_MAX_BINS) {
    this.alpha = alpha;
    this.maxBins = maxBins;
    const a = alpha - Math.min(alpha / 1000, 1e-10);
    this.lnGamma = Math.log1p((2 * a) / (1 - a));
    this.lnFactor = Math.log1p(-a); // 2/(γ + 1) = 1 − a
    this.maxIndex = Math.ceil(Math.log(Number.MAX_VALUE) / this.lnGamma);
  }

  add(s: DDSketchState, x: number): void {
    s.count++;
    if (x < s.min) s.min = x;
    if (x > s.max) s.max = x;
    const ax = x < 0 ? -x : x;
    if (!(ax >= MIN_INDEXABLE)) {
      s.zero++;
      return;
    }
    const index = ax <= Number.MAX_VALUE ? Math.ceil(Math.log(ax) / this.lnGamma) : this.maxIndex;
    storeAdd(x > 0 ? s.pos : s.neg, index, this.maxBins);
  }

  /** Merges `b` into `a` (mutating only `a`). */
  merge(a: DDSketchState, b: DDSketchState): DDSketchState {
    if (b.count === 0) return a;
    storeMerge(a.pos, b.pos, this.maxBins);
    storeMerge(a.neg, b.neg, this.maxBins);
    a.zero += b.zero;
    a.count += b.count;
    if (b.min < a.min) a.min = b.min;
    if (b.max > a.max) a.max = b.max;
    return a;
  }

  /**
   * Removes the expired `tiles[from..to)` from `whole` — which holds every value of
   * `tiles[from..end)` — leaving exactly the merge of the remaining `tiles[to..end)`: bin counts
   * are integers (subtraction is exact) and min/max come from the remaining tiles' own. False
   * when a bin limit may have collapsed bins of `whole` (its counts are no longer per bin).
   */
  expire(
    whole: DDSketchState,
    tiles: readonly DDSketchState[],
    from: number,
    to: number,
    end: number,
  ): boolean {
    if (whole.pos.keys.length >= this.maxBins || whole.neg.keys.length >= this.maxBins)
      return false;
    let extremes = false;
    for (let k = from; k < to; k++) {
      const t = tiles[k];
      if (t === undefined || t.count === 0) continue;
      if (!storeSubtract(whole.pos, t.pos) || !storeSubtract(whole.neg, t.neg)) return false;
      whole.zero -= t.zero;
      whole.count -= t.count;
      if (t.min <= whole.min || t.max >= whole.max) extremes = true;
    }
    if (whole.zero < 0 || whole.count < 0) return false;
    if (extremes) {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = to; k < end; k++) {
        const t = tiles[k];
        if (t === undefined || t.count === 0) continue;
        if (t.min < min) min = t.min;
        if (t.max > max) max = t.max;
      }
      whole.min = min;
      whole.max = max;
    }
    return true;
  }

  /** The estimated lower q-quantile (see the class comment), or null when empty. */
  quantile(s: DDSketchState, q: number): number | null {
    const n = s.count;
    if (n === 0) return null;
    const rank = Math.floor(q * (n - 1));
    if (rank <= 0) return s.min;
    if (rank >= n - 1) return s.max;
    let estimate = 0;
    let seen = 0;
    let found = false;
    const neg = s.neg;
    for (let i = neg.keys.length - 1; i >= 0; i--) {
      seen += neg.counts[i] ?? 0;
      if (seen > rank) {
        estimate = -this.representative(neg.keys[i] ?? 0);
        found = true;
        break;
      }
    }
    if (!found) {
      seen += s.zero;
      if (seen > rank) {
        estimate = 0;
      } else {
        const pos = s.pos;
        for (let i = 0; i < pos.keys.length; i++) {
          seen += pos.counts[i] ?? 0;
          if (seen > rank) {
            estimate = this.representative(pos.keys[i] ?? 0);
            break;
          }
        }
      }
    }
    return estimate < s.min ? s.min : estimate > s.max ? s.max : estimate;
  }

  private representative(index: number): number {
    return Math.exp(index * this.lnGamma + this.lnFactor);
  }

  clone(s: DDSketchState): DDSketchState {
    const out = new DDSketchState();
    out.pos = storeClone(s.pos);
    out.neg = storeClone(s.neg);
    out.zero = s.zero;
    out.count = s.count;
    out.min = s.min;
    out.max = s.max;
    return out;
  }

  /** `[uvar zero][neg store][pos store]` then, when not empty, `[num min][num max]`. */
  encode(s: DDSketchState, w: ByteWriter): void {
    w.uvar(s.zero);
    storeEncode(s.neg, w);
    storeEncode(s.pos, w);
    if (s.count > 0) {
      w.num(s.min);
      w.num(s.max);
    }
  }

  decode(r: ByteReader): DDSketchState {
    const out = new DDSketchState();
    out.zero = r.uvar();
    out.neg = storeDecode(r);
    out.pos = storeDecode(r);
    out.count = out.zero + storeTotal(out.neg) + storeTotal(out.pos);
    if (out.count > 0) {
      out.min = r.num();
      out.max = r.num();
    }
    return out;
  }
}
