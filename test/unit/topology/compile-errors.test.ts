/**
 * Negative DSL tests: every error `compileView` can raise (its own checks plus `toMillis`,
 * `checkTile` and the aggregator parameter checks it wraps) is a user error with a stable code,
 * a message naming the view (and the feature when there is one) and a helpful fix.
 */
import { describe, expect, it } from 'vitest';
import type { AggOp } from '../../../src/core/aggregation/aggregator.js';
import { FeatureStreamError } from '../../../src/core/errors.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { entity } from '../../../src/core/topology/entity.js';
import type { Entity } from '../../../src/core/topology/entity.js';
import { EVENT_TIME, aggregation } from '../../../src/core/topology/feature-spec.js';
import type { FeatureSpec } from '../../../src/core/topology/feature-spec.js';
import { featureView } from '../../../src/core/topology/feature-view.js';
import type {
  FeatureViewDef,
  FeatureViewOptions,
} from '../../../src/core/topology/feature-view.js';
import { derived, field } from '../../../src/core/topology/schema.js';
import { source } from '../../../src/core/topology/source.js';
import type { Duration } from '../../../src/core/time/duration.js';

const schema = {
  txn_id: field.string(),
  card_id: field.string(),
  customer_id: field.string(),
  amount: field.double(),
  quantity: field.int(),
  merchant_id: field.string(),
  country: field.string(),
  approved: field.boolean(),
  ts: field.timestamp(),
};
type TxnSchema = typeof schema;
const transactions = source('transactions', { schema, eventTime: 'ts', key: ['card_id'] });
const card = entity('card', { keys: ['card_id'] });

const VIEW = 'card_test';

/** The typed builder handed to `features: (f) => …` for this source. */
type Builder = Parameters<Parameters<typeof view>[0]>[0];

/** A valid view over `transactions`; `features` and `options` vary per test. */
function view(
  features: FeatureViewOptions<TxnSchema, Record<never, never>>['features'],
  options: Partial<Omit<FeatureViewOptions<TxnSchema, Record<never, never>>, 'features'>> = {},
  name = VIEW,
): FeatureViewDef {
  return featureView(name, { entity: card, source: transactions, ...options, features });
}

function caught(def: FeatureViewDef): FeatureStreamError {
  try {
    compileView(def);
  } catch (err) {
    if (err instanceof FeatureStreamError) return err;
    throw err;
  }
  throw new Error('compileView accepted an invalid definition');
}

interface Expect {
  readonly view?: string;
  readonly feature?: string;
  /** Substrings (or patterns) the message must contain, besides the view and feature. */
  readonly message?: readonly (string | RegExp)[];
  readonly fix?: string | RegExp;
}

/** Compiles `def`, expecting a user error with `code`; returns it for further checks. */
function expectError(def: FeatureViewDef, code: string, e: Expect = {}): FeatureStreamError {
  const err = caught(def);
  expect(err.code).toBe(code);
  expect(err.domain).toBe('user');
  expect(err.retriable).toBe(false);
  expect(err.message).toContain(`view '${e.view ?? VIEW}'`);
  if (e.feature !== undefined) expect(err.message).toContain(`feature '${e.feature}'`);
  else expect(err.message).not.toContain("feature '");
  for (const part of e.message ?? []) {
    if (typeof part === 'string') expect(err.message).toContain(part);
    else expect(err.message).toMatch(part);
  }
  expect(typeof err.fix).toBe('string');
  expect((err.fix ?? '').trim().length).toBeGreaterThan(8);
  if (e.fix !== undefined) {
    if (typeof e.fix === 'string') expect(err.fix).toContain(e.fix);
    else expect(err.fix).toMatch(e.fix);
  }
  // One line for humans, with the fix.
  expect(err.toLine()).toBe(`${code}: ${err.message} — ${err.fix ?? ''}`);
  return err;
}

/** A card-count view over source `sourceName` whose schema has `card_id`, `ts` and `extra`. */
function viewWithField(sourceName: string, extra: string): FeatureViewDef {
  return featureView(VIEW, {
    entity: card,
    source: source(sourceName, {
      schema: { card_id: field.string(), [extra]: field.string(), ts: field.timestamp() },
      eventTime: 'ts',
      key: ['card_id'],
    }),
    features: (f) => ({ n: f.count().over('1m') }),
  });
}

