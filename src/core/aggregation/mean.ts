import type { AggOp, FeatureValue } from './aggregator.js';
import { SumAggregator, type SumState } from './sum.js';

/**
 * `mean`: sum / n. Same IR (`SumState [n, sum, c]`), laws, encoding and accuracy as `sum`; only
 * `finalize` differs. Invertible. Empty → null.
 */
export class MeanAggregator extends SumAggregator {
  override readonly op: AggOp = 'mean';

  override finalize(ir: SumState): FeatureValue {
    const n = ir[0] ?? 0;
    return n === 0 ? null : this.total(ir) / n;
  }
}
