/** Public surface of the aggregation module: the contract and the op → implementation registry. */
export type { Aggregator, AggOp, AggParams, FeatureValue, Scalar } from './aggregator.js';
export { createAggregator, HLL_PRECISION_MAX, HLL_PRECISION_MIN, LAST_N_MAX } from './registry.js';
export { DEFAULT_RELATIVE_ACCURACY, DEFAULT_MAX_BINS } from './dd-sketch.js';
export { DEFAULT_HLL_PRECISION } from './distinct-count.js';