const count = view((f) => ({ txn_count_5m: f.count().over('5m') }));

describe('a valid baseline', () => {
  it('compiles (so every failure below is caused by the one change it makes)', () => {
    expect(compileView(count).ir.features).toHaveLength(1);
  });
});

describe('DSL_BAD_NAME', () => {
  it.each([
    ['CardVelocity'],
    ['card-velocity'],
    ['1card'],
    ['_card'],
    [''],
    ['card velocity'],
    ['a'.repeat(64)],
  ])('rejects the view name %j', (name) => {
    const err = expectError(
      view((f) => ({ n: f.count().over('1m') }), {}, name),
      'DSL_BAD_NAME',
      { view: name, message: ['snake_case'], fix: 'card_velocity' },
    );
    expect(err.details).toEqual({ view: name });
  });

  it('accepts a 63-character snake_case view name', () => {
    const name = `v${'_x'.repeat(31)}`;
    expect(name).toHaveLength(63);
    expect(compileView(view((f) => ({ n: f.count().over('1m') }), {}, name)).name).toBe(name);
  });

  it('rejects a schema field that is not a column name', () => {
    expectError(viewWithField('weird', 'card id'), 'DSL_BAD_NAME', {
      message: ["source 'weird'", "field 'card id'", 'not a valid column name'],
      fix: 'digits',
    });
  });

  it('rejects a schema field starting with a digit', () => {
    expectError(viewWithField('weird', '1st'), 'DSL_BAD_NAME', {
      message: ["field '1st'"],
      fix: 'not starting with a digit',
    });
  });

  it.each([['event_time'], ['_offset'], ['_ingested_at']])(
    'rejects a schema field named like an archive column (%j)',
    (name) => {
      expectError(viewWithField('clash', name), 'DSL_BAD_NAME', {
        message: ["source 'clash'", `field '${name}' is reserved`, '_topic'],
        fix: 'rename',
      });
    },
  );

  it.each([['version'], ['as_of'], ['_written_at']])(
    'rejects an entity key named like a history column (%j)',
    (name) => {
      const bad = source('clash', {
        schema: { [name]: field.string(), ts: field.timestamp() },
        eventTime: 'ts',
        key: [name],
      });
      expectError(
        featureView(VIEW, {
          entity: entity('clashing', { keys: [name] }),
          source: bad,
          features: (f) => ({ n: f.count().over('1m') }),
        }),
        'DSL_BAD_NAME',
        { message: [`entity key '${name}' is reserved`], fix: 'another name' },
      );
    },
  );

  it('rejects a derived field that is not a column name', () => {
    expectError(
      featureView(VIEW, {
        entity: card,
        source: transactions,
        derive: { 'amount-cents': derived.double((e: { amount: number }) => e.amount * 100) },
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_BAD_NAME',
      { message: ["derived field 'amount-cents'", 'not a valid column name'] },
    );
  });

  it.each([
    ['TxnCount', 'upper case'],
    ['txn-count', 'a dash'],
    ['1m_count', 'a leading digit'],
    ['version', 'reserved (history column)'],
    ['as_of', 'reserved (history column)'],
    ['event_time', 'reserved'],
    ['card_id', 'the name of an entity key'],
  ])('rejects the feature name %j (%s)', (name) => {
    expectError(
      view(() => ({ [name]: aggregation('count', null).over('1m') })),
      'DSL_BAD_NAME',
      {
        feature: name,
        message: ['snake_case', 'reserved', 'not a key'],
        fix: 'rename the feature',
      },
    );
  });
});

describe('DSL_BAD_TOPIC', () => {
  it.each([['bad topic'], ['a/b'], ['t'.repeat(250)], ['topic:1']])(
    'rejects the topic %j',
    (topic) => {
      const bad = source('txns', { topic, schema, eventTime: 'ts', key: ['card_id'] });
      expectError(
        featureView(VIEW, {
          entity: card,
          source: bad,
          features: (f) => ({ n: f.count().over('1m') }),
        }),
        'DSL_BAD_TOPIC',
        { message: ["source 'txns'", 'not a valid Kafka topic name'], fix: '249' },
      );
    },
  );

  it('rejects an empty topic (an empty string is not defaulted to the source name)', () => {
    const bad = source('txns', { topic: '', schema, eventTime: 'ts', key: ['card_id'] });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: bad,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_BAD_TOPIC',
    );
  });

  it('accepts dots, dashes and underscores', () => {
    const ok = source('txns', {
      topic: 'payments.card-txns_v2',
      schema,
      eventTime: 'ts',
      key: ['card_id'],
    });
    const def = featureView(VIEW, {
      entity: card,
      source: ok,
      features: (f) => ({ n: f.count().over('1m') }),
    });
    expect(compileView(def).ir.source.topic).toBe('payments.card-txns_v2');
  });
});

describe('DSL_DUPLICATE_FIELD', () => {
  it('rejects a derived field that shadows a source field', () => {
    expectError(
      featureView(VIEW, {
        entity: card,
        source: transactions,
        derive: { amount: derived.double((e: { amount: number }) => e.amount * 100) },
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_DUPLICATE_FIELD',
      {
        message: ["derived field 'amount'", "already exists in source 'transactions'"],
        fix: 'another name',
      },
    );
  });
});

describe('DSL_UNKNOWN_FIELD', () => {
  it('suggests the closest field for a near-miss', () => {
    const err = expectError(
      // @ts-expect-error -- the builder's types reject unknown fields too
      view((f) => ({ amount_sum_1h: f.sum('amout').over('1h') })),
      'DSL_UNKNOWN_FIELD',
      {
        feature: 'amount_sum_1h',
        message: ["field 'amout' is not a field of source 'transactions'"],
      },
    );
    expect(err.fix).toBe("did you mean 'amount'?");
    expect(err.details).toEqual({ view: VIEW, feature: 'amount_sum_1h' });
  });

  it('suggests case-insensitively', () => {
    const err = expectError(
      // @ts-expect-error -- unknown field
      view((f) => ({ m: f.distinctCount('Merchant_Id').over('1h') })),
      'DSL_UNKNOWN_FIELD',
      { feature: 'm' },
    );
    expect(err.fix).toBe("did you mean 'merchant_id'?");
  });

  it('lists the fields when nothing is close', () => {
    const err = expectError(
      // @ts-expect-error -- unknown field
      view((f) => ({ z: f.sum('zzz').over('1h') })),
      'DSL_UNKNOWN_FIELD',
      { feature: 'z' },
    );
    expect(err.fix).toBe(
      'use one of: txn_id, card_id, customer_id, amount, quantity, merchant_id, country, approved, ts',
    );
  });

  it('names derived fields among the candidates', () => {
    const err = caught(
      featureView(VIEW, {
        entity: card,
        source: transactions,
        derive: {
          amount_cents: derived.long((e: { amount: number }) => Math.round(e.amount * 100)),
        },
        // @ts-expect-error -- unknown field
        features: (f) => ({ s: f.sum('amount_cent').over('1h') }),
      }),
    );
    expect(err.code).toBe('DSL_UNKNOWN_FIELD');
    expect(err.fix).toBe("did you mean 'amount_cents'?");
  });

  it('rejects an entity key that is not a field', () => {
    const merchant = entity('merchant', { keys: ['merchantid'] });
    const src = source('transactions', { schema, eventTime: 'ts', key: ['txn_id'] });
    expectError(
      featureView(VIEW, {
        entity: merchant,
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_UNKNOWN_FIELD',
      { message: ["entity key 'merchantid' is not a field"], fix: "did you mean 'merchant_id'?" },
    );
  });

  it('rejects an event-time field that is not in the schema', () => {
    const src = source('transactions', {
      schema,
      eventTime: 'timestamp' as keyof TxnSchema,
      key: ['card_id'],
    });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_UNKNOWN_FIELD',
      { message: ["event-time field 'timestamp' is not a field of source 'transactions'"] },
    );
  });
});

describe('DSL_NO_KEYS', () => {
  it('rejects an entity without keys (only reachable around the types)', () => {
    const keyless: Entity = { kind: 'entity', name: 'nothing', keys: [], description: undefined };
    expectError(
      featureView(VIEW, {
        entity: keyless,
        source: transactions,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_NO_KEYS',
      { message: ["entity 'nothing' has no key fields"], fix: 'at least one key field' },
    );
  });
});

describe('DSL_FIELD_TYPE', () => {
  it.each<[string, (f: Builder) => FeatureSpec<unknown>, string]>([
    // The builder's types already reject these three …
    [
      'sum',
      // @ts-expect-error -- sum over a string
      (f) => f.sum('country').over('1h'),
      '`sum` needs a numeric field; `country` is a string',
    ],
    [
      'mean',
      // @ts-expect-error -- mean over a boolean
      (f) => f.mean('approved').over('1h'),
      '`mean` needs a numeric field; `approved` is a boolean',
    ],
    [
      'quantile',
      // @ts-expect-error -- quantile over a string
      (f) => f.quantile('merchant_id', 0.5).over('1h'),
      '`quantile` needs a numeric field; `merchant_id` is a string',
    ],
    // … these pass the type checker (timestamps are numbers in TypeScript; `$time` via a
    // hand-built aggregation) and fail at compile.
    ['sum', (f) => f.sum('ts').over('1h'), '`sum` needs a numeric field; `ts` is a timestamp'],
    [
      'variance',
      () => aggregation('variance', EVENT_TIME).over('1h'),
      '`variance` needs a numeric field; `$time` is a timestamp',
    ],
    [
      'stddev',
      (f) => f.stddev('ts').over('1h'),
      '`stddev` needs a numeric field; `ts` is a timestamp',
    ],
  ])('rejects %s over a non-numeric field', (_op, feature, message) => {
    expectError(
      view((f) => ({ bad_feature: feature(f) })),
      'DSL_FIELD_TYPE',
      { feature: 'bad_feature', message: [message], fix: 'int, long or double' },
    );
  });

  it('rejects min over a boolean and max over a string', () => {
    expectError(
      // @ts-expect-error -- min over a boolean
      view((f) => ({ min_ok: f.min('approved').over('1h') })),
      'DSL_FIELD_TYPE',
      {
        feature: 'min_ok',
        message: ['`min` needs a numeric or timestamp field; `approved` is a boolean'],
        fix: 'first/last',
      },
    );
    expectError(
      // @ts-expect-error -- max over a string
      view((f) => ({ max_country: f.max('country').over('1h') })),
      'DSL_FIELD_TYPE',
      {
        feature: 'max_country',
        message: ['`max` needs a numeric or timestamp field; `country` is a string'],
      },
    );
  });

  it('rejects distinctCount over a timestamp, a double and a boolean', () => {
    expectError(
      view((f) => ({ distinct_ts: f.distinctCount('ts').over('1h') })),
      'DSL_FIELD_TYPE',
      {
        feature: 'distinct_ts',
        message: ['`distinctCount` needs a string or integer field; `ts` is a timestamp'],
        fix: 'derive a string',
      },
    );
    expectError(
      view((f) => ({ distinct_amounts: f.distinctCount('amount').over('1h') })),
      'DSL_FIELD_TYPE',
      { feature: 'distinct_amounts', message: ['`amount` is a double'] },
    );
    expectError(
      // @ts-expect-error -- booleans are not distinct-countable
      view((f) => ({ distinct_ok: f.distinctCount('approved').over('1h') })),
      'DSL_FIELD_TYPE',
      { feature: 'distinct_ok', message: ['`approved` is a boolean'] },
    );
  });

  it('rejects an entity key of type double', () => {
    const s = source('prices', {
      schema: { price: field.double(), ts: field.timestamp() },
      eventTime: 'ts',
      key: ['price'],
    });
    expectError(
      featureView(VIEW, {
        entity: entity('price', { keys: ['price'] }),
        source: s,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_FIELD_TYPE',
      { message: ["entity key 'price' is a double"], fix: 'strings or integers' },
    );
  });

  it('rejects an entity key of type boolean (every event would be dead-lettered)', () => {
    expectError(
      featureView(VIEW, {
        entity: entity('approval', { keys: ['approved'] }),
        source: source('transactions', { schema, eventTime: 'ts', key: ['approved'] }),
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_FIELD_TYPE',
      { message: ["entity key 'approved' is a boolean"], fix: 'strings or integers' },
    );
  });

  it('accepts what the type rules allow', () => {
    const ok = compileView(
      view((f) => ({
        min_ts: f.min('ts').over('1h'),
        max_time: aggregation('max', EVENT_TIME).over('1h'),
        min_quantity: f.min('quantity').over('1h'),
        distinct_quantity: f.distinctCount('quantity').over('1h'),
        distinct_country: f.distinctCount('country').over('1h'),
        first_ok: f.first('approved').over('1h'),
        last_country: f.last('country').lifetime(),
        recent_countries: f.lastN('country', 3).lifetime(),
        sum_quantity: f.sum('quantity').over('1h'),
      })),
    );
    expect(ok.features).toHaveLength(9);
  });
});

describe('DSL_KEY_MISMATCH', () => {
  it("rejects a topic keyed by a field that is not one of the entity's keys", () => {
    const byCustomer = source('transactions', { schema, eventTime: 'ts', key: ['customer_id'] });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: byCustomer,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_KEY_MISMATCH',
      {
        message: [
          "source 'transactions' is keyed by 'customer_id', which is not part of entity 'card' (card_id)",
        ],
        fix: 'one partition holds all events of an entity',
      },
    );
  });

  it('rejects a topic keyed by more fields than the entity', () => {
    const byCardMerchant = source('transactions', {
      schema,
      eventTime: 'ts',
      key: ['card_id', 'merchant_id'],
    });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: byCardMerchant,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_KEY_MISMATCH',
      { message: ["keyed by 'card_id, merchant_id'"] },
    );
  });

  it('accepts an entity with more keys than the topic (all its events still share a partition)', () => {
    const cardMerchant = entity('card_merchant', { keys: ['card_id', 'merchant_id'] });
    const v = compileView(
      featureView(VIEW, {
        entity: cardMerchant,
        source: transactions,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    expect(v.keyFields).toEqual(['card_id', 'merchant_id']);
  });
});

describe('DSL_EVENT_TIME', () => {
  it.each([
    ['amount', 'double'],
    ['country', 'string'],
    ['quantity', 'int'],
    ['approved', 'boolean'],
  ] as const)('rejects %s (a %s) as the event-time field', (name, type) => {
    const src = source('transactions', { schema, eventTime: name, key: ['card_id'] });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_EVENT_TIME',
      { message: [`event-time field '${name}' is a ${type}`], fix: 'field.timestamp()' },
    );
  });

  it('rejects a derived field as the event time (it is read before derivations run)', () => {
    const src = source('transactions', {
      schema,
      eventTime: 'ts_ms' as keyof TxnSchema,
      key: ['card_id'],
    });
    expectError(
      featureView(VIEW, {
        entity: card,
        source: src,
        derive: { ts_ms: derived.timestamp((e: { ts: number }) => e.ts) },
        features: (f) => ({ n: f.count().over('1m') }),
      }),
      'DSL_EVENT_TIME',
      {
        message: ["event-time field 'ts_ms' is a derived field"],
        fix: 'make eventTime a function of the raw event',
      },
    );
  });

  it('accepts a long (epoch milliseconds) as the event-time field', () => {
    const src = source('clicks', {
      schema: { user_id: field.string(), at_ms: field.long() },
      eventTime: 'at_ms',
      key: ['user_id'],
    });
    const v = compileView(
      featureView('clicks', {
        entity: entity('user', { keys: ['user_id'] }),
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    expect(v.eventTimeField).toBe('at_ms');
  });
});

describe('DSL_FEATURES_THREW', () => {
  it('wraps an exception from the features function', () => {
    expectError(
      view(() => {
        throw new Error('boom');
      }),
      'DSL_FEATURES_THREW',
      { message: ['the features function threw: Error: boom'], fix: 'features function' },
    );
  });

  it('passes a FeatureStreamError thrown by the features function through unchanged', () => {
    const own = new FeatureStreamError('MY_CODE', 'mine', { domain: 'user', fix: 'do it' });
    const err = caught(
      view(() => {
        throw own;
      }),
    );
    expect(err).toBe(own);
  });
});

describe('DSL_NO_FEATURES', () => {
  it.each([
    ['an empty object', () => ({})],
    ['undefined', () => undefined as unknown as Record<string, FeatureSpec<unknown>>],
  ])('rejects a features function returning %s', (_what, features) => {
    expectError(view(features), 'DSL_NO_FEATURES', {
      message: ['no features are defined'],
      fix: 'features: (f) => ({ ... })',
    });
  });
});

describe('DSL_NOT_A_FEATURE', () => {
  it('rejects an aggregation without a window', () => {
    expectError(
      // @ts-expect-error -- an Aggregation is not a FeatureSpec
      view((f) => ({ txn_count: f.count() })),
      'DSL_NOT_A_FEATURE',
      {
        feature: 'txn_count',
        message: ['did you forget .over(), .every() or .lifetime()?'],
        fix: "f.count().over('5m')",
      },
    );
  });

  it.each([[null], [42], ['count'], [{ kind: 'aggregation' }]])('rejects the entry %j', (entry) => {
    expectError(
      view(() => ({ thing: entry as unknown as FeatureSpec<unknown> })),
      'DSL_NOT_A_FEATURE',
      { feature: 'thing' },
    );
  });
});

describe('DSL_WINDOW_SIZE', () => {
  it.each<[string, (f: Builder) => FeatureSpec<unknown>, string]>([
    ['a sliding window', (f) => f.count().over('500ms'), 'window 500ms is shorter than 1s'],
    ['a tumbling window', (f) => f.count().every('999ms'), 'window 999ms is shorter than 1s'],
    ['a zero window', (f) => f.count().over(0), 'window 0 is shorter than 1s'],
  ])('rejects %s shorter than 1s', (_what, feature, message) => {
    expectError(
      view((f) => ({ short_window: feature(f) })),
      'DSL_WINDOW_SIZE',
      {
        feature: 'short_window',
        message: [message],
        fix: 'at least 1s',
      },
    );
  });
});

describe('DSL_WINDOW_TILE', () => {
  it('rejects a tile that does not divide the window', () => {
    expectError(
      view((f) => ({ n_1h: f.count().over('1h', { tile: '7m' }) })),
      'DSL_WINDOW_TILE',
      {
        feature: 'n_1h',
        message: ['window 1h is not a multiple of tile 7m'],
        fix: "e.g. { tile: '1m' }",
      },
    );
  });

  it('rejects a tile longer than the window', () => {
    expectError(
      view((f) => ({ n_5m: f.count().over('5m', { tile: '10m' }) })),
      'DSL_WINDOW_TILE',
      {
        feature: 'n_5m',
        message: ['window 5m is not a multiple of tile 10m'],
        fix: "{ tile: '5s' }",
      },
    );
  });

  it('rejects a zero tile', () => {
    expectError(
      view((f) => ({ n_5m: f.count().over('5m', { tile: 0 }) })),
      'DSL_WINDOW_TILE',
      {
        feature: 'n_5m',
        message: ['tile 0ms'],
      },
    );
  });

  it('rejects a window the default tile does not divide, and suggests a tile that does', () => {
    // Default tile of 306s: the largest standard tile ≤ 5.1s is 5s, which does not divide 306s.
    expectError(
      view((f) => ({ n: f.count().over('306s') })),
      'DSL_WINDOW_TILE',
      {
        feature: 'n',
        message: ['window 306s is not a multiple of tile 5s'],
        fix: "{ tile: '1s' }",
      },
    );
    // No standard tile divides 1500ms; the suggestion is still a divisor.
    expectError(
      view((f) => ({ n: f.count().over('1500ms') })),
      'DSL_WINDOW_TILE',
      {
        feature: 'n',
        message: ['window 1500ms is not a multiple of tile 1s'],
        fix: "{ tile: '500ms' }",
      },
    );
    const fixed = compileView(view((f) => ({ n: f.count().over('1500ms', { tile: '500ms' }) })));
    expect(fixed.ir.features[0]?.window).toEqual({ kind: 'sliding', sizeMs: 1500, tileMs: 500 });
  });
});

describe('DSL_BAD_DURATION', () => {
  it.each<[string, (f: Builder) => FeatureSpec<unknown>, string]>([
    [
      'a window with a unit typo',
      (f) => f.count().over('5min' as Duration),
      "window: '5min' is not a duration",
    ],
    ['a window with spaces', (f) => f.count().over('5 m'), "window: '5 m' is not a duration"],
    ['a fractional window', (f) => f.count().over('1.5h'), "window: '1.5h'"],
    ['a negative window', (f) => f.count().every('-1m'), "window: '-1m'"],
    ['fractional milliseconds', (f) => f.count().over(1500.5), "window: '1500.5'"],
    [
      'a bad tile',
      (f) => f.count().over('1h', { tile: '1x' as Duration }),
      "tile: '1x' is not a duration",
    ],
  ])('rejects %s', (_what, feature, message) => {
    expectError(
      view((f) => ({ bad_duration: feature(f) })),
      'DSL_BAD_DURATION',
      {
        feature: 'bad_duration',
        message: [message],
        fix: "'5m'",
      },
    );
  });

  it.each([
    ['allowedLateness', { allowedLateness: 'soon' as Duration }],
    ['idleTimeout', { idleTimeout: -5 }],
    ['onlineTtl', { onlineTtl: '7 days' as Duration }],
  ] as const)('rejects a bad %s', (option, options) => {
    expectError(
      view((f) => ({ n: f.count().over('1m') }), options),
      'DSL_BAD_DURATION',
      {
        message: [`${option}: '`, 'is not a duration'],
        fix: 'milliseconds',
      },
    );
  });
});

describe('DSL_BAD_PARAM (aggregation parameters, checked by createAggregator)', () => {
  it.each<[string, (f: Builder) => FeatureSpec<unknown>, string, string]>([
    [
      'quantile q = 1.5',
      (f) => f.quantile('amount', 1.5).over('1h'),
      'quantile: invalid q 1.5',
      'between 0 and 1',
    ],
    [
      'quantile q = -0.1',
      (f) => f.quantile('amount', -0.1).over('1h'),
      'invalid q -0.1',
      'between 0 and 1',
    ],
    [
      'quantile q = NaN',
      (f) => f.quantile('amount', Number.NaN).over('1h'),
      'invalid q NaN',
      'between 0 and 1',
    ],
    [
      'quantile relativeAccuracy = 0.5',
      (f) => f.quantile('amount', 0.5, { relativeAccuracy: 0.5 }).over('1h'),
      'invalid relativeAccuracy 0.5',
      'strictly between 0 and 0.5',
    ],
    [
      'lastN n = 0',
      (f) => f.lastN('country', 0).lifetime(),
      'lastN: invalid n 0',
      'from 1 to 1000',
    ],
    ['lastN n = 2.5', (f) => f.lastN('country', 2.5).lifetime(), 'invalid n 2.5', 'whole number'],
    [
      'lastN n = 1001',
      (f) => f.lastN('country', 1001).lifetime(),
      'invalid n 1001',
      'from 1 to 1000',
    ],
  ])('rejects %s', (_what, feature, message, fix) => {
    expectError(
      view((f) => ({ bad_param: feature(f) })),
      'DSL_BAD_PARAM',
      {
        feature: 'bad_param',
        message: [message],
        fix,
      },
    );
  });

  it('rejects an unknown operation in a hand-built spec (not reachable through the builder)', () => {
    expectError(
      view(() => ({ median_amount: aggregation('median' as AggOp, 'amount').over('1h') })),
      'DSL_BAD_PARAM',
      { feature: 'median_amount', message: ["unknown aggregation 'median'"], fix: 'quantile' },
    );
  });

  it('accepts the parameter bounds', () => {
    const ok = compileView(
      view((f) => ({
        q0: f.quantile('amount', 0).over('1h'),
        q1: f.quantile('amount', 1).over('1h'),
        last_1: f.lastN('country', 1).lifetime(),
        last_1000: f.lastN('country', 1000).lifetime(),
      })),
    );
    expect(ok.features.map((x) => x.ir.params)).toEqual([
      { q: 0 },
      { q: 1 },
      { n: 1 },
      { n: 1000 },
    ]);
  });
});

describe('check order', () => {
  it('reports the first problem in definition order (view, source, keys, event time, features)', () => {
    const bad = source('txns', {
      topic: 'bad topic',
      schema,
      eventTime: 'country',
      key: ['customer_id'],
    });
    const def = featureView('Bad', { entity: card, source: bad, features: () => ({}) });
    expect(caught(def).code).toBe('DSL_BAD_NAME');
    expect(caught({ ...def, name: 'ok' }).code).toBe('DSL_BAD_TOPIC');
  });
});
