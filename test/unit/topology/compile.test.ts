/**
 * What `compileView` produces: the canonical IR (windows with their tiles, value types, options
 * with their defaults) and the runtime parts of a CompiledView; the example topologies compile.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/encoding/sha256.js';
import { FeatureStreamError } from '../../../src/core/errors.js';
import { VIEW_DEFAULTS, compileView } from '../../../src/core/topology/compile.js';
import { entity } from '../../../src/core/topology/entity.js';
import { EVENT_TIME, aggregation } from '../../../src/core/topology/feature-spec.js';
import { featureView } from '../../../src/core/topology/feature-view.js';
import type {
  FeatureViewDef,
  FeatureViewOptions,
} from '../../../src/core/topology/feature-view.js';
import type { ValueTypeIR } from '../../../src/core/topology/ir.js';
import { IR_VERSION } from '../../../src/core/topology/ir.js';
import { derived, field } from '../../../src/core/topology/schema.js';
import { source } from '../../../src/core/topology/source.js';
import { toMillis } from '../../../src/core/time/duration.js';
import type { Duration } from '../../../src/core/time/duration.js';
import cardFraud from '../../../topologies/card-fraud.js';
import customerFeatures from '../../../topologies/customer.js';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

const schema = {
  card_id: field.string(),
  merchant_id: field.string().describe('Merchant id'),
  country: field.string(),
  amount: field.double(),
  quantity: field.int(),
  score: field.long().optional(),
  approved: field.boolean(),
  ts: field.timestamp(),
};
type TxnSchema = typeof schema;
const transactions = source('transactions', { schema, eventTime: 'ts', key: ['card_id'] });
const card = entity('card', { keys: ['card_id'] });

function view(
  features: FeatureViewOptions<TxnSchema, Record<never, never>>['features'],
  options: Partial<Omit<FeatureViewOptions<TxnSchema, Record<never, never>>, 'features'>> = {},
): FeatureViewDef {
  return featureView('card_test', { entity: card, source: transactions, ...options, features });
}

/** The semantics.md default tile, computed independently of src/core/windowing. */
const CANDIDATES = [
  S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  M,
  5 * M,
  10 * M,
  15 * M,
  30 * M,
  H,
  6 * H,
  12 * H,
  D,
];
function referenceTile(windowMs: number): number {
  return Math.max(S, ...CANDIDATES.filter((r) => r <= windowMs / 60));
}

function tileOf(size: Duration, tile?: Duration): unknown {
  const compiled = compileView(
    view((f) => ({ n: f.count().over(size, tile === undefined ? undefined : { tile }) })),
  );
  return compiled.ir.features[0]?.window;
}

