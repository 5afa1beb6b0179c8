import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { cloneTimedValue, decodeTimedValue, encodeTimedValue, TimedValue } from './timed-value.js';

/**
 * `first`: the value of the earliest event. Ties on event time keep the earlier arrival: within
 * one IR the earlier `update`, across `merge(a, b)` the value from `a` (the earlier part).
 * Out-of-order updates are handled (an earlier event time replaces the kept value).
 * IR: `TimedValue` (mutable). Not invertible. Empty → null.
 */
export class FirstAggregator implements Aggregator<TimedValue> {
  readonly op = 'first';

  empty(): TimedValue {
    return new TimedValue();
  }

  isEmpty(ir: TimedValue): boolean {
    return !ir.has;
  }

  update(ir: TimedValue, value: Scalar, t: number): TimedValue {
    if (!ir.has || t < ir.t) {
      ir.has = true;
      ir.t = t;
      ir.v = value;
    }
    return ir;
  }

  merge(a: TimedValue, b: TimedValue): TimedValue {
    if (b.has && (!a.has || b.t < a.t)) {
      a.has = true;
      a.t = b.t;
      a.v = b.v;
    }
    return a;
  }

  clone(ir: TimedValue): TimedValue {
    return cloneTimedValue(ir);
  }

  finalize(ir: TimedValue): FeatureValue {
    return ir.has ? ir.v : null;
  }

  encode(ir: TimedValue, w: ByteWriter): void {
    encodeTimedValue(ir, w);
  }

  decode(r: ByteReader): TimedValue {
    return decodeTimedValue(r);
  }
}
