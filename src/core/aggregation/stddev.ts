import type { AggOp, FeatureValue } from './aggregator.js';
import type { MomentsState } from './moments.js';
import { momentsVariance } from './moments.js';
import { VarianceAggregator } from './variance.js';

/**
 * `stddev`: the POPULATION standard deviation, √variance. Same IR, laws and encoding as
 * `variance` (so the two are interchangeable state-wise); only `finalize` differs.
 * Empty → null; a single value → 0.
 */
export class StddevAggregator extends VarianceAggregator {
  override readonly op: AggOp = 'stddev';

  override finalize(ir: MomentsState): FeatureValue {
    const v = momentsVariance(ir);
    return v === null ? null : Math.sqrt(v);
  }
}
