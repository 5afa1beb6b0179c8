/**
 * The view version: a 12-hex-digit hash of the semantic parts of the compiled definition
 * (semantics.md "Versions"). It must change with anything that changes what values mean and stay
 * put for descriptive metadata, so that models pinned to a version keep their meaning.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileView, semanticPart, versionOf } from '../../../src/core/topology/compile.js';
import { entity } from '../../../src/core/topology/entity.js';
import type { FeatureBuilder, FeatureSpec } from '../../../src/core/topology/feature-spec.js';
import { featureView } from '../../../src/core/topology/feature-view.js';
import type { FeatureViewDef } from '../../../src/core/topology/feature-view.js';
import { normalizeFunctionSource } from '../../../src/core/topology/function-source.js';
import { derived, field } from '../../../src/core/topology/schema.js';
import type { EventOf, FieldSpec } from '../../../src/core/topology/schema.js';
import { source } from '../../../src/core/topology/source.js';
import type { SourceFormat } from '../../../src/core/topology/source.js';
import type { Duration } from '../../../src/core/time/duration.js';
import cardFraud from '../../../topologies/card-fraud.js';
import customerFeatures from '../../../topologies/customer.js';

function schemaOf(amount: FieldSpec<'double' | 'long', false>) {
  return {
    card_id: field.string().describe('Card token'),
    amount,
    fee: field.double(),
    country: field.string(),
    ts: field.timestamp().describe('When it happened'),
    booked_at: field.timestamp(),
  };
}
type Schema = ReturnType<typeof schemaOf>;
type Event = EventOf<Schema> & { readonly cents: number };
type Features = (f: FeatureBuilder<Event>) => Readonly<Record<string, FeatureSpec<unknown>>>;

/** Every knob of a small view, each defaulted; a test changes exactly one. */
interface Knobs {
  name: string;
  amount: FieldSpec<'double' | 'long', false>;
  topic: string;
  format: SourceFormat;
  eventTime: 'ts' | 'booked_at' | ((e: EventOf<Schema>) => number);
  filter: ((e: Event) => boolean) | undefined;
  cents: (e: EventOf<Schema>) => number;
  features: Features;
  allowedLateness: Duration | undefined;
  idleTimeout: Duration | undefined;
  onlineTtl: Duration | undefined;
  owner: string | undefined;
  description: string | undefined;
  tags: string[] | undefined;
  entityDescription: string | undefined;
  sourceDescription: string | undefined;
}

const BASE: Knobs = {
  name: 'card_spend',
  amount: field.double(),
  topic: 'transactions',
  format: 'json',
  eventTime: 'ts',
  filter: (e) => e.amount > 0,
  cents: (e) => Math.round(e.amount * 100),
  features: (f) => ({
    txn_count_5m: f.count().over('5m'),
    amount_sum_1h: f.sum('amount').over('1h'),
    amount_p95_1d: f.quantile('amount', 0.95).over('1d'),
    cents_total: f.sum('cents').lifetime(),
    last_countries: f.lastN('country', 3).lifetime(),
  }),
  allowedLateness: undefined,
  idleTimeout: undefined,
  onlineTtl: undefined,
  owner: 'fraud-ml',
  description: 'Spend of a card',
  tags: ['fraud'],
  entityDescription: 'A card',
  sourceDescription: 'Card transactions',
};

function build(changes: Partial<Knobs> = {}): FeatureViewDef {
  const k: Knobs = { ...BASE, ...changes };
  const src = source('transactions', {
    topic: k.topic,
    format: k.format,
    schema: schemaOf(k.amount),
    eventTime: k.eventTime,
    key: ['card_id'],
    ...(k.sourceDescription === undefined ? {} : { description: k.sourceDescription }),
  });
  return featureView(k.name, {
    entity: entity('card', {
      keys: ['card_id'],
      ...(k.entityDescription === undefined ? {} : { description: k.entityDescription }),
    }),
    source: src,
    derive: { cents: derived.long(k.cents) },
    ...(k.filter === undefined ? {} : { filter: k.filter }),
    features: k.features,
    ...(k.allowedLateness === undefined ? {} : { allowedLateness: k.allowedLateness }),
    ...(k.idleTimeout === undefined ? {} : { idleTimeout: k.idleTimeout }),
    ...(k.onlineTtl === undefined ? {} : { onlineTtl: k.onlineTtl }),
    ...(k.owner === undefined ? {} : { owner: k.owner }),
    ...(k.description === undefined ? {} : { description: k.description }),
    ...(k.tags === undefined ? {} : { tags: k.tags }),
  });
}

const versionWith = (changes: Partial<Knobs> = {}): string => compileView(build(changes)).version;
const base = versionWith();

/** BASE's features with one entry replaced. */
function withFeature(
  name: string,
  spec: (f: FeatureBuilder<Event>) => FeatureSpec<unknown>,
): Features {
  return (f) => ({ ...BASE.features(f), [name]: spec(f) });
}

