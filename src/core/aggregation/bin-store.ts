import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import { appendExact, trimmed } from '../values/exact-array.js';

/**
 * A sparse histogram for DDSketch: bins with integer index `keys[i]` (strictly ascending) and
 * count `counts[i]`. Plain arrays of small integers (cheap to allocate and grow in V8, unlike
 * small typed arrays): a tile with a handful of values holds a handful of bins.
 *
 * Bin limit: at most `maxBins` bins. When a new index would exceed it, the LOWEST bins collapse
 * into the lowest bin kept. The result is always the same function of the multiset of indexes
 * added — the `maxBins` highest distinct indexes, the lowest of them also holding the counts of
 * every index below it — whatever the order of adds and merges, so the merge laws hold exactly.
 */
export class BinStore {
  keys: number[] = [];
  counts: number[] = [];
}

/** Adds one value to bin `index`. */
export function storeAdd(s: BinStore, index: number, maxBins: number): void {
  const keys = s.keys;
  const counts = s.counts;
  const size = keys.length;
  // Fast path: values in a tile often repeat the last (highest) bin.
  if (size > 0 && keys[size - 1] === index) {
    counts[size - 1] = (counts[size - 1] ?? 0) + 1;
    return;
  }
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? 0) < index) lo = mid + 1;
    else hi = mid;
  }
  if (lo < size && keys[lo] === index) {
    counts[lo] = (counts[lo] ?? 0) + 1;
    return;
  }
  if (size >= maxBins) {
    if (lo === 0) {
      // Below every kept bin: collapses into the lowest one.
      counts[0] = (counts[0] ?? 0) + 1;
      return;
    }
    // Drop bin 0, insert the new bin, and let the (new) lowest bin absorb bin 0's count.
    const c0 = counts[0] ?? 0;
    for (let i = 1; i < lo; i++) {
      keys[i - 1] = keys[i] ?? 0;
      counts[i - 1] = counts[i] ?? 0;
    }
    keys[lo - 1] = index;
    counts[lo - 1] = 1;
    counts[0] = (counts[0] ?? 0) + c0;
    return;
  }
  // Exact-size growth while small: most tiles and windows hold a handful of bins.
  const k = (s.keys = appendExact(keys, index));
  const c = (s.counts = appendExact(counts, 1));
  if (lo === size) return;
  for (let i = size; i > lo; i--) {
    k[i] = k[i - 1] ?? 0;
    c[i] = c[i - 1] ?? 0;
  }
  k[lo] = index;
  c[lo] = 1;
}

/** Merges `b` into `a` (mutating only `a`), then applies the bin limit. */
export function storeMerge(a: BinStore, b: BinStore, maxBins: number): void {
  const bk = b.keys;
  const bc = b.counts;
  const nb = bk.length;
  if (nb === 0) return;
  const ak = a.keys;
  const ac = a.counts;
  const na = ak.length;
  if (na === 0 || (ak[na - 1] ?? 0) < (bk[0] ?? 0)) {
    // Disjoint and above: append.
    for (let j = 0; j < nb; j++) {
      ak.push(bk[j] ?? 0);
      ac.push(bc[j] ?? 0);
    }
  } else {
    // Merge from the back into a's own arrays (no temporary), then close the gap left by
    // shared keys. Writes never overtake the unread part of a.
    for (let j = 0; j < nb; j++) {
      ak.push(0);
      ac.push(0);
    }
    let i = na - 1;
    let j = nb - 1;
    let w = na + nb - 1;
    while (j >= 0 && i >= 0) {
      const kb = bk[j] ?? 0;
      const ka = ak[i] ?? 0;
      if (ka > kb) {
        ak[w] = ka;
        ac[w] = ac[i] ?? 0;
        i--;
      } else if (ka < kb) {
        ak[w] = kb;
        ac[w] = bc[j] ?? 0;
        j--;
      } else {
        ak[w] = ka;
        ac[w] = (ac[i] ?? 0) + (bc[j] ?? 0);
        i--;
        j--;
      }
      w--;
    }
    for (; j >= 0; j--, w--) {
      ak[w] = bk[j] ?? 0;
      ac[w] = bc[j] ?? 0;
    }
    // a[0..i] is in place; the merged tail is a[w+1..); `gap` shared keys left a hole between.
    const gap = w - i;
    if (gap > 0) {
      const n = na + nb;
      for (let k = w + 1; k < n; k++) {
        ak[k - gap] = ak[k] ?? 0;
        ac[k - gap] = ac[k] ?? 0;
      }
      ak.length = n - gap;
      ac.length = n - gap;
    }
  }
  if (ak.length > maxBins) collapseLowest(a, ak.length - maxBins);
}

