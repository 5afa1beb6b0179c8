import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryOnlineStore } from '../../../src/adapters/memory/memory-online-store.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { decodeFieldValue } from '../../../src/core/values/field-value.js';
import { StoredVector } from '../../../src/core/values/stored-vector.js';
import { compileService } from '../../../src/core/topology/feature-service.js';
import { entity, featureService, featureView, field, source } from '../../../src/index.js';
import { Catalog } from '../../../src/serving/catalog.js';
import { FeatureReader } from '../../../src/serving/feature-reader.js';

const viewDef = featureView('reader_view', {
  entity: entity('acct', { keys: ['acct'] }),
  source: source('reader_src', {
    topic: 'reader_src',
    schema: {
      acct: field.string(),
      amount: field.double(),
      note: field.string(),
      flag: field.boolean(),
      ts: field.timestamp(),
    },
    eventTime: 'ts',
    key: ['acct'],
  }),
  features: (f) => ({
    n: f.count().over('1m'),
    total: f.sum('amount').lifetime(),
    note: f.last('note').lifetime(),
    flag: f.last('flag').lifetime(),
    recent: f.lastN('amount', 2).lifetime(),
  }),
});
const view = compileView(viewDef);
/** A service reading some features twice under other names, in an order of its own. */
const service = compileService(
  featureService('reader_svc', {
    features: [
      { view: viewDef, feature: 'recent' },
      { view: viewDef, feature: 'total' },
      { view: viewDef, feature: 'flag' },
      { view: viewDef, feature: 'total', as: 'total_again' },
      { view: viewDef, feature: 'note' },
      { view: viewDef, feature: 'n' },
    ],
  }),
  new Map([[view.name, view]]),
);

/** Serves whatever pairs the test stores, stored text of any shape included. */
class StubStore extends MemoryOnlineStore {
  vector: StoredVector | null = null;
  override readVectors(
    _view: string,
    _version: string,
    keys: readonly string[],
  ): Promise<(StoredVector | null)[]> {
    return Promise.resolve(keys.map(() => this.vector));
  }
}

const NOW = 1_700_000_100_000;

/**
 * The oracle: the response object built value by value with `decodeFieldValue` (the Redis
 * contract's decoding), as the API built it before it wrote text; the readers must give JSON of
 * the same values (`parsed`). A name asked twice appears once.
 */
function entityObject(
  entity: string,
  vector: StoredVector | null,
  selection: readonly string[] | undefined,
): Record<string, unknown> {
  const byName = new Map(view.ir.features.map((f) => [f.name, f]));
  const names = selection === undefined ? [...byName.keys()] : [...new Set(selection)];
  const features: Record<string, unknown> = {};
  for (const n of names) {
    const f = byName.get(n);
    if (f !== undefined) features[n] = decodeFieldValue(f.valueType, vector?.get(n));
  }
  if (vector === null)
    return { entity, found: false, asOf: null, updatedAt: null, stalenessMs: null, features };
  const asOf = Number(vector.get('_asof'));
  return {
    entity,
    found: true,
    asOf,
    updatedAt: Number(vector.get('_updated')),
    stalenessMs: NOW - asOf,
    features,
  };
}

/**
 * Response text as the values it carries: number texts may differ from `JSON.stringify`'s when
 * they are the same number (a stored "1.50" is served as written); -0 reads as 0.
 */
function parsed(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (Object.is(v, -0) ? 0 : v));
}

/** The oracle's JSON, or undefined when a stored list is not JSON (the readers must fail too). */
function oracle(build: () => unknown): string | undefined {
  try {
    return JSON.stringify(build());
  } catch {
    return undefined;
  }
}

describe('FeatureReader.oneJson, batchJson and serviceJson (responses written without objects)', () => {
  it('carry the values of the response object for any stored text, selection and missing field', async () => {
    const online = new StubStore();
    await online.register('view', view.name, view.version, view.ir, true);
    const reader = new FeatureReader(online, new Catalog(online, [view.ir], [service]), () => NOW);
    const text = fc.oneof(
      fc.constantFrom('0', '1.5', '-0', '1e21', '1.50', ' 7', 'abc', '', 'true', 'false'),
      fc.constantFrom('NaN', 'Infinity', '1e400', '[1,2]', '[]', 'x"y\\z', 'é日本\u{1F600}'),
      // Edges of the plain-decimal shortcut (fieldValueJson): not JSON as they stand, or too long.
      fc.constantFrom(
        '00',
        '01',
        '1.',
        '.5',
        '-',
        '+1',
        '1.2.3',
        '-0.0',
        '12345678901234567890123',
      ),
      fc.double().map(String),
      fc.string(),
    );
    const names = view.ir.features.map((f) => f.name);
    const stored = fc.record({
      found: fc.boolean(),
      fields: fc.subarray(names),
      values: fc.array(text, { minLength: names.length, maxLength: names.length }),
      asOf: fc.integer({ min: 0, max: NOW }),
      // Names may repeat (`?features=n,n`).
      selection: fc.option(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 7 }), {
        nil: undefined,
      }),
      entity: fc.string({ minLength: 1, maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(stored, async (s) => {
        const pairs: string[] = [];
        s.fields.forEach((name) => pairs.push(name, s.values[names.indexOf(name)] ?? ''));
        pairs.push('_asof', String(s.asOf), '_updated', String(s.asOf + 5));
        const vector = s.found ? new StoredVector(pairs) : null;
        online.vector = vector;
        const one = oracle(() => ({
          view: view.name,
          version: view.version,
          ...entityObject(s.entity, vector, s.selection),
        }));
        if (one === undefined)
          await expect(reader.oneJson(view.name, s.entity, s.selection)).rejects.toThrow();
        else
          expect(parsed(await reader.oneJson(view.name, s.entity, s.selection))).toEqual(
            parsed(one),
          );
        const requests = [
          { view: view.name, entities: [s.entity, 'other'], features: s.selection },
          { view: view.name, entities: ['third'] },
        ];
        const all = oracle(() => ({
          results: requests.map((r) => ({
            view: view.name,
            version: view.version,
            entities: r.entities.map((e) => entityObject(e, vector, r.features)),
          })),
        }));
        if (all === undefined) await expect(reader.batchJson(requests)).rejects.toThrow();
        else expect(parsed(await reader.batchJson(requests))).toEqual(parsed(all));
        // The feature service: one vector per entity row, in the service's ref order.
        const rows = [{ acct: s.entity }, { acct: 'other' }];
        const svc = oracle(() => ({
          service: service.name,
          version: service.version,
          features: service.refs.map((r) => r.name),
          vectors: rows.map((row) => {
            const e = entityObject(row.acct, vector, undefined).features as Record<string, unknown>;
            return service.refs.map((r) => e[r.feature]);
          }),
        }));
        if (svc === undefined) await expect(reader.serviceJson(service, rows)).rejects.toThrow();
        else expect(parsed(await reader.serviceJson(service, rows))).toEqual(parsed(svc));
      }),
      { numRuns: 500 },
    );
  });
});