describe('the version', () => {
  it('is 12 hex digits: the head of SHA-256 over the semantic part', () => {
    expect(base).toMatch(/^[0-9a-f]{12}$/);
    const { ir } = compileView(build());
    const { version, ...rest } = ir;
    expect(versionOf(rest)).toBe(version);
  });

  it('is stable for the same definition, built and compiled again', () => {
    expect(versionWith()).toBe(base);
    expect(compileView(build()).version).toBe(compileView(build()).version);
    expect(versionWith({ features: (f) => BASE.features(f) })).toBe(base);
  });

  it('depends on what a duration means, not how it is written', () => {
    const a = versionWith({ features: withFeature('txn_count_5m', (f) => f.count().over('5m')) });
    const b = versionWith({ features: withFeature('txn_count_5m', (f) => f.count().over('300s')) });
    const c = versionWith({
      features: withFeature('txn_count_5m', (f) => f.count().over(300_000)),
    });
    const d = versionWith({
      features: withFeature('txn_count_5m', (f) => f.count().over('5m', { tile: '5s' })),
    });
    expect(new Set([a, b, c, d, base])).toEqual(new Set([base]));
    // An explicit default lateness equals the default.
    expect(versionWith({ allowedLateness: '5s' })).toBe(base);
    expect(versionWith({ allowedLateness: 5_000 })).toBe(base);
  });

  describe('changes when the meaning changes:', () => {
    it.each<[string, Partial<Knobs>]>([
      ['the window size', { features: withFeature('txn_count_5m', (f) => f.count().over('10m')) }],
      [
        'the tile',
        { features: withFeature('txn_count_5m', (f) => f.count().over('5m', { tile: '1m' })) },
      ],
      [
        'the window kind (sliding → tumbling)',
        { features: withFeature('txn_count_5m', (f) => f.count().every('5m')) },
      ],
      [
        'the window kind (→ lifetime)',
        { features: withFeature('txn_count_5m', (f) => f.count().lifetime()) },
      ],
      [
        'the aggregation',
        { features: withFeature('amount_sum_1h', (f) => f.mean('amount').over('1h')) },
      ],
      [
        'the aggregated field',
        { features: withFeature('amount_sum_1h', (f) => f.sum('fee').over('1h')) },
      ],
      [
        'a param (quantile q)',
        { features: withFeature('amount_p95_1d', (f) => f.quantile('amount', 0.99).over('1d')) },
      ],
      [
        'a param (relative accuracy)',
        {
          features: withFeature('amount_p95_1d', (f) =>
            f.quantile('amount', 0.95, { relativeAccuracy: 0.02 }).over('1d'),
          ),
        },
      ],
      [
        'a param (lastN n)',
        { features: withFeature('last_countries', (f) => f.lastN('country', 4).lifetime()) },
      ],
      [
        'a map function',
        {
          features: withFeature('txn_count_5m', (f) =>
            f
              .count()
              .over('5m')
              .map((n) => n / 5),
          ),
        },
      ],
      [
        'a feature name',
        { features: (f) => ({ ...BASE.features(f), extra: f.count().over('1m') }) },
      ],
      [
        'the set of features',
        {
          features: (f) => {
            const { txn_count_5m: _dropped, ...rest } = BASE.features(f);
            return rest;
          },
        },
      ],
      ['the filter body', { filter: (e) => e.amount >= 0 }],
      ['removing the filter', { filter: undefined }],
      ['a derive body', { cents: (e) => Math.floor(e.amount * 100) }],
      ['the event-time field', { eventTime: 'booked_at' }],
      ['an event-time function', { eventTime: (e) => e.booked_at }],
      ['the allowed lateness', { allowedLateness: '10s' }],
      ['a field type', { amount: field.long() }],
      [
        'a field becoming optional',
        { amount: field.double().optional() as unknown as FieldSpec<'double', false> },
      ],
      ['the topic', { topic: 'transactions_v2' }],
      ['the format', { format: 'avro' }],
      ['the view name', { name: 'card_spend_v2' }],
    ])('%s', (_what, changes) => {
      expect(versionWith(changes)).not.toBe(base);
    });

    it('the event-time function body', () => {
      const a = versionWith({ eventTime: (e) => e.ts });
      const b = versionWith({ eventTime: (e) => e.ts - 1 });
      expect(a).not.toBe(b);
    });

    it('the entity keys', () => {
      const one = compileView(build()).version;
      const def = build();
      const two = compileView({
        ...def,
        entity: entity('card', { keys: ['card_id', 'country'] }),
      }).version;
      expect(two).not.toBe(one);
    });
  });

  describe('does not change with descriptive metadata:', () => {
    it.each<[string, Partial<Knobs>]>([
      ['description', { description: 'Something else entirely' }],
      ['no description', { description: undefined }],
      ['owner', { owner: 'risk-team' }],
      ['tags', { tags: ['fraud', 'card', 'tier-1'] }],
      ['onlineTtl', { onlineTtl: '30d' }],
      ['idleTimeout', { idleTimeout: '5m' }],
      ['the entity description', { entityDescription: 'Another text' }],
      ['the source description', { sourceDescription: 'Another text' }],
      ['a schema field doc', { amount: field.double().describe('Amount in EUR') }],
      [
        "a feature's describe() doc",
        {
          features: withFeature('txn_count_5m', (f) =>
            f.count().over('5m').describe('Transactions in the last 5 minutes'),
          ),
        },
      ],
      [
        'formatting and comments in a function body',
        {
          filter: (e) =>
            // only positive amounts
            e.amount > /* zero */ 0,
        },
      ],
    ])('%s', (_what, changes) => {
      expect(versionWith(changes)).toBe(base);
    });
  });

  it('leaves descriptive parts out of the semantic part', () => {
    const { ir } = compileView(build());
    const { version: _v, ...rest } = ir;
    const part = JSON.stringify(semanticPart(rest));
    for (const word of ['fraud-ml', 'Spend of a card', 'Card token', 'When it happened']) {
      expect(part).not.toContain(word);
    }
    expect(part).not.toContain('onlineTtl');
    expect(part).not.toContain('idleTimeout');
    expect(part).toContain('allowedLatenessMs');
  });
});

