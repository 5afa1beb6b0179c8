import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { cloneTimedValue, decodeTimedValue, encodeTimedValue, TimedValue } from './timed-value.js';

/**
 * `last`: the value of the latest event. Ties on event time keep the later arrival: within one
 * IR the later `update`, across `merge(a, b)` the value from `b` (the later part).
 * Out-of-order updates are handled (an older event time does not replace the kept value).
 * IR: `TimedValue` (mutable). Not invertible. Empty → null.
 */
export class LastAggregator implements Aggregator<TimedValue> {
  readonly op = 'last';

  empty(): TimedValue {
    return new TimedValue();
  }

  isEmpty(ir: TimedValue): boolean {
    return !ir.has;
  }

  update(ir: TimedValue, value: Scalar, t: number): TimedValue {
    if (!ir.has || t >= ir.t) {
      ir.has = true;
      ir.t = t;
      ir.v = value;
    }
    return ir;
  }

  merge(a: TimedValue, b: TimedValue): TimedValue {
    if (b.has && (!a.has || b.t >= a.t)) {
      a.has = true;
      a.t = b.t;
      a.v = b.v;
    }
    return a;
  }
  /** The window's last event is strictly later than anything in the expiring part. */
  unaffectedBy(whole: TimedValue, part: TimedValue): boolean {
    return !part.has || (whole.has && part.t < whole.t);
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
