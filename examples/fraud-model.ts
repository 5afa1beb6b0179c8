/**
 * A toy fraud model for batch scoring — a logistic score over the velocity and spend features of
 * the `fraud_model` feature service (topologies/fraud-model.ts):
 *
 *   featurestream score-batch --service fraud_model --model examples/fraud-model.ts \
 *     --input labels.csv --out scores.parquet
 *
 * A model module default-exports (or exports as `score`) a function that receives a batch — the
 * service's feature names in order and one row of values per label — and returns one finite
 * number per row. Weights are looked up by feature name, so the model also runs on other services
 * (features it does not know weigh nothing); a null value (an empty window) counts as 0.
 */
import type { ScoreBatch } from '../src/offline/model-module.js';

const WEIGHTS: Readonly<Record<string, number>> = {
  txn_count_1m: 0.15,
  txn_count_5m: 0.05,
  txn_count_1h: 0.01,
  amount_sum_24h: 0.0002,
  amount_max_24h: 0.002,
  amount_p95_7d: 0.001,
  distinct_countries_24h: 0.5,
  ms_since_prev_txn: -0.000001,
  customer_avg_purchase: -0.002,
};
const BIAS = -5;

export default function score({ features, rows }: ScoreBatch): number[] {
  const w = features.map((f) => WEIGHTS[f] ?? 0);
  return rows.map((row) => {
    let z = BIAS;
    row.forEach((v, i) => {
      if (typeof v === 'number' && Number.isFinite(v)) z += (w[i] ?? 0) * v;
    });
    return 1 / (1 + Math.exp(-z));
  });
}
