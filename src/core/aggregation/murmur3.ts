/**
 * MurmurHash3, x86 32-bit variant (Austin Appleby, public domain), over bytes or over the UTF-8
 * encoding of a string (encoded into a reused scratch buffer: no allocation per call).
 * The output is persisted inside HyperLogLog state, so this function and its seed must never
 * change for an existing format.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 of `bytes[0..length)`; an unsigned 32-bit integer. */
export function murmur3(bytes: Uint8Array, length: number, seed: number): number {
  return murmur3Range(bytes, 0, length, seed);
}

/** MurmurHash3_x86_32 of `bytes[start..end)`. */
function murmur3Range(bytes: Uint8Array, start: number, end: number, seed: number): number {
  const length = end - start;
  let h = seed | 0;
  const blockEnd = start + (length & ~3);
  let i = start;
  for (; i < blockEnd; i += 4) {
    let k =
      (bytes[i] ?? 0) |
      ((bytes[i + 1] ?? 0) << 8) |
      ((bytes[i + 2] ?? 0) << 16) |
      ((bytes[i + 3] ?? 0) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = length & 3;
  if (rest !== 0) {
    let k = 0;
    if (rest === 3) k ^= (bytes[i + 2] ?? 0) << 16;
    if (rest >= 2) k ^= (bytes[i + 1] ?? 0) << 8;
    k ^= bytes[i] ?? 0;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  return fmix(h ^ length);
}

/** Murmur3's final avalanche; returns an unsigned 32-bit integer. */
function fmix(x: number): number {
  let h = x;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

let scratch = new Uint8Array(256);

/**
 * Writes the UTF-8 encoding of `s` into the shared scratch buffer and returns its length. Lone
 * surrogates become U+FFFD, exactly as `TextEncoder` does. The buffer is valid until the next call.
 */
function utf8IntoScratch(s: string): number {
  const len = s.length;
  if (scratch.length < len * 3) scratch = new Uint8Array(Math.max(len * 3, scratch.length * 2));
  const out = scratch;
  let p = 0;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      const lo = i + 1 < len ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
        out[p++] = 0xf0 | (c >> 18);
        out[p++] = 0x80 | ((c >> 12) & 0x3f);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      } else {
        out[p++] = 0xef; // U+FFFD REPLACEMENT CHARACTER
        out[p++] = 0xbf;
        out[p++] = 0xbd;
      }
    }
  }
  return p;
}

/** MurmurHash3_x86_32 of the UTF-8 bytes of `s`. */
export function murmur3Utf8(s: string, seed: number): number {
  // Fast path: an ASCII string is its own UTF-8, so hash the char codes directly, 4 at a time.
  const len = s.length;
  const blockEnd = len & ~3;
  let h = seed | 0;
  let ascii = 0;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    ascii |= c0 | c1 | c2 | c3;
    let k = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = len & 3;
  if (rest !== 0) {
    let k = 0;
    if (rest === 3) {
      const c = s.charCodeAt(i + 2);
      ascii |= c;
      k ^= c << 16;
    }
    if (rest >= 2) {
      const c = s.charCodeAt(i + 1);
      ascii |= c;
      k ^= c << 8;
    }
    const c = s.charCodeAt(i);
    ascii |= c;
    k ^= c;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
  }
  if (ascii >= 0x80) {
    // Not ASCII: encode to UTF-8 first (rare for ids; the work above is discarded).
    const n = utf8IntoScratch(s); // may replace `scratch`: read it afterwards
    return murmur3(scratch, n, seed);
  }
  return fmix(h ^ len);
}

/**
 * MurmurHash3_x86_32 of the ASCII decimal digits of a safe integer — identical to
 * `murmur3Utf8(String(v), seed)` but without building the string.
 */
export function murmur3SafeInteger(v: number, seed: number): number {
  // Digits are written right-aligned into scratch[0..24), then hashed from their start.
  let x = v < 0 ? -v : v;
  let p = 24;
  while (x > 0x7fffffff) {
    const q = Math.floor(x / 10);
    scratch[--p] = 48 + (x - q * 10);
    x = q;
  }
  // Int32 arithmetic for the remaining digits (division by a constant becomes a multiply).
  let y = x | 0;
  do {
    const q = (y / 10) | 0;
    scratch[--p] = 48 + y - q * 10;
    y = q;
  } while (y !== 0);
  if (v < 0) scratch[--p] = 45; // '-'
  return murmur3Range(scratch, p, 24, seed);
}
