import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Scalar } from './aggregator.js';

/**
 * Byte encoding of one `Scalar`, shared by the IRs that keep raw values (first, last, lastN).
 *
 * A one-byte tag followed by the payload. Tag 0 is never written here: IRs use it for "no value".
 *   1 number, f64 (any double, bit-exact: -0 and NaN included)
 *   2 number, zig-zag varint (integers with |v| ≤ 2^48, not -0; the common case, 1–7 bytes)
 *   3 string, UTF-8 with a varint length
 *   4 false
 *   5 true
 */
export const SCALAR_ABSENT = 0;
const TAG_F64 = 1;
const TAG_INT = 2;
const TAG_STR = 3;
const TAG_FALSE = 4;
const TAG_TRUE = 5;
const MAX_VARINT_INT = 2 ** 48;

export function writeScalar(w: ByteWriter, v: Scalar): void {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) <= MAX_VARINT_INT && !Object.is(v, -0)) {
      w.u8(TAG_INT);
      w.svar(v);
    } else {
      w.u8(TAG_F64);
      w.f64(v);
    }
  } else if (typeof v === 'string') {
    w.u8(TAG_STR);
    w.str(v);
  } else {
    w.u8(v ? TAG_TRUE : TAG_FALSE);
  }
}

/** Reads the payload of a scalar whose tag (1–5) was already read. */
export function readScalarBody(tag: number, r: ByteReader): Scalar {
  switch (tag) {
    case TAG_F64:
      return r.f64();
    case TAG_INT:
      return r.svar();
    case TAG_STR:
      return r.str();
    case TAG_FALSE:
      return false;
    case TAG_TRUE:
      return true;
    default:
      throw new RangeError(`state bytes corrupt: unknown scalar tag ${tag}`);
  }
}

export function readScalar(r: ByteReader): Scalar {
  return readScalarBody(r.u8(), r);
}
