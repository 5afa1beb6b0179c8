import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryOnlineStore } from '../../../src/adapters/memory/memory-online-store.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { StoredVector } from '../../../src/core/values/stored-vector.js';
import { entity, featureView, field, source } from '../../../src/index.js';
import { Catalog } from '../../../src/serving/catalog.js';
import { FeatureReader } from '../../../src/serving/feature-reader.js';

const view = compileView(
  featureView('reader_view', {
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
  }),
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

describe('FeatureReader.oneJson and batchJson (responses written without objects)', () => {
  it('equals JSON.stringify of the response object for any stored text, selection and missing field', async () => {
    const online = new StubStore();
    await online.register('view', view.name, view.version, view.ir, true);
    const reader = new FeatureReader(online, new Catalog(online, [view.ir], []), () => NOW);
    const text = fc.oneof(
      fc.constantFrom('0', '1.5', '-0', '1e21', '1.50', ' 7', 'abc', '', 'true', 'false'),
      fc.constantFrom('NaN', 'Infinity', '1e400', '[1,2]', '[]', 'x"y\\z', 'é日本\u{1F600}'),
      fc.double().map(String),
      fc.string(),
    );
    const names = view.ir.features.map((f) => f.name);
    const stored = fc.record({
      found: fc.boolean(),
      fields: fc.subarray(names),
      values: fc.array(text, { minLength: names.length, maxLength: names.length }),
      asOf: fc.integer({ min: 0, max: NOW }),
      selection: fc.option(fc.subarray(names, { minLength: 1 }), { nil: undefined }),
      entity: fc.string({ minLength: 1, maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(stored, async (s) => {
        const pairs: string[] = [];
        s.fields.forEach((name) => pairs.push(name, s.values[names.indexOf(name)] ?? ''));
        pairs.push('_asof', String(s.asOf), '_updated', String(s.asOf + 5));
        online.vector = s.found ? new StoredVector(pairs) : null;
        // Lists are stored as JSON; text that is not JSON fails either way.
        let expected: string;
        try {
          const [result] = await reader.batch([
            { view: view.name, entities: [s.entity], features: s.selection },
          ]);
          const e = result?.entities[0];
          expected = JSON.stringify({ view: result?.view, version: result?.version, ...e });
        } catch {
          await expect(reader.oneJson(view.name, s.entity, s.selection)).rejects.toThrow();
          return;
        }
        expect(await reader.oneJson(view.name, s.entity, s.selection)).toBe(expected);
        const requests = [
          { view: view.name, entities: [s.entity, 'other'], features: s.selection },
          { view: view.name, entities: ['third'] },
        ];
        const all = await reader.batch(requests).catch(() => undefined);
        if (all === undefined) await expect(reader.batchJson(requests)).rejects.toThrow();
        else expect(await reader.batchJson(requests)).toBe(JSON.stringify({ results: all }));
      }),
      { numRuns: 500 },
    );
  });
});