/**
 * Subtracts `b`'s counts from `a` (mutating only `a`), dropping bins that reach 0 — exact when
 * `a` holds `b`'s values and has never collapsed. False (with `a` partly changed) when `b` has a
 * bin `a` lacks or holds more of: `a` did not contain `b`.
 */
export function storeSubtract(a: BinStore, b: BinStore): boolean {
  const bk = b.keys;
  const bc = b.counts;
  const nb = bk.length;
  if (nb === 0) return true;
  const ak = a.keys;
  const ac = a.counts;
  const na = ak.length;
  let i = 0;
  let w = 0;
  for (let j = 0; j < nb; j++) {
    const key = bk[j] ?? 0;
    while (i < na && (ak[i] ?? 0) < key) {
      ak[w] = ak[i] ?? 0;
      ac[w] = ac[i] ?? 0;
      w++;
      i++;
    }
    if (i >= na || ak[i] !== key) return false;
    const left = (ac[i] ?? 0) - (bc[j] ?? 0);
    if (left < 0) return false;
    if (left > 0) {
      ak[w] = key;
      ac[w] = left;
      w++;
    }
    i++;
  }
  for (; i < na; i++, w++) {
    ak[w] = ak[i] ?? 0;
    ac[w] = ac[i] ?? 0;
  }
  ak.length = w;
  ac.length = w;
  return true;
}

/** Folds the lowest `extra` bins into the next one up and removes them. */
function collapseLowest(s: BinStore, extra: number): void {
  const keys = s.keys;
  const counts = s.counts;
  const size = keys.length;
  let total = 0;
  for (let i = 0; i <= extra; i++) total += counts[i] ?? 0;
  counts[extra] = total;
  for (let i = extra; i < size; i++) {
    keys[i - extra] = keys[i] ?? 0;
    counts[i - extra] = counts[i] ?? 0;
  }
  keys.length = size - extra;
  counts.length = size - extra;
}

export function storeClone(s: BinStore): BinStore {
  const out = new BinStore();
  out.keys = s.keys.slice();
  out.counts = s.counts.slice();
  return out;
}

/** Sum of the counts. */
export function storeTotal(s: BinStore): number {
  const counts = s.counts;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  return total;
}

/** `[uvar size]` then, if non-empty, `[svar first key][uvar key delta]×(size−1)[uvar count]×size`. */
export function storeEncode(s: BinStore, w: ByteWriter): void {
  const keys = s.keys;
  const size = keys.length;
  w.uvar(size);
  if (size === 0) return;
  let prev = keys[0] ?? 0;
  w.svar(prev);
  for (let i = 1; i < size; i++) {
    const k = keys[i] ?? 0;
    w.uvar(k - prev);
    prev = k;
  }
  for (let i = 0; i < size; i++) w.uvar(s.counts[i] ?? 0);
}

export function storeDecode(r: ByteReader): BinStore {
  const out = new BinStore();
  const size = r.uvar();
  if (size === 0) return out;
  let k = r.svar();
  out.keys.push(k);
  for (let i = 1; i < size; i++) {
    k += r.uvar();
    out.keys.push(k);
  }
  for (let i = 0; i < size; i++) out.counts.push(r.uvar());
  // Decoded state (every entity at a restart) at its exact size, like trimmed tiles.
  storeTrim(out);
  return out;
}

/** Releases the spare capacity of `s`'s arrays (a closed tile, or a decoded store). */
export function storeTrim(s: BinStore): void {
  s.keys = trimmed(s.keys);
  s.counts = trimmed(s.counts);
}
