import type { FeatureValue } from '../core/aggregation/aggregator.js';
import type { CompiledFeature } from '../core/topology/compile.js';

/**
 * A feature's value over an empty window (semantics.md "Empty windows"), after its `map`: what a
 * label before an entity's first history row gets. For count/sum/distinct 0, for mean/min/… null,
 * for lastN []; a mapped feature gets its function applied to that (null if it throws).
 */
export function emptyValue(f: CompiledFeature): FeatureValue {
  const v = f.aggregator.finalize(f.aggregator.empty());
  if (f.map === undefined) return v;
  try {
    const m = f.map(v);
    return typeof m === 'number' && !Number.isFinite(m) ? null : m;
  } catch {
    return null;
  }
}
