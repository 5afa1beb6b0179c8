/**
 * The view of bench:offline's training set: card_fraud's 14 features plus 6 more (20), on the
 * same source and entity. Loaded by the bench only (not part of topologies/).
 */
import { featureView } from '../src/index.js';
import { card, transactions } from '../topologies/sources.js';

export default featureView('card_fraud_bench', {
  entity: card,
  source: transactions,
  allowedLateness: '5s',
  features: (f) => ({
    txn_count_1m: f.count().over('1m'),
    txn_count_5m: f.count().over('5m'),
    txn_count_1h: f.count().over('1h'),
    txn_count_24h: f.count().over('24h'),
    amount_sum_5m: f.sum('amount').over('5m'),
    amount_sum_1h: f.sum('amount').over('1h'),
    amount_sum_24h: f.sum('amount').over('24h'),
    amount_mean_1h: f.mean('amount').over('1h'),
    amount_mean_24h: f.mean('amount').over('24h'),
    amount_min_1h: f.min('amount').over('1h'),
    amount_max_1h: f.max('amount').over('1h'),
    amount_max_24h: f.max('amount').over('24h'),
    amount_stddev_24h: f.stddev('amount').over('24h'),
    distinct_merchants_1h: f.distinctCount('merchant_id').over('1h'),
    distinct_merchants_24h: f.distinctCount('merchant_id').over('24h'),
    distinct_countries_24h: f.distinctCount('country').over('24h'),
    amount_p95_7d: f.quantile('amount', 0.95).over('7d'),
    last_country: f.last('country').lifetime(),
    last_merchant: f.last('merchant_id').lifetime(),
    ms_since_prev_txn: f
      .lastN(f.eventTime, 2)
      .lifetime()
      .map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
  }),
});
