import { featureService } from '../src/index.js';
import cardFraud from './card-fraud.js';
import customerFeatures from './customer.js';

/**
 * The feature vector of the fraud model, in the order it was trained on. The versions are those
 * the views compile to now; a model trained on this service pins its version
 * (`POST /v1/feature-services/fraud_model?version=…`).
 */
export const fraudModel = featureService('fraud_model', {
  owner: 'fraud-ml',
  description: 'Inputs of the card-not-present fraud model',
  features: [
    { view: cardFraud, feature: 'txn_count_1m' },
    { view: cardFraud, feature: 'txn_count_5m' },
    { view: cardFraud, feature: 'txn_count_1h' },
    { view: cardFraud, feature: 'amount_sum_24h' },
    { view: cardFraud, feature: 'amount_max_24h' },
    { view: cardFraud, feature: 'amount_p95_7d' },
    { view: cardFraud, feature: 'distinct_countries_24h' },
    { view: cardFraud, feature: 'ms_since_prev_txn' },
    { view: customerFeatures, feature: 'avg_purchase_amount', as: 'customer_avg_purchase' },
  ],
});
