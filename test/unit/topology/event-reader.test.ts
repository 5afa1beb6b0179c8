/**
 * EventReader: from a decoded event to (entity key, event time, input values), with derived
 * fields, the filter and composite keys; and the key codec shared with the offline store.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scalar } from '../../../src/core/aggregation/aggregator.js';
import { compileView } from '../../../src/core/topology/compile.js';
import type { CompiledView, Row } from '../../../src/core/topology/compile.js';
import { entity } from '../../../src/core/topology/entity.js';
import {
  EventReader,
  READ_BAD_EVENT_TIME,
  READ_DERIVE_FAILED,
  READ_FILTERED,
  READ_FILTER_FAILED,
  READ_MISSING_KEY,
  READ_OK,
  READ_REASONS,
  joinKey,
  splitKey,
} from '../../../src/core/topology/event-reader.js';
import { EVENT_TIME } from '../../../src/core/topology/feature-spec.js';
import { featureView } from '../../../src/core/topology/feature-view.js';
import { derived, field } from '../../../src/core/topology/schema.js';
import { source } from '../../../src/core/topology/source.js';

const schema = {
  card_id: field.string(),
  merchant_id: field.string().optional(),
  amount: field.double().optional(),
  country: field.string().optional(),
  ts: field.timestamp(),
};
const transactions = source('transactions', { schema, eventTime: 'ts', key: ['card_id'] });

/** A view keyed by `keys`, with a derived `cents`, `big` (from `cents`) and a filter. */
function compile(keys: readonly [string, ...string[]] = ['card_id']): CompiledView {
  return compileView(
    featureView('reader_test', {
      entity: entity('e', { keys }),
      source: transactions,
      derive: {
        cents: derived.long((e: { amount: number | null }) => {
          if (e.amount === null) throw new Error('no amount');
          return Math.round(e.amount * 100);
        }),
        // Derived fields see the ones before them at run time (the types do not say so).
        big: derived.boolean((e: unknown) => ((e as { cents?: number }).cents ?? 0) >= 10_000),
      },
      filter: (e) => e.country !== 'XX' && (e.country !== 'BOOM' || e.amount === null),
      features: (f) => ({
        n: f.count().over('1m'),
        cents_sum: f.sum('cents').over('1m'),
        big_last: f.last('big').lifetime(),
        gap: f.lastN(f.eventTime, 2).lifetime(),
      }),
    }),
  );
}

const INPUTS = ['cents', 'big', EVENT_TIME, 'country'];
const event = (over: Row = {}): Row => ({
  card_id: 'c1',
  merchant_id: 'm1',
  amount: 12.5,
  country: 'DE',
  ts: 1_700_000_000_000,
  ...over,
});

function readOne(
  raw: Row,
  keys?: readonly [string, ...string[]],
): { status: number; reader: EventReader; inputs: (Scalar | null)[] } {
  const reader = new EventReader(compile(keys), INPUTS);
  const inputs: (Scalar | null)[] = new Array<Scalar | null>(INPUTS.length).fill(null);
  const t = reader.eventTime(raw);
  const status = reader.read(raw, t, inputs);
  return { status, reader, inputs };
}