describe('normalizeFunctionSource', () => {
  const text = (src: string): string => normalizeFunctionSource({ toString: () => src });

  it('makes spellings of the same arrow function equal', () => {
    const expected = 'x=>x+1';
    for (const src of [
      '(x) => x + 1',
      'x=>x+1',
      'x => x + 1',
      '(x)=>x+1',
      '(x) =>\n  x + 1',
      '(x) => x + /* one */ 1',
      '(x) =>\n  // add one\n  x +\n    1',
      '(x) => x + 1;',
    ]) {
      expect(text(src), src).toBe(expected);
    }
    expect(text('x => x + 2')).not.toBe(expected);
    expect(text('y => y + 1')).not.toBe(expected);
  });

  it('does the same for real functions, whatever the transpiler left', () => {
    const a = (x: number): number => x + 1;
    // prettier-ignore
    const b = (x: number): number => x+1;
    const c = (x: number): number =>
      // add one
      x + /* always */ 1;
    const d = (x: number): number => x + 2;
    expect(normalizeFunctionSource(a)).toBe('x=>x+1');
    expect(normalizeFunctionSource(b)).toBe('x=>x+1');
    expect(normalizeFunctionSource(c)).toBe('x=>x+1');
    expect(normalizeFunctionSource(d)).toBe('x=>x+2');
  });

  it('keeps one space between words and drops semicolons before }', () => {
    expect(text('(x) => { return typeof x === "number"; }')).toBe(
      'x=>{return typeof x==="number"}',
    );
    expect(text('function (e) {\n  const v = e.amount;\n  return v > 0;\n}')).toBe(
      'function(e){const v=e.amount;return v>0}',
    );
  });

  it('keeps string literals exactly, including their whitespace and comment-like text', () => {
    expect(text("(e) => e.country === 'a  b'")).toBe("e=>e.country==='a  b'");
    expect(text("(e) => e.country === 'a  b'")).not.toBe(text("(e) => e.country === 'a b'"));
    expect(text('(e) => e.url === "http://x" /* c */')).toBe('e=>e.url==="http://x"');
    expect(text("(e) => e.s === 'it\\'s  //'")).toBe("e=>e.s==='it\\'s  //'");
    expect(text('(e) => `${e.a}  ${e.b}`')).toBe('e=>`${e.a}  ${e.b}`');
  });

  it('keeps parentheses around several or typed-away parameters', () => {
    expect(text('(a, b) => a + b')).toBe('(a,b)=>a+b');
    expect(text('() => 1')).toBe('()=>1');
    expect(text('({ a }) => a')).toBe('({a})=>a');
    expect(text('(ts) => (ts.length < 2 ? null : ts[0])')).toBe('ts=>(ts.length<2?null:ts[0])');
  });
});

describe('versions across loaders', () => {
  it('are the same under tsx (the CLI and workers) as under vitest', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const url = (p: string): string => pathToFileURL(`${root}${p}`).href;
    const script = `
      const { compileView } = await import(${JSON.stringify(url('src/index.ts'))});
      const out = [];
      for (const f of ['topologies/card-fraud.ts', 'topologies/customer.ts']) {
        const m = await import(${JSON.stringify(url(''))} + f);
        out.push(compileView(m.default).version);
      }
      console.log(JSON.stringify(out));`;
    const stdout = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: root, encoding: 'utf8' },
    );
    expect(JSON.parse(stdout.trim())).toEqual([
      compileView(cardFraud).version,
      compileView(customerFeatures).version,
    ]);
  }, 30_000);
});
