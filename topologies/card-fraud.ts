import { featureView } from '../src/index.js';
import { card, transactions } from './sources.js';

/**
 * Card velocity and spend features for fraud models: how often, how much, where.
 * Read online by the scoring service; history feeds training sets.
 */
export default featureView('card_fraud', {
  entity: card,
  source: transactions,
  owner: 'fraud-ml',
  description: 'Velocity, spend and geography of a card over sliding windows',
  tags: ['fraud', 'card'],
  onlineTtl: '8d',
  allowedLateness: '5s',
  features: (f) => ({
    txn_count_1m: f.count().over('1m'),
    txn_count_5m: f.count().over('5m'),
    txn_count_1h: f.count().over('1h'),
    amount_sum_1h: f.sum('amount').over('1h'),
    amount_sum_24h: f.sum('amount').over('24h'),
    amount_mean_1h: f.mean('amount').over('1h'),
    amount_mean_24h: f.mean('amount').over('24h'),
    amount_max_1h: f.max('amount').over('1h'),
    amount_max_24h: f.max('amount').over('24h'),
    distinct_merchants_24h: f.distinctCount('merchant_id').over('24h'),
    distinct_countries_24h: f.distinctCount('country').over('24h'),
    amount_p95_7d: f.quantile('amount', 0.95).over('7d'),
    last_country: f.last('country').lifetime(),
    /** Milliseconds between the two most recent transactions (null before the second). */
    ms_since_prev_txn: f
      .lastN(f.eventTime, 2)
      .lifetime()
      .map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
  }),
});