describe('EventReader.eventTime', () => {
  const reader = new EventReader(compile(), []);

  it('reads the event-time field, floored to whole milliseconds', () => {
    expect(reader.eventTime(event())).toBe(1_700_000_000_000);
    expect(reader.eventTime(event({ ts: 1_700_000_000_000.9 }))).toBe(1_700_000_000_000);
    expect(reader.eventTime(event({ ts: 0 }))).toBe(0);
  });

  it.each([
    ['missing', undefined, 'event time is undefined'],
    ['null', null, 'event time is null'],
    [
      'a string (codecs convert ISO-8601 before this point)',
      '2024-01-01T00:00:00Z',
      'event time is "2024-01-01T00:00:00Z"',
    ],
    ['NaN', Number.NaN, 'event time is null'],
    ['infinite', Number.POSITIVE_INFINITY, 'event time is null'],
    ['a boolean', true, 'event time is true'],
  ])('returns NaN with an error when the event time is %s', (_what, ts, error) => {
    const raw = event({ ts });
    if (ts === undefined) delete raw.ts;
    expect(reader.eventTime(raw)).toBeNaN();
    expect(reader.error).toBe(error);
  });

  it('calls an event-time function, and reports when it throws or returns garbage', () => {
    const src = source('clicks', {
      schema: { user_id: field.string(), at_s: field.double().optional() },
      eventTime: (e) => {
        if (e.at_s === null) throw new Error('no time');
        return e.at_s * 1000;
      },
      key: ['user_id'],
    });
    const view = compileView(
      featureView('clicks', {
        entity: entity('user', { keys: ['user_id'] }),
        source: src,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    const r = new EventReader(view, []);
    expect(r.eventTime({ user_id: 'u', at_s: 1.5 })).toBe(1500);
    expect(r.eventTime({ user_id: 'u', at_s: null })).toBeNaN();
    expect(r.error).toBe('no time');
    expect(r.eventTime({ user_id: 'u', at_s: 'x' })).toBeNaN();
    expect(r.error).toBe('event time is null'); // 'x' * 1000 = NaN
  });
});

describe('EventReader.read', () => {
  it('fills the inputs from source fields, derived fields and the event time', () => {
    const { status, reader, inputs } = readOne(event({ amount: 123.45 }));
    expect(status).toBe(READ_OK);
    expect(reader.key).toBe('c1');
    expect(reader.t).toBe(1_700_000_000_000);
    expect(inputs).toEqual([12345, true, 1_700_000_000_000, 'DE']);
  });

  it('reads null and absent values as null', () => {
    const raw = event({ country: null });
    const { status, inputs } = readOne(raw);
    expect(status).toBe(READ_OK);
    expect(inputs[3]).toBeNull();
    const absent = event();
    delete absent.country;
    expect(readOne(absent).inputs[3]).toBeNull();
  });

  it('evaluates derived fields in order, each seeing the ones before it', () => {
    expect(readOne(event({ amount: 99.99 })).inputs.slice(0, 2)).toEqual([9999, false]);
    expect(readOne(event({ amount: 100 })).inputs.slice(0, 2)).toEqual([10000, true]);
  });

  it('does not modify the raw event (it is shared by every view of the source)', () => {
    const raw = event();
    const copy = { ...raw };
    readOne(raw);
    expect(raw).toEqual(copy);
  });

  it('applies the filter after derivation', () => {
    const view = compileView(
      featureView('big_only', {
        entity: entity('card', { keys: ['card_id'] }),
        source: transactions,
        derive: { cents: derived.long((e: { amount: number | null }) => (e.amount ?? 0) * 100) },
        filter: (e) => e.cents >= 10_000,
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    const r = new EventReader(view, ['cents']);
    const out: (Scalar | null)[] = [null];
    expect(r.read(event({ amount: 99 }), 0, out)).toBe(READ_FILTERED);
    expect(r.read(event({ amount: 100 }), 0, out)).toBe(READ_OK);
    expect(out).toEqual([10_000]);
  });

  it('returns READ_FILTERED for events the filter rejects', () => {
    expect(readOne(event({ country: 'XX' })).status).toBe(READ_FILTERED);
  });

  it('returns READ_FILTER_FAILED (and does not throw) when the filter throws', () => {
    const view = compileView(
      featureView('fragile', {
        entity: entity('card', { keys: ['card_id'] }),
        source: transactions,
        filter: (e) => e.country!.startsWith('D'),
        features: (f) => ({ n: f.count().over('1m') }),
      }),
    );
    const r = new EventReader(view, []);
    expect(r.read(event({ country: 'DE' }), 0, [])).toBe(READ_OK);
    expect(r.read(event({ country: 'FR' }), 0, [])).toBe(READ_FILTERED);
    expect(r.read(event({ country: null }), 0, [])).toBe(READ_FILTER_FAILED);
    expect(r.error).toMatch(/^filter threw: .*startsWith/);
  });

  it('returns READ_DERIVE_FAILED with the message when a derivation throws', () => {
    const { status, reader } = readOne(event({ amount: null }));
    expect(status).toBe(READ_DERIVE_FAILED);
    expect(reader.error).toBe('no amount');
  });

  it('returns READ_DERIVE_FAILED when a derivation returns a value of another type than declared', () => {
    // TypeScript types the functions, but a topology's JavaScript (or an `as`) can return
    // anything: a string where a double is declared must not reach a sum.
    const view = compileView(
      featureView('typed_derive', {
        entity: entity('card', { keys: ['card_id'] }),
        source: transactions,
        derive: {
          half: derived.double((e: { amount: number | null }) => e.amount as unknown as number),
          cents: derived.long((e: { amount: number | null }) => (e.amount ?? 0) * 100),
          tag: derived.optional.string((e: { country: string | null }) => e.country),
        },
        features: (f) => ({ s: f.sum('half').over('1m'), c: f.sum('cents').over('1m') }),
      }),
    );
    const r = new EventReader(view, ['half', 'cents', 'tag']);
    const out: (Scalar | null)[] = [null, null, null];
    const read = (over: Row): number => r.read(event(over), 0, out);

    expect(read({ amount: 12.345, country: null })).toBe(READ_DERIVE_FAILED);
    expect(r.error).toBe(
      `derived field 'cents' returned ${12.345 * 100} (number); it is declared a long`,
    );
    expect(read({ amount: 7, country: null })).toBe(READ_OK);
    expect(out).toEqual([7, 700, null]);
    expect(read({ amount: '5' })).toBe(READ_DERIVE_FAILED);
    expect(r.error).toBe(`derived field 'half' returned "5" (string); it is declared a double`);
    expect(read({ amount: null })).toBe(READ_DERIVE_FAILED);
    expect(r.error).toBe(
      "derived field 'half' returned null; it is declared a double (not optional)",
    );
  });

  it.each([
    ['missing', undefined, "key field 'card_id' is missing"],
    ['null', null, "key field 'card_id' is null"],
    ['empty', '', `key field 'card_id' is ""`],
    ['a boolean', true, "key field 'card_id' is true"],
    ['an object', { id: 1 }, `key field 'card_id' is {"id":1}`],
  ])('returns READ_MISSING_KEY when the key is %s', (_what, key, error) => {
    const raw = event({ card_id: key });
    if (key === undefined) delete raw.card_id;
    const { status, reader } = readOne(raw);
    expect(status).toBe(READ_MISSING_KEY);
    expect(reader.error).toBe(error);
  });

  it('turns a numeric key into its decimal text', () => {
    const { status, reader } = readOne(event({ card_id: 42 }));
    expect(status).toBe(READ_OK);
    expect(reader.key).toBe('42');
  });

  it('reports a missing part of a composite key by name', () => {
    const { status, reader } = readOne(event({ merchant_id: null }), ['card_id', 'merchant_id']);
    expect(status).toBe(READ_MISSING_KEY);
    expect(reader.error).toBe("key field 'merchant_id' is null");
  });

  it('keys a single-key entity by the raw value, unescaped', () => {
    expect(readOne(event({ card_id: 'a|b\\c' })).reader.key).toBe('a|b\\c');
  });

  it('joins composite keys with |, escaping | and \\', () => {
    const keys = ['card_id', 'merchant_id'] as const;
    expect(readOne(event({ card_id: 'c1', merchant_id: 'm1' }), keys).reader.key).toBe('c1|m1');
    expect(readOne(event({ card_id: 'a|b', merchant_id: 'c' }), keys).reader.key).toBe('a\\|b|c');
    expect(readOne(event({ card_id: 'a\\', merchant_id: '|' }), keys).reader.key).toBe('a\\\\|\\|');
    expect(readOne(event({ card_id: 7, merchant_id: 'x' }), keys).reader.key).toBe('7|x');
  });

  it('names every status in READ_REASONS', () => {
    expect(READ_REASONS).toEqual({
      [READ_OK]: 'ok',
      [READ_FILTERED]: 'filtered',
      [READ_MISSING_KEY]: 'missing_key',
      [READ_BAD_EVENT_TIME]: 'bad_event_time',
      [READ_DERIVE_FAILED]: 'derive_failed',
      [READ_FILTER_FAILED]: 'filter_failed',
    });
  });
});

describe('joinKey / splitKey', () => {
  it('round-trip any parts, including separators and backslashes', () => {
    const part = fc.string({ unit: fc.constantFrom('a', 'b', '|', '\\', 'é', ' ', '0') });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        expect(splitKey(joinKey(parts), parts.length)).toEqual(parts);
      }),
      { numRuns: 500 },
    );
  });

  it('are injective: different parts give different keys', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '|', '\\'), maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(part, { minLength: 2, maxLength: 3 }),
        fc.array(part, { minLength: 2, maxLength: 3 }),
        (a, b) => {
          fc.pre(a.length === b.length && JSON.stringify(a) !== JSON.stringify(b));
          expect(joinKey(a)).not.toBe(joinKey(b));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agree with the keys EventReader writes', () => {
    const keys = ['card_id', 'merchant_id'] as const;
    const reader = new EventReader(compile(keys), []);
    const part = fc.string({ unit: fc.constantFrom('x', '|', '\\', '-'), minLength: 1 });
    fc.assert(
      fc.property(part, part, (a, b) => {
        expect(reader.read(event({ card_id: a, merchant_id: b }), 0, [])).toBe(READ_OK);
        expect(reader.key).toBe(joinKey([a, b]));
        expect(splitKey(reader.key, 2)).toEqual([a, b]);
      }),
      { numRuns: 300 },
    );
  });

  it('leave single keys as they are', () => {
    expect(joinKey(['a|b\\'])).toBe('a|b\\');
    expect(splitKey('a|b\\', 1)).toEqual(['a|b\\']);
  });

  it('examples', () => {
    expect(joinKey(['a', 'b'])).toBe('a|b');
    expect(joinKey(['a|b', 'c'])).toBe('a\\|b|c');
    expect(joinKey(['a\\', 'b'])).toBe('a\\\\|b');
    expect(splitKey('a\\|b|c', 2)).toEqual(['a|b', 'c']);
  });
});
