import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, FeatureValue, Scalar } from './aggregator.js';
import { HllState, HyperLogLog } from './hyper-log-log.js';
import { hashScalar } from './scalar-hash.js';

/** Default HyperLogLog precision: 4096 registers, 4 KiB dense, 1.625% standard error. */
export const DEFAULT_HLL_PRECISION = 12;

/**
 * `distinctCount`: the number of distinct values, by HyperLogLog (see hyper-log-log.ts).
 * IR: `HllState` (mutable). Not invertible. Empty → 0.
 *
 * Error bounds, with m = 2^precision registers:
 * - up to m/4 distinct values (1024 at the default precision 12) the sketch is sparse and the
 *   count is EXACT up to 32-bit hash collisions (probability ≈ k²/2³³ for k values);
 * - beyond that, the relative standard error is 1.04/√m (1.625% at p = 12; 0.41% at p = 16),
 *   without small- or mid-range bias; the hash is 32-bit, so accuracy degrades for counts
 *   approaching 2³² (hundreds of millions of distinct values per window).
 *
 * Values are identified by their canonical text (see scalar-hash.ts): `1` and `"1"` are the same
 * value.
 *
 * Bytes: `[u8 format: 0 sparse | 1 dense][u8 precision]` then sparse `[uvar k][u32 hash]×k`,
 * or dense `[m register bytes]`.
 */
export class DistinctCountAggregator implements Aggregator<HllState> {
  readonly op = 'distinctCount';
  private readonly hll: HyperLogLog;

  constructor(readonly precision: number = DEFAULT_HLL_PRECISION) {
    this.hll = new HyperLogLog(precision);
  }

  empty(): HllState {
    return new HllState();
  }

  isEmpty(ir: HllState): boolean {
    return ir.dense === null && ir.size === 0;
  }

  /** A closed tile's sparse hashes at their exact count. */
  readonly trim = (ir: HllState): HllState => {
    this.hll.trim(ir);
    return ir;
  };

  update(ir: HllState, value: Scalar, _t: number): HllState {
    this.hll.add(ir, hashScalar(value));
    return ir;
  }

  merge(a: HllState, b: HllState): HllState {
    return this.hll.merge(a, b);
  }

  /** Sparse windows forget an expired tile's hashes that no remaining tile holds (exact). */
  readonly expire = (
    whole: HllState,
    tiles: readonly HllState[],
    from: number,
    to: number,
    end: number,
  ): HllState | undefined => (this.hll.expire(whole, tiles, from, to, end) ? whole : undefined);

  clone(ir: HllState): HllState {
    return this.hll.clone(ir);
  }

  finalize(ir: HllState): FeatureValue {
    return this.hll.estimate(ir);
  }

  encode(ir: HllState, w: ByteWriter): void {
    this.hll.encode(ir, w);
  }

  decode(r: ByteReader): HllState {
    return this.hll.decode(r);
  }
}