describe('sliding windows: default tiles (semantics.md)', () => {
  it.each<[Duration, number]>([
    ['1s', S], // W/60 < 1s → at least 1s
    ['10s', S],
    ['90s', S],
    ['1m', S],
    ['2m', S],
    ['5m', 5 * S],
    ['10m', 10 * S],
    ['15m', 15 * S],
    ['30m', 30 * S],
    ['1h', M],
    ['2h', M], // W/60 = 2m → 1m
    ['5h', 5 * M],
    ['6h', 5 * M], // 6m → 5m
    ['12h', 10 * M], // 12m → 10m
    ['24h', 15 * M], // 24m → 15m
    ['1d', 15 * M],
    ['30h', 30 * M],
    ['2d', 30 * M], // 48m → 30m
    ['3d', H], // 72m → 1h
    ['7d', H], // 168m → 1h
    ['1w', H],
    ['15d', 6 * H], // 6h
    ['30d', 12 * H], // 12h
    ['60d', D], // 24h
    ['90d', D], // 36h → 1d
    [3_600_000, M], // milliseconds are accepted too
  ])('over(%j) has tile %i ms', (size, tileMs) => {
    const sizeMs = toMillis(size);
    expect(referenceTile(sizeMs)).toBe(tileMs); // the table above follows the rule
    expect(tileOf(size)).toEqual({ kind: 'sliding', sizeMs, tileMs });
  });

  it('matches the reference rule for any whole-second window (or rejects it as DSL_WINDOW_TILE)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 * 86_400 }), (seconds) => {
        const sizeMs = seconds * S;
        const expected = referenceTile(sizeMs);
        if (sizeMs % expected === 0) {
          expect(tileOf(sizeMs)).toEqual({ kind: 'sliding', sizeMs, tileMs: expected });
        } else {
          expect(() => tileOf(sizeMs)).toThrow(
            expect.objectContaining({ code: 'DSL_WINDOW_TILE' }) as unknown,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('accepts a custom tile that divides the window, including the window itself', () => {
    expect(tileOf('1h', '5m')).toEqual({ kind: 'sliding', sizeMs: H, tileMs: 5 * M });
    expect(tileOf('1h', '1h')).toEqual({ kind: 'sliding', sizeMs: H, tileMs: H });
    expect(tileOf('10s', '250ms')).toEqual({ kind: 'sliding', sizeMs: 10 * S, tileMs: 250 });
    expect(tileOf('7d', '1d')).toEqual({ kind: 'sliding', sizeMs: 7 * D, tileMs: D });
  });

  it('compiles tumbling and lifetime windows', () => {
    const v = compileView(
      view((f) => ({
        hourly: f.count().every('1h'),
        daily_sum: f.sum('amount').every('1d'),
        total: f.count().lifetime(),
      })),
    );
    expect(v.ir.features.map((x) => x.window)).toEqual([
      { kind: 'tumbling', sizeMs: H },
      { kind: 'tumbling', sizeMs: D },
      { kind: 'lifetime' },
    ]);
  });
});

describe('value types', () => {
  const int64 = (nullable: boolean): ValueTypeIR => ({ base: 'int64', list: false, nullable });
  const float64 = (nullable: boolean): ValueTypeIR => ({ base: 'float64', list: false, nullable });
  const v = compileView(
    view((f) => ({
      count_1h: f.count().over('1h'),
      distinct_merchants: f.distinctCount('merchant_id').over('1h'),
      sum_amount: f.sum('amount').over('1h'),
      sum_quantity: f.sum('quantity').over('1h'),
      mean_amount: f.mean('amount').over('1h'),
      var_amount: f.variance('amount').over('1h'),
      sd_amount: f.stddev('amount').over('1h'),
      p95_amount: f.quantile('amount', 0.95).over('1h'),
      min_amount: f.min('amount').over('1h'),
      max_quantity: f.max('quantity').over('1h'),
      max_score: f.max('score').lifetime(),
      max_ts: f.max('ts').lifetime(),
      first_approved: f.first('approved').lifetime(),
      last_country: f.last('country').lifetime(),
      last_time: f.last(f.eventTime).lifetime(),
      last_countries: f.lastN('country', 5).lifetime(),
      last_times: f.lastN(f.eventTime, 2).lifetime(),
      last_amounts: f.lastN('amount', 3).lifetime(),
      mapped_count: f
        .count()
        .over('1h')
        .map((n) => n * 2),
      gap_ms: f
        .lastN(f.eventTime, 2)
        .lifetime()
        .map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
    })),
  );
  const types = Object.fromEntries(v.ir.features.map((x) => [x.name, x.valueType]));

  it.each<[string, ValueTypeIR]>([
    ['count_1h', int64(false)],
    ['distinct_merchants', int64(false)],
    ['sum_amount', float64(false)],
    ['sum_quantity', float64(false)], // sums are float64 columns, even over integers
    ['mean_amount', float64(true)],
    ['var_amount', float64(true)],
    ['sd_amount', float64(true)],
    ['p95_amount', float64(true)],
    ['min_amount', float64(true)],
    ['max_quantity', int64(true)],
    ['max_score', int64(true)],
    ['max_ts', { base: 'timestamp', list: false, nullable: true }],
    ['first_approved', { base: 'boolean', list: false, nullable: true }],
    ['last_country', { base: 'string', list: false, nullable: true }],
    ['last_time', { base: 'timestamp', list: false, nullable: true }],
    ['last_countries', { base: 'string', list: true, nullable: false }],
    ['last_times', { base: 'timestamp', list: true, nullable: false }],
    ['last_amounts', { base: 'float64', list: true, nullable: false }],
    ['mapped_count', float64(true)], // .map() results are float64, nullable
    ['gap_ms', float64(true)],
  ])('%s → %j', (name, type) => {
    expect(types[name]).toEqual(type);
  });

  it('keeps the feature order of the definition', () => {
    expect(v.features.map((x) => x.index)).toEqual(v.features.map((_, i) => i));
    expect(v.ir.features.map((x) => x.name)).toEqual(Object.keys(types));
  });
});

describe('the IR', () => {
  const def = featureView('card_spend', {
    entity: card,
    source: transactions,
    filter: (e) => e.approved,
    derive: {
      amount_cents: derived.long((e: { amount: number }) => Math.round(e.amount * 100)),
      big: derived.boolean((e: { amount: number }) => e.amount > 1000),
    },
    owner: 'fraud-ml',
    description: 'test view',
    tags: ['a', 'b'],
    onlineTtl: '1d',
    allowedLateness: '10s',
    idleTimeout: '1m',
    features: (f) => ({
      cents_1h: f.sum('amount_cents').over('1h').describe('Spend in cents'),
      p99_amount: f.quantile('amount', 0.99, { relativeAccuracy: 0.02 }).over('1d'),
      recent: f.lastN('country', 3).lifetime(),
    }),
  });
  const compiled = compileView(def);
  const ir = compiled.ir;

  it('is plain JSON data, identical after a JSON round trip', () => {
    expect(JSON.parse(JSON.stringify(ir))).toStrictEqual(ir);
    expect(JSON.parse(canonicalJson(ir))).toStrictEqual(ir);
  });

  it('is the same for the same definition, compiled twice', () => {
    expect(compileView(def).ir).toStrictEqual(ir);
  });

  it('holds the view, entity, source and options', () => {
    expect(ir.irVersion).toBe(IR_VERSION);
    expect(ir.name).toBe('card_spend');
    expect(ir.version).toMatch(/^[0-9a-f]{12}$/);
    expect(ir.entity).toEqual({ name: 'card', keys: ['card_id'] });
    expect(ir.source.name).toBe('transactions');
    expect(ir.source.topic).toBe('transactions'); // defaults to the source name
    expect(ir.source.format).toBe('json');
    expect(ir.source.key).toEqual(['card_id']);
    expect(ir.source.eventTime).toEqual({ field: 'ts' });
    expect(ir.source.schema.find((f) => f.name === 'merchant_id')).toEqual({
      name: 'merchant_id',
      type: 'string',
      nullable: false,
      doc: 'Merchant id',
    });
    expect(ir.source.schema.find((f) => f.name === 'score')).toEqual({
      name: 'score',
      type: 'long',
      nullable: true,
    });
    expect(ir.allowedLatenessMs).toBe(10 * S);
    expect(ir.idleTimeoutMs).toBe(M);
    expect(ir.onlineTtlMs).toBe(D);
    expect(ir.metadata).toEqual({ owner: 'fraud-ml', description: 'test view', tags: ['a', 'b'] });
  });

  it('holds functions as normalised source text', () => {
    expect(ir.filter).toBe('e=>e.approved');
    expect(ir.derive).toEqual([
      { name: 'amount_cents', type: 'long', nullable: false, fn: 'e=>Math.round(e.amount*100)' },
      { name: 'big', type: 'boolean', nullable: false, fn: 'e=>e.amount>1e3' },
    ]);
  });

  it('holds each feature with its params, window, doc and map', () => {
    expect(ir.features).toEqual([
      {
        name: 'cents_1h',
        op: 'sum',
        field: 'amount_cents',
        params: {},
        window: { kind: 'sliding', sizeMs: H, tileMs: M },
        map: null,
        valueType: { base: 'float64', list: false, nullable: false },
        doc: 'Spend in cents',
      },
      {
        name: 'p99_amount',
        op: 'quantile',
        field: 'amount',
        params: { q: 0.99, relativeAccuracy: 0.02 },
        window: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
        map: null,
        valueType: { base: 'float64', list: false, nullable: true },
      },
      {
        name: 'recent',
        op: 'lastN',
        field: 'country',
        params: { n: 3 },
        window: { kind: 'lifetime' },
        map: null,
        valueType: { base: 'string', list: true, nullable: false },
      },
    ]);
  });

  it('uses VIEW_DEFAULTS for options that are not given', () => {
    expect(VIEW_DEFAULTS).toEqual({
      allowedLatenessMs: 5 * S,
      idleTimeoutMs: 30 * S,
      onlineTtlMs: 7 * D,
    });
    const plain = compileView(view((f) => ({ n: f.count().over('1m') }))).ir;
    expect(plain.allowedLatenessMs).toBe(VIEW_DEFAULTS.allowedLatenessMs);
    expect(plain.idleTimeoutMs).toBe(VIEW_DEFAULTS.idleTimeoutMs);
    expect(plain.onlineTtlMs).toBe(VIEW_DEFAULTS.onlineTtlMs);
    expect(plain.filter).toBeNull();
    expect(plain.derive).toEqual([]);
    expect(plain.metadata).toEqual({ owner: null, description: null, tags: [] });
  });

  it('accepts zero lateness and numeric (millisecond) durations', () => {
    const v = compileView(
      view((f) => ({ n: f.count().over(60_000) }), { allowedLateness: 0, idleTimeout: 2_500 }),
    ).ir;
    expect(v.allowedLatenessMs).toBe(0);
    expect(v.idleTimeoutMs).toBe(2_500);
  });

  it('records an event-time function as normalised text', () => {
    const src = source('clicks', {
      schema: { user_id: field.string(), at_s: field.double() },
      eventTime: (e) => e.at_s * 1000,
      key: ['user_id'],
    });
    const v = compileView(
      featureView('clicks', {
        entity: entity('user', { keys: ['user_id'] }),
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    // The text is what the loader hands to toString(): esbuild (tsx, vitest) prints 1000 as 1e3.
    expect(v.ir.source.eventTime).toEqual({ fn: 'e=>e.at_s*1e3' });
    expect(v.eventTimeField).toBeUndefined();
    expect(v.eventTimeFn?.({ at_s: 1.5 })).toBe(1500);
  });
});

describe('the CompiledView', () => {
  const v = compileView(
    featureView('card_merchant', {
      entity: entity('card_merchant', { keys: ['card_id', 'merchant_id'] }),
      source: transactions,
      filter: (e) => e.amount > 0,
      derive: { cents: derived.long((e: { amount: number }) => Math.round(e.amount * 100)) },
      features: (f) => ({
        n_5m: f.count().over('5m'),
        last_time: f.last(f.eventTime).lifetime(),
        cents_sum: f.sum('cents').lifetime(),
        gap: f
          .lastN(f.eventTime, 2)
          .lifetime()
          .map((ts) => (ts.length < 2 ? null : (ts[0] ?? 0) - (ts[1] ?? 0))),
      }),
    }),
  );

  it('exposes the runtime functions and fields', () => {
    expect(v.name).toBe('card_merchant');
    expect(v.version).toBe(v.ir.version);
    expect(v.keyFields).toEqual(['card_id', 'merchant_id']);
    expect(v.eventTimeField).toBe('ts');
    expect(v.eventTimeFn).toBeUndefined();
    expect(v.filter?.({ amount: 5 })).toBe(true);
    expect(v.filter?.({ amount: -5 })).toBe(false);
    expect(v.derive.map((d) => d.name)).toEqual(['cents']);
    expect(v.derive[0]?.fn({ amount: 1.234 })).toBe(123);
  });

  it('creates one aggregator per feature and keeps the field it reads', () => {
    expect(v.features.map((f) => [f.index, f.name, f.aggregator.op, f.field])).toEqual([
      [0, 'n_5m', 'count', null],
      [1, 'last_time', 'last', EVENT_TIME],
      [2, 'cents_sum', 'sum', 'cents'],
      [3, 'gap', 'lastN', EVENT_TIME],
    ]);
    expect(v.features[3]?.map?.([30, 10])).toBe(20);
    expect(v.features[3]?.map?.([30])).toBeNull();
    expect(v.features[0]?.map).toBeUndefined();
  });

  it('accepts hand-built aggregations over the event time', () => {
    const c = compileView(view(() => ({ max_time: aggregation('max', EVENT_TIME).over('1h') })));
    expect(c.ir.features[0]?.valueType).toEqual({
      base: 'timestamp',
      list: false,
      nullable: true,
    });
  });
});

describe('the example topologies', () => {
  it('card_fraud compiles with the documented windows and tiles', () => {
    const v = compileView(cardFraud);
    expect(v.version).toMatch(/^[0-9a-f]{12}$/);
    expect(v.keyFields).toEqual(['card_id']);
    expect(v.ir.onlineTtlMs).toBe(8 * D);
    expect(v.ir.allowedLatenessMs).toBe(5 * S);
    expect(v.ir.idleTimeoutMs).toBe(VIEW_DEFAULTS.idleTimeoutMs);
    const windows = Object.fromEntries(v.ir.features.map((f) => [f.name, f.window]));
    expect(windows).toEqual({
      txn_count_1m: { kind: 'sliding', sizeMs: M, tileMs: S },
      txn_count_5m: { kind: 'sliding', sizeMs: 5 * M, tileMs: 5 * S },
      txn_count_1h: { kind: 'sliding', sizeMs: H, tileMs: M },
      amount_sum_1h: { kind: 'sliding', sizeMs: H, tileMs: M },
      amount_sum_24h: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
      amount_mean_1h: { kind: 'sliding', sizeMs: H, tileMs: M },
      amount_mean_24h: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
      amount_max_1h: { kind: 'sliding', sizeMs: H, tileMs: M },
      amount_max_24h: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
      distinct_merchants_24h: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
      distinct_countries_24h: { kind: 'sliding', sizeMs: D, tileMs: 15 * M },
      amount_p95_7d: { kind: 'sliding', sizeMs: 7 * D, tileMs: H },
      last_country: { kind: 'lifetime' },
      ms_since_prev_txn: { kind: 'lifetime' },
    });
    const gap = v.ir.features.find((f) => f.name === 'ms_since_prev_txn');
    expect(gap?.map).toBe('ts=>ts.length<2?null:(ts[0]??0)-(ts[1]??0)');
    expect(JSON.parse(JSON.stringify(v.ir))).toStrictEqual(v.ir);
  });

  it('customer_features compiles with the default options', () => {
    const v = compileView(customerFeatures);
    expect(v.version).toMatch(/^[0-9a-f]{12}$/);
    expect(v.keyFields).toEqual(['customer_id']);
    expect(v.ir.onlineTtlMs).toBe(VIEW_DEFAULTS.onlineTtlMs);
    expect(v.ir.allowedLatenessMs).toBe(VIEW_DEFAULTS.allowedLatenessMs);
    expect(v.ir.features.map((f) => [f.name, f.op, f.window.kind, f.valueType.base])).toEqual([
      ['avg_purchase_amount', 'mean', 'lifetime', 'float64'],
      ['total_orders', 'count', 'lifetime', 'int64'],
      ['last_purchase_date', 'max', 'lifetime', 'timestamp'],
    ]);
    expect(JSON.parse(JSON.stringify(v.ir))).toStrictEqual(v.ir);
  });

  it('give different versions (different views)', () => {
    expect(compileView(cardFraud).version).not.toBe(compileView(customerFeatures).version);
  });
});

describe('errors are FeatureStreamErrors', () => {
  it('so callers can tell user mistakes from bugs', () => {
    expect(() => compileView(view((f) => ({ n: f.count().over('1x' as Duration) })))).toThrow(
      FeatureStreamError,
    );
  });
});
