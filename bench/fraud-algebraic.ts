import type { AggOp } from '../src/core/aggregation/aggregator.js';
import type { FeatureViewDef } from '../src/core/topology/feature-view.js';
import fraud from '../topologies/card-fraud.js';

/** Ops whose state is a sketch or a list rather than a few numbers. */
const SKETCHES: ReadonlySet<AggOp> = new Set<AggOp>(['distinctCount', 'quantile', 'lastN']);

/**
 * The fraud topology's algebraic features only (no HLL, quantile sketch or lastN), derived from
 * `topologies/card-fraud.ts`: the view `bench:core` times next to the full topology and
 * `bench:decay` settles.
 */
export const fraudAlgebraic: FeatureViewDef = {
  ...fraud,
  name: 'card_fraud_algebraic',
  features: (f) =>
    Object.fromEntries(
      Object.entries(fraud.features(f)).filter(([, spec]) => !SKETCHES.has(spec.agg.op)),
    ),
};
