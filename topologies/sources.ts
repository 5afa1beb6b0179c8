import { entity, field, source } from '../src/index.js';

/** A payment card: the entity of the fraud features. */
export const card = entity('card', {
  keys: ['card_id'],
  description: 'A payment card, by its token',
});

/** A customer: the entity of the customer features of the Databricks example. */
export const customer = entity('customer', {
  keys: ['customer_id'],
  description: 'A customer account',
});

/** Card transactions as producers emit them, keyed by card. */
export const transactions = source('transactions', {
  topic: 'transactions',
  format: 'json',
  schema: {
    txn_id: field.string().describe('Unique transaction id'),
    card_id: field.string().describe('Card token'),
    customer_id: field.string(),
    amount: field.double().describe('Amount in the card currency'),
    merchant_id: field.string(),
    country: field.string().describe('ISO 3166 alpha-2 country of the merchant'),
    ts: field.timestamp().describe('When the transaction happened'),
  },
  eventTime: 'ts',
  key: ['card_id'],
  description: 'Card transactions (one event per authorization)',
});

/** Purchases keyed by customer (the seed example's orders). */
export const purchases = source('purchases', {
  topic: 'purchases',
  format: 'json',
  schema: {
    order_id: field.string(),
    customer_id: field.string(),
    amount: field.double(),
    ts: field.timestamp(),
  },
  eventTime: 'ts',
  key: ['customer_id'],
  description: 'Completed customer orders',
});
