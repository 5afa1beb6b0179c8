import { storeTrim } from './bin-store.js';
import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import {
  DDSketch,
  DDSketchState,
  DEFAULT_MAX_BINS,
  DEFAULT_RELATIVE_ACCURACY,
} from './dd-sketch.js';

/**
 * `quantile(q)`: the lower q-quantile — the element at rank ⌊q·(n − 1)⌋ of the sorted values —
 * estimated by a DDSketch (see dd-sketch.ts). IR: `DDSketchState` (mutable). Not invertible.
 * Empty → null. q = 0 and q = 1 are exact (min and max).
 *
 * Error bound: |estimate − true| ≤ α·|true| (α = `relativeAccuracy`, default 0.01), for true
 * values of magnitude 0 or ≥ 2.2250738585072014e-308, as long as fewer than 2048 bins per sign
 * are needed (≈ 17 decades of magnitude at α = 0.01); beyond that the lowest magnitudes collapse.
 *
 * Bytes: `[uvar zeros][negative store][positive store][num min][num max]` (min/max when not
 * empty); a store is `[uvar bins][svar first index][uvar index deltas][uvar counts]`.
 */
export class QuantileAggregator implements Aggregator<DDSketchState> {
  readonly op = 'quantile';
  private readonly sketch: DDSketch;

  constructor(
    readonly q: number,
    readonly relativeAccuracy: number = DEFAULT_RELATIVE_ACCURACY,
    maxBins: number = DEFAULT_MAX_BINS,
  ) {
    this.sketch = new DDSketch(relativeAccuracy, maxBins);
  }

  empty(): DDSketchState {
    return new DDSketchState();
  }

  isEmpty(ir: DDSketchState): boolean {
    return ir.count === 0;
  }

  /** A closed tile's bins at their exact size. */
  readonly trim = (ir: DDSketchState): DDSketchState => {
    storeTrim(ir.pos);
    storeTrim(ir.neg);
    return ir;
  };

  update(ir: DDSketchState, value: Scalar, _t: number): DDSketchState {
    this.sketch.add(ir, value as number);
    return ir;
  }

  merge(a: DDSketchState, b: DDSketchState): DDSketchState {
    return this.sketch.merge(a, b);
  }

  /** Windows subtract an expired tile's bins (integer counts: exact) unless bins collapsed. */
  readonly expire = (
    whole: DDSketchState,
    tiles: readonly DDSketchState[],
    from: number,
    to: number,
    end: number,
  ): DDSketchState | undefined =>
    this.sketch.expire(whole, tiles, from, to, end) ? whole : undefined;

  clone(ir: DDSketchState): DDSketchState {
    return this.sketch.clone(ir);
  }

  finalize(ir: DDSketchState): FeatureValue {
    return this.sketch.quantile(ir, this.q);
  }

  encode(ir: DDSketchState, w: ByteWriter): void {
    this.sketch.encode(ir, w);
  }

  decode(r: ByteReader): DDSketchState {
    return this.sketch.decode(r);
  }
}
