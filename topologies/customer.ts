import { featureView } from '../src/index.js';
import { customer, purchases } from './sources.js';

/** The customer features of the Databricks Feature Store example, over a customer's lifetime. */
export default featureView('customer_features', {
  entity: customer,
  source: purchases,
  owner: 'growth-ml',
  description: 'Lifetime purchase behaviour of a customer',
  tags: ['customer'],
  features: (f) => ({
    avg_purchase_amount: f.mean('amount').lifetime(),
    total_orders: f.count().lifetime(),
    last_purchase_date: f.max('ts').lifetime(),
  }),
});
