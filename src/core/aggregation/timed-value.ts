import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Scalar } from './aggregator.js';
import { readScalarBody, SCALAR_ABSENT, writeScalar } from './scalar-codec.js';

/** IR of `first` and `last`: one value and its event time, mutated in place. */
export class TimedValue {
  /** False while no event was seen (then `v` and `t` are meaningless). */
  has = false;
  /** Event time, epoch milliseconds. */
  t = 0;
  v: Scalar = 0;
}

export function cloneTimedValue(ir: TimedValue): TimedValue {
  const out = new TimedValue();
  out.has = ir.has;
  out.t = ir.t;
  out.v = ir.v;
  return out;
}

/** `[tag 0]` when empty, else `[scalar][num t]` (see scalar-codec.ts). */
export function encodeTimedValue(ir: TimedValue, w: ByteWriter): void {
  if (!ir.has) {
    w.u8(SCALAR_ABSENT);
    return;
  }
  writeScalar(w, ir.v);
  w.num(ir.t);
}

export function decodeTimedValue(r: ByteReader): TimedValue {
  const out = new TimedValue();
  const tag = r.u8();
  if (tag === SCALAR_ABSENT) return out;
  out.v = readScalarBody(tag, r);
  out.t = r.num();
  out.has = true;
  return out;
}
