/**
 * Small arrays at their exact size. V8 gives an array 17 slots the first time `push` grows it
 * (and more after), so a tile series or a sketch with two entries holds 17: at 100k entities
 * with a dozen such arrays each, most of the memory they take is spare capacity.
 */

/** Arrays shorter than this grow by exact copies; longer ones by `push`. */
const EXACT_BELOW = 16;

/** `a` with `x` appended: an exact-size copy while `a` is small, else `a` itself, pushed to. */
export function appendExact<T>(a: T[], x: T): T[] {
  if (a.length >= EXACT_BELOW) {
    a.push(x);
    return a;
  }
  // A number goes in as itself: a `[x]` literal here would share its allocation site between
  // number and object arrays, and V8 would then make every array built here generic (each
  // double boxed). Only non-arrays are passed bare (`concat` spreads arrays).
  return typeof x === 'number' ? a.concat(x) : a.concat([x]);
}

/** `a` without spare capacity (an exact-size copy when small; `a` itself when large or empty). */
export function trimmed<T>(a: T[]): T[] {
  return a.length === 0 || a.length >= EXACT_BELOW ? a : a.slice();
}
