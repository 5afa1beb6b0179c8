import { describe, expect, it } from 'vitest';
import { MemoryOnlineStore } from '../../../src/adapters/memory/memory-online-store.js';
import { compileView } from '../../../src/core/topology/compile.js';
import type { FeatureViewDef } from '../../../src/core/topology/feature-view.js';
import { entity, featureView, field, source } from '../../../src/index.js';
import { Catalog } from '../../../src/serving/catalog.js';

const acct = entity('acct', { keys: ['acct'] });
const src = source('catalog_src', {
  topic: 'catalog_src',
  schema: { acct: field.string(), ts: field.timestamp() },
  eventTime: 'ts',
  key: ['acct'],
});
const version = (window: '1m' | '5m'): FeatureViewDef =>
  featureView('catalog_view', {
    entity: acct,
    source: src,
    features: (f) => ({ n: f.count().over(window) }),
  });
const v1 = compileView(version('1m'));
const v2 = compileView(version('5m'));

/** Counts reads of the current pointer; can be made to fail. */
class CountingStore extends MemoryOnlineStore {
  reads = 0;
  failing = false;
  override async current(kind: 'view' | 'service', name: string): Promise<string | null> {
    this.reads++;
    if (this.failing) throw new Error('store unreachable');
    return super.current(kind, name);
  }
}

const tick = (): Promise<void> => new Promise((res) => setImmediate(res));

/**
 * A catalog over a counting store whose current version is v1, already read once, with a clock
 * the test moves; `current()` is the version a request gets, `rollForward()` makes v2 current.
 */
async function servingV1(): Promise<{
  store: CountingStore;
  advance(ms: number): void;
  current(): Promise<string>;
  rollForward(): Promise<void>;
}> {
  const store = new CountingStore();
  await store.register('view', v1.name, v1.version, v1.ir, true);
  let now = 1_000_000;
  const catalog = new Catalog(store, [v1.ir], [], () => now);
  const current = async (): Promise<string> => (await catalog.view(v1.name)).version;
  expect(await current()).toBe(v1.version);
  return {
    store,
    advance: (ms) => {
      now += ms;
    },
    current,
    rollForward: () => store.register('view', v2.name, v2.version, v2.ir, true),
  };
}

describe('Catalog: the current version', () => {
  it('is read once, then served from memory and refreshed in the background after a second', async () => {
    const c = await servingV1();
    expect(c.store.reads).toBe(1);

    // A rollforward to v2: not seen within the second, and no request reads the store meanwhile.
    await c.rollForward();
    c.advance(999);
    expect(await c.current()).toBe(v1.version);
    expect(c.store.reads).toBe(1);

    // Once stale, the request is still answered from memory and one refresh starts…
    c.advance(1);
    expect(await c.current()).toBe(v1.version);
    expect(await c.current()).toBe(v1.version);
    expect(c.store.reads).toBe(2);
    // …and the next request sees the switch.
    await tick();
    expect(await c.current()).toBe(v2.version);
    expect(c.store.reads).toBe(2);
  });

  it('keeps serving the known version while the store cannot be read, retrying once a second', async () => {
    const c = await servingV1();
    c.store.failing = true;
    c.advance(1_500);
    expect(await c.current()).toBe(v1.version);
    await tick();
    // The failed re-read counts as a read: no retry within the next second…
    for (let i = 0; i < 100; i++) expect(await c.current()).toBe(v1.version);
    expect(c.store.reads).toBe(2);
    // …then one more.
    c.advance(1_000);
    await c.current();
    await tick();
    expect(c.store.reads).toBe(3);
    c.store.failing = false;
    await c.rollForward();
    c.advance(1_000);
    await c.current();
    await tick();
    expect(await c.current()).toBe(v2.version);
  });

  it('after a quiet spell, the first request waits for the re-read and sees a switch', async () => {
    const c = await servingV1();
    await c.rollForward();
    c.advance(3_600_000);
    expect(await c.current()).toBe(v2.version);
  });

  it('gives up on a re-read that never answers and starts another', async () => {
    const c = await servingV1();
    let hang = true;
    const original = c.store.current.bind(c.store);
    c.store.current = (kind, name) =>
      hang ? new Promise<string | null>(() => undefined) : original(kind, name);
    c.advance(1_500);
    expect(await c.current()).toBe(v1.version); // starts the hung read
    c.advance(2_000);
    expect(await c.current()).toBe(v1.version); // still within 5 s of it
    hang = false;
    await c.rollForward();
    c.advance(3_500); // the hung read is 5.5 s old: replaced, and the pointer 7 s old: awaited
    expect(await c.current()).toBe(v2.version);
  });
});

describe('Catalog.select', () => {
  it('gives the same array for the same list (the reader caches per array), each name once', async () => {
    const store = new MemoryOnlineStore();
    await store.register('view', v1.name, v1.version, v1.ir, true);
    const catalog = new Catalog(store, [v1.ir], []);
    const view = await catalog.view(v1.name);
    const a = catalog.select(view, ['n']);
    expect(catalog.select(view, ['n'])).toBe(a);
    expect(catalog.select(view, ['n', 'n']).map((f) => f.name)).toEqual(['n']);
    expect(catalog.select(view, undefined)).toBe(view.features);
    expect(() => catalog.select(view, ['nope'])).toThrow(/no feature 'nope'/);
  });

  it('keeps no list longer than the view has features, and no two lists under one key', async () => {
    const store = new MemoryOnlineStore();
    const two = compileView(
      featureView('catalog_two', {
        entity: acct,
        source: src,
        features: (f) => ({ a: f.count().over('1m'), b: f.count().over('5m') }),
      }),
    );
    const catalog = new Catalog(store, [two.ir], []);
    const view = await catalog.view(two.name, two.version);
    // Repeats beyond the view's size are answered but not remembered (no unbounded keys).
    const long = Array.from({ length: 1_000 }, () => 'a');
    expect(catalog.select(view, long).map((f) => f.name)).toEqual(['a']);
    expect(catalog.select(view, long)).not.toBe(catalog.select(view, long));
    // A name containing the old separator is not another list's key.
    expect(catalog.select(view, ['a', 'b']).map((f) => f.name)).toEqual(['a', 'b']);
    expect(() => catalog.select(view, ['a\u0000b'])).toThrow("no feature 'a\u0000b'");
  });
});
