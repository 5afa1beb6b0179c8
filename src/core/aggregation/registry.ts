import { userError } from '../errors.js';
import type { Aggregator, AggOp, AggParams } from './aggregator.js';
import { CountAggregator } from './count.js';
import { DEFAULT_RELATIVE_ACCURACY } from './dd-sketch.js';
import { DEFAULT_HLL_PRECISION, DistinctCountAggregator } from './distinct-count.js';
import { FirstAggregator } from './first.js';
import { LastNAggregator } from './last-n.js';
import { LastAggregator } from './last.js';
import { MaxAggregator } from './max.js';
import { MeanAggregator } from './mean.js';
import { MinAggregator } from './min.js';
import { QuantileAggregator } from './quantile.js';
import { StddevAggregator } from './stddev.js';
import { SumAggregator } from './sum.js';
import { VarianceAggregator } from './variance.js';

/** Bounds of the aggregation parameters (inclusive unless noted). */
export const LAST_N_MAX = 1000;
export const HLL_PRECISION_MIN = 4;
export const HLL_PRECISION_MAX = 16;

/**
 * Erases an aggregator's IR type. Sound because an aggregator only ever receives IRs it created
 * itself (`empty`, `decode`, `clone`); the cast is needed only because `retract` is declared as
 * a function-typed property, which makes `Aggregator<IR>` invariant in IR.
 */
function erase<IR>(agg: Aggregator<IR>): Aggregator {
  return agg as unknown as Aggregator;
}

const FACTORIES: { readonly [K in AggOp]: (params: AggParams) => Aggregator } = {
  count: () => erase(new CountAggregator()),
  sum: () => erase(new SumAggregator()),
  mean: () => erase(new MeanAggregator()),
  min: () => erase(new MinAggregator()),
  max: () => erase(new MaxAggregator()),
  first: () => erase(new FirstAggregator()),
  last: () => erase(new LastAggregator()),
  variance: () => erase(new VarianceAggregator()),
  stddev: () => erase(new StddevAggregator()),
  distinctCount: (p) => erase(new DistinctCountAggregator(precisionParam(p))),
  quantile: (p) => erase(new QuantileAggregator(quantileParam(p), accuracyParam(p))),
  lastN: (p) => erase(new LastNAggregator(lastNParam(p))),
};

/**
 * The aggregator for `op` — the single place mapping operation names to implementations. Called
 * once per aggregation when a topology is compiled; the per-event loop then only calls the
 * returned object. Parameters an op does not use are ignored.
 *
 * Throws a user error (`AGG_UNKNOWN_OP`, `AGG_BAD_PARAM`) for an unknown op or a parameter that is
 * missing or out of range: quantile `q` ∈ [0, 1] (required), quantile `relativeAccuracy` ∈ (0, 0.5)
 * (default 0.01), lastN `n` an integer in 1..1000 (required), distinctCount `precision` an
 * integer in 4..16 (default 12).
 */
export function createAggregator(op: AggOp, params: AggParams = {}): Aggregator {
  const factory = Object.hasOwn(FACTORIES, op) ? FACTORIES[op] : undefined;
  if (factory === undefined) {
    throw userError(
      'AGG_UNKNOWN_OP',
      `unknown aggregation '${String(op)}'`,
      `use one of: ${Object.keys(FACTORIES).join(', ')}`,
      { op },
    );
  }
  return factory(params);
}

function badParam(op: AggOp, param: string, value: unknown, fix: string): Error {
  return userError('AGG_BAD_PARAM', `${op}: invalid ${param} ${String(value)}`, fix, {
    op,
    param,
    value,
  });
}

function quantileParam(p: AggParams): number {
  const q = p.q;
  if (q === undefined || !(q >= 0 && q <= 1)) {
    throw badParam('quantile', 'q', q, 'give q between 0 and 1, e.g. quantile(0.95) for p95');
  }
  return q;
}

function accuracyParam(p: AggParams): number {
  const a = p.relativeAccuracy ?? DEFAULT_RELATIVE_ACCURACY;
  if (!(a > 0 && a < 0.5)) {
    throw badParam(
      'quantile',
      'relativeAccuracy',
      a,
      'give a relative accuracy strictly between 0 and 0.5 (default 0.01 = 1%)',
    );
  }
  return a;
}

function lastNParam(p: AggParams): number {
  const n = p.n;
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > LAST_N_MAX) {
    throw badParam('lastN', 'n', n, `give n as a whole number from 1 to ${LAST_N_MAX}`);
  }
  return n;
}

function precisionParam(p: AggParams): number {
  const precision = p.precision ?? DEFAULT_HLL_PRECISION;
  if (
    !Number.isInteger(precision) ||
    precision < HLL_PRECISION_MIN ||
    precision > HLL_PRECISION_MAX
  ) {
    throw badParam(
      'distinctCount',
      'precision',
      precision,
      `give precision as a whole number from ${HLL_PRECISION_MIN} to ${HLL_PRECISION_MAX} ` +
        `(default ${DEFAULT_HLL_PRECISION}: 1.6% error, 4 KiB per dense sketch)`,
    );
  }
  return precision;
}
