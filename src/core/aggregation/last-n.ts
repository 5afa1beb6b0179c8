import { trimmed } from '../values/exact-array.js';
import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { readScalar, writeScalar } from './scalar-codec.js';

/**
 * IR of `lastN`: the kept values in ascending (event time, arrival) order, in
 * `times/values[head..length)`. Entries before `head` are dropped ones awaiting compaction,
 * which happens once they outnumber max(n, 32) — so dropping the oldest is O(1) amortized.
 */
export class LastNState {
  times: number[] = [];
  values: Scalar[] = [];
  head = 0;
}

const MIN_COMPACT = 32;

/**
 * `lastN(n)`: the n most recent values by event time; ties on event time rank the later arrival
 * (the later `update`; across `merge(a, b)`, `b`) as more recent. Out-of-order updates are
 * placed by event time. Finalizes to an array NEWEST FIRST. IR: `LastNState` (mutable).
 * Not invertible. Empty → [].
 *
 * Bytes: `[uvar k]` then k × `[num time][scalar]`, oldest first (scalar per scalar-codec.ts).
 */
export class LastNAggregator implements Aggregator<LastNState> {
  readonly op = 'lastN';

  constructor(readonly n: number) {}

  empty(): LastNState {
    return new LastNState();
  }

  isEmpty(ir: LastNState): boolean {
    return ir.times.length === ir.head;
  }

  /** A closed tile's kept values at their exact size (the dropped prefix released). */
  readonly trim = (ir: LastNState): LastNState => {
    if (ir.head > 0) {
      ir.times = ir.times.slice(ir.head);
      ir.values = ir.values.slice(ir.head);
      ir.head = 0;
    } else {
      ir.times = trimmed(ir.times);
      ir.values = trimmed(ir.values);
    }
    return ir;
  };

  update(ir: LastNState, value: Scalar, t: number): LastNState {
    const times = ir.times;
    const values = ir.values;
    const len = times.length;
    const head = ir.head;
    if (len === head || t >= (times[len - 1] ?? 0)) {
      times.push(t);
      values.push(value);
    } else {
      if (len - head >= this.n && t < (times[head] ?? 0)) return ir; // older than all kept
      // Insert after every kept entry with time ≤ t (this one arrived later than all of them).
      let lo = head;
      let hi = len;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((times[mid] ?? 0) <= t) lo = mid + 1;
        else hi = mid;
      }
      times.push(t);
      values.push(value);
      for (let i = len; i > lo; i--) {
        times[i] = times[i - 1] ?? 0;
        values[i] = values[i - 1]!;
      }
      times[lo] = t;
      values[lo] = value;
    }
    if (len + 1 - head > this.n) this.dropOldest(ir, len + 1 - this.n);
    return ir;
  }

  /** Moves `head` to `newHead`, compacting when the dropped prefix has grown large. */
  private dropOldest(ir: LastNState, newHead: number): void {
    if (newHead < Math.max(this.n, MIN_COMPACT)) {
      ir.head = newHead;
      return;
    }
    const times = ir.times;
    const values = ir.values;
    const live = times.length - newHead;
    for (let i = 0; i < live; i++) {
      times[i] = times[newHead + i] ?? 0;
      values[i] = values[newHead + i]!;
    }
    times.length = live;
    values.length = live;
    ir.head = 0;
  }

  /** The window keeps n values, all strictly newer than everything in the expiring part. */
  unaffectedBy(whole: LastNState, part: LastNState): boolean {
    const partLen = part.times.length - part.head;
    if (partLen === 0) return true;
    const kept = whole.times.length - whole.head;
    return (
      kept >= this.n &&
      (part.times[part.times.length - 1] ?? Infinity) < (whole.times[whole.head] ?? -Infinity)
    );
  }

  merge(a: LastNState, b: LastNState): LastNState {
    const bLen = b.times.length;
    if (bLen === b.head) return a;
    const aLen = a.times.length;
    if (aLen === a.head || (a.times[aLen - 1] ?? 0) <= (b.times[b.head] ?? 0)) {
      // Common case: b is entirely newer (tiles in time order). Append its newest ≤ n entries.
      const from = Math.max(b.head, bLen - this.n);
      for (let i = from; i < bLen; i++) {
        a.times.push(b.times[i] ?? 0);
        a.values.push(b.values[i]!);
      }
      const len = a.times.length;
      if (len - a.head > this.n) this.dropOldest(a, len - this.n);
      return a;
    }
    // Interleaved: take the newest n from the two tails (ties: b is the later arrival).
    const keepTimes: number[] = [];
    const keepValues: Scalar[] = [];
    let i = aLen - 1;
    let j = bLen - 1;
    while (keepTimes.length < this.n && (i >= a.head || j >= b.head)) {
      if (j >= b.head && (i < a.head || (b.times[j] ?? 0) >= (a.times[i] ?? 0))) {
        keepTimes.push(b.times[j] ?? 0);
        keepValues.push(b.values[j]!);
        j--;
      } else {
        keepTimes.push(a.times[i] ?? 0);
        keepValues.push(a.values[i]!);
        i--;
      }
    }
    a.times = keepTimes.reverse();
    a.values = keepValues.reverse();
    a.head = 0;
    return a;
  }

  clone(ir: LastNState): LastNState {
    const out = new LastNState();
    out.times = ir.times.slice(ir.head);
    out.values = ir.values.slice(ir.head);
    return out;
  }

  finalize(ir: LastNState): FeatureValue {
    const values = ir.values;
    const out: Scalar[] = [];
    for (let i = values.length - 1; i >= ir.head; i--) out.push(values[i]!);
    return out;
  }

  encode(ir: LastNState, w: ByteWriter): void {
    const len = ir.times.length;
    w.uvar(len - ir.head);
    for (let i = ir.head; i < len; i++) {
      w.num(ir.times[i] ?? 0);
      writeScalar(w, ir.values[i]!);
    }
  }

  decode(r: ByteReader): LastNState {
    const out = new LastNState();
    const k = r.uvar();
    for (let i = 0; i < k; i++) {
      out.times.push(r.num());
      out.values.push(readScalar(r));
    }
    // Decoded state (every entity at a restart) at its exact size.
    out.times = trimmed(out.times);
    out.values = trimmed(out.values);
    return out;
  }
}
