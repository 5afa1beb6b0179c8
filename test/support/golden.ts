/** The golden stream shared by the end-to-end tests: a topology body and a seeded event file. */
import { prng } from '../../src/cli/demo/transaction-generator.js';
import { compileView } from '../../src/core/topology/compile.js';
import type { CompiledView } from '../../src/core/topology/compile.js';
import type { FeatureViewDef } from '../../src/core/topology/feature-view.js';
import { uniqueName, writeTopology } from './e2e.js';
import type { InputEvent } from './expected.js';

export const GOLDEN_PARTITIONS = 3;

/** Topology source for `writeTopology`: small windows so decays and expiries happen often. */
export function goldenTopology(view: string, topic: string): string {
  return `
const acct = entity('acct', { keys: ['acct'] });
export const src = source('${view}_src', {
  topic: '${topic}',
  schema: {
    acct: field.string(),
    amount: field.double(),
    merchant: field.string(),
    country: field.string(),
    ts: field.timestamp(),
  },
  eventTime: 'ts',
  key: ['acct'],
});
export default featureView('${view}', {
  entity: acct,
  source: src,
  allowedLateness: '3s',
  features: (f) => ({
    txn_count_10s: f.count().over('10s'),
    txn_count_1m: f.count().over('1m'),
    amount_sum_30s: f.sum('amount').over('30s'),
    amount_max_30s: f.max('amount').over('30s'),
    amount_mean_1m: f.mean('amount').over('1m'),
    merchants_1m: f.distinctCount('merchant').over('1m'),
    amount_p90_1m: f.quantile('amount', 0.9).over('1m'),
    last_country: f.last('country').lifetime(),
    count_tumbling_10s: f.count().every('10s'),
    ms_since_prev: f.lastN(f.eventTime, 2).lifetime().map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
  }),
});
`;
}

export interface GoldenEvent extends InputEvent {
  readonly json: string;
}

/**
 * `n` events over 12 accounts (account i lives in partition i % 3), time moving forward in
 * small steps with out-of-order arrivals inside and beyond the 3 s lateness, idle gaps and
 * tile-boundary timestamps. Deterministic for a given seed.
 */
export function goldenEvents(n: number, seed = 7): GoldenEvent[] {
  const r = prng(seed);
  let base = Date.UTC(2025, 0, 1, 12, 0, 0);
  const out: GoldenEvent[] = [];
  for (let i = 0; i < n; i++) {
    base += r() < 0.02 ? 45_000 : Math.floor(r() * 900);
    const a = Math.floor(r() * 12);
    let ts = base;
    const jitter = r();
    if (jitter < 0.15) ts -= Math.floor(r() * 3_000);
    else if (jitter < 0.18) ts -= 3_000 + Math.floor(r() * 6_000);
    if (r() < 0.1) ts = Math.floor(ts / 5_000) * 5_000;
    const fields = {
      acct: `acct-${a}`,
      amount: Math.round(r() * 50_000) / 100,
      merchant: `m${Math.floor(r() * 6)}`,
      country: ['US', 'GB', 'DE'][Math.floor(r() * 3)] ?? 'US',
      ts,
    };
    out.push({
      partition: a % GOLDEN_PARTITIONS,
      key: fields.acct,
      t: ts,
      fields,
      json: JSON.stringify(fields),
    });
  }
  return out;
}

export interface GoldenCase {
  readonly topic: string;
  readonly file: string;
  readonly view: CompiledView;
  readonly events: GoldenEvent[];
}

/** A fresh topic and view (unique names) with the golden topology and `n` events. */
export async function goldenCase(n: number, seed = 7): Promise<GoldenCase> {
  const topic = uniqueName('golden');
  const viewName = uniqueName('gold').toLowerCase();
  const file = writeTopology(viewName, goldenTopology(viewName, topic));
  const mod = (await import(file)) as { default: FeatureViewDef };
  return { topic, file, view: compileView(mod.default), events: goldenEvents(n, seed) };
}
