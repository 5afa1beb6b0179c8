import type { Scalar } from './aggregator.js';
import { murmur3SafeInteger, murmur3Utf8 } from './murmur3.js';

/** Seed of the distinct-count hash. Persisted implicitly in HyperLogLog state: never change it. */
export const SCALAR_HASH_SEED = 0;

const TRUE_HASH = murmur3Utf8('true', SCALAR_HASH_SEED);
const FALSE_HASH = murmur3Utf8('false', SCALAR_HASH_SEED);

/**
 * The 32-bit hash of a scalar's canonical text: MurmurHash3_x86_32 (seed 0) over the UTF-8 bytes of
 * - a string: the string itself;
 * - a number: `String(v)`, JavaScript's canonical decimal form (1, 1.0 → "1"; -0 → "0";
 *   1e21 → "1e+21"), computed without allocation for safe integers;
 * - a boolean: "true" / "false".
 *
 * So a value and its canonical text are the SAME distinct value: `1` and `"1"`, `true` and
 * `"true"`. A feature's field has one declared type, so this only matters when a producer sends a
 * field as text in some events and as a number in others — then it counts each id once, which is
 * what a user means by "distinct ids".
 */
export function hashScalar(v: Scalar): number {
  if (typeof v === 'string') return murmur3Utf8(v, SCALAR_HASH_SEED);
  if (typeof v === 'number') {
    return Number.isSafeInteger(v)
      ? murmur3SafeInteger(v, SCALAR_HASH_SEED)
      : murmur3Utf8(String(v), SCALAR_HASH_SEED);
  }
  return v ? TRUE_HASH : FALSE_HASH;
}
