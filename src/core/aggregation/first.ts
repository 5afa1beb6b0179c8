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

  /**
   * A sliding window's first value always sits in its oldest tile, so every slide would re-merge
   * the window; but tiles are in event-time order, so the remaining tiles' first is the first of
   * the oldest non-empty one (ties keep the earlier part, as `merge` does).
   */
  readonly expire = (
    whole: TimedValue,
    tiles: readonly TimedValue[],
    _from: number,
    to: number,
    end: number,
  ): TimedValue => {
    whole.has = false;
    for (let k = to; k < end; k++) {
      const t = tiles[k];
      if (t?.has === true) {
        whole.has = true;
        whole.t = t.t;
        whole.v = t.v;
        break;
      }
    }
    return whole;
  };

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
