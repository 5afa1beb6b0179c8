import type { ByteReader, ByteWriter } from '../encoding/bytes.js';
import type { Aggregator, AggOp, FeatureValue, PackedSlots, Scalar } from './aggregator.js';
import {
  decodeMoments,
  emptyMoments,
  encodeMoments,
  mergeMoments,
  type MomentsState,
  MOMENTS_SLOTS,
  momentsVariance,
  retractMoments,
  updateMoments,
} from './moments.js';

/**
 * `variance`: the POPULATION variance Σ(xᵢ − mean)² / n. IR: `MomentsState` (see moments.ts;
 * Welford update, Chan merge). Invertible. Empty → null; a single value → 0.
 */
export class VarianceAggregator implements Aggregator<MomentsState> {
  readonly op: AggOp = 'variance';
  readonly irKind = 'moments';
  readonly slots: PackedSlots<MomentsState> = MOMENTS_SLOTS;

  empty(): MomentsState {
    return emptyMoments();
  }

  isEmpty(ir: MomentsState): boolean {
    return ir[0] === 0;
  }

  update(ir: MomentsState, value: Scalar, _t: number): MomentsState {
    return updateMoments(ir, value as number);
  }

  merge(a: MomentsState, b: MomentsState): MomentsState {
    return mergeMoments(a, b);
  }

  retract(a: MomentsState, b: MomentsState): MomentsState {
    return retractMoments(a, b);
  }

  clone(ir: MomentsState): MomentsState {
    return ir.slice();
  }

  finalize(ir: MomentsState): FeatureValue {
    return momentsVariance(ir);
  }

  encode(ir: MomentsState, w: ByteWriter): void {
    encodeMoments(ir, w);
  }

  decode(r: ByteReader): MomentsState {
    return decodeMoments(r);
  }
}
