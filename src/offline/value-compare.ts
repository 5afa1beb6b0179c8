import type { FeatureValue, Scalar } from '../core/aggregation/aggregator.js';
import type { FeatureIR } from '../core/topology/ir.js';

/** Relative tolerance for floating-point features (summation order may differ in the last bits). */
export const FLOAT_RELATIVE_TOLERANCE = 1e-9;

function sameScalar(a: Scalar, b: Scalar, exact: boolean): boolean {
  if (typeof a !== 'number' || typeof b !== 'number') return a === b;
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return true;
  if (exact) return false;
  return Math.abs(a - b) <= FLOAT_RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Whether an online value and an offline value of feature `f` agree: exactly for counts, integer
 * values, strings, booleans and sketch results (quantile and distinct count: the history holds the
 * same finalized value), within 1e-9 relative for other floating-point values; lists element-wise.
 */
export function sameFeatureValue(
  f: FeatureIR,
  online: FeatureValue,
  offline: FeatureValue,
): boolean {
  const exact =
    f.valueType.base !== 'float64' ||
    f.op === 'count' ||
    f.op === 'distinctCount' ||
    f.op === 'quantile';
  if (Array.isArray(online) || Array.isArray(offline)) {
    const a = (Array.isArray(online) ? online : []) as readonly Scalar[];
    const b = (Array.isArray(offline) ? offline : []) as readonly Scalar[];
    return a.length === b.length && a.every((x, i) => sameScalar(x, b[i] as Scalar, exact));
  }
  if (online === null || offline === null) return online === offline;
  return sameScalar(online as Scalar, offline as Scalar, exact);
}
