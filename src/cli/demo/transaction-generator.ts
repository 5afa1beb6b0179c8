import type { Row } from '../../core/topology/compile.js';

/** A small, seeded PRNG (mulberry32): the same seed gives the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = [
  'US',
  'GB',
  'DE',
  'FR',
  'NL',
  'ES',
  'IT',
  'CA',
  'BR',
  'IN',
  'JP',
  'AU',
  'MX',
  'SG',
  'ZA',
];

export interface GeneratorOptions {
  readonly cards?: number;
  readonly merchants?: number;
  readonly seed?: number;
}

/**
 * Card transactions that look like a payment stream: each card has a home country and a few
 * favourite merchants; amounts are log-normal; a small share is foreign or unusually large.
 */
export class TransactionGenerator {
  private readonly rand: () => number;
  private readonly cards: number;
  private readonly merchants: number;
  private seq = 0;

  constructor(options: GeneratorOptions = {}) {
    this.cards = options.cards ?? 10_000;
    this.merchants = options.merchants ?? 2_000;
    this.rand = prng(options.seed ?? 42);
  }

  private gaussian(): number {
    const u = 1 - this.rand();
    const v = this.rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** The next transaction at event time `ts`. */
  next(ts: number): Row {
    const r = this.rand;
    // Zipf-like skew: some cards are much busier than others.
    const card = Math.floor(this.cards * r() ** 2);
    const home = COUNTRIES[card % COUNTRIES.length] ?? 'US';
    const foreign = r() < 0.03;
    const country = foreign ? (COUNTRIES[Math.floor(r() * COUNTRIES.length)] ?? 'US') : home;
    const merchant =
      r() < 0.7
        ? (card * 7 + Math.floor(r() * 4)) % this.merchants
        : Math.floor(r() * this.merchants);
    const amount =
      Math.round(Math.exp(3.2 + 1.1 * this.gaussian() + (r() < 0.01 ? 3 : 0)) * 100) / 100;
    this.seq++;
    return {
      txn_id: `t${this.seq.toString(36)}-${Math.floor(r() * 1e9).toString(36)}`,
      card_id: `card-${card.toString().padStart(6, '0')}`,
      customer_id: `cust-${Math.floor(card / 2)
        .toString()
        .padStart(6, '0')}`,
      amount,
      merchant_id: `m-${merchant}`,
      country,
      ts,
    };
  }
}
