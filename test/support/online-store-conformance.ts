/**
 * The OnlineStore contract, run against every adapter: in-memory (unit), Redis and Redis Cluster
 * (integration). A store that passes behaves the same for the engine and for serving.
 */
import { expect, it } from 'vitest';
import type { EntityWrite, OnlineStore, ViewKeyspace } from '../../src/ports/online-store.js';

let n = 0;
function keyspace(ttlMs = 60_000): ViewKeyspace {
  n++;
  return {
    view: `conf_view_${Date.now().toString(36)}_${n}`,
    version: 'v0000000001',
    features: ['count', 'mean', 'country', 'last3'],
    ttlMs,
  };
}

function write(
  key: string,
  fence: number,
  asOf: number,
  state: number[] | null,
  partition = 0,
  isNew = true,
): EntityWrite {
  return {
    key,
    asOf,
    values: [fence, fence === 0 ? null : fence / 2, 'US', ['a', 'b']],
    state: state === null ? null : new Uint8Array(state),
    isNew,
    fence,
    partition,
  };
}

export function onlineStoreConformance(
  name: string,
  open: () => Promise<OnlineStore>,
  options: { ttlWaitMs?: number } = {},
): void {
  it(`${name}: a write is readable as a vector; null values are absent fields`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      await store.writeEntities(
        ks,
        [write('e1', 0, 1_000, [1, 2, 3]), write('e2', 4, 2_000, [4])],
        5_555,
      );
      const [e1, e2, missing] = await store.readVectors(ks.view, ks.version, ['e1', 'e2', 'nope']);
      expect(e1?.toRecord()).toEqual({
        count: '0',
        country: 'US',
        last3: '["a","b"]',
        _asof: '1000',
        _updated: '5555',
      });
      expect(e2?.toRecord()).toEqual({
        count: '4',
        mean: '2',
        country: 'US',
        last3: '["a","b"]',
        _asof: '2000',
        _updated: '5555',
      });
      expect(missing).toBeNull();
      const many = await store.readMany([
        { view: ks.view, version: ks.version, keys: ['e2', 'nope', 'e1'] },
        { view: ks.view, version: 'other', keys: ['e1'] },
      ]);
      expect(many.map((r) => r.map((v) => v?.get('_asof') ?? null))).toEqual([
        ['2000', null, '1000'],
        [null],
      ]);
      expect(
        (await store.loadStates(ks, ['e1', 'e2', 'nope'])).map((s) =>
          s === null ? null : [...s.state, s.fence],
        ),
      ).toEqual([[1, 2, 3, 0], [4, 4], null]);
    } finally {
      await store.close();
    }
  });

  it(`${name}: one flush of many entities keeps every value, deletion and state byte exact`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      const long = 'x'.repeat(70_000);
      const allBytes = Array.from({ length: 256 }, (_, i) => i);
      const bigState = Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256);
      const values = (i: number): EntityWrite['values'] => [
        i,
        i % 3 === 0 ? null : i / 3,
        i % 5 === 0 ? 'Zürich ✓ — 東京' : i % 7 === 0 ? long : `country-${'y'.repeat(i % 40)}`,
        i % 2 === 0 ? [] : ['ü', String(i)],
      ];
      const writes = (round: number): EntityWrite[] =>
        Array.from({ length: 150 }, (_, i) => ({
          key: `m${i}`,
          asOf: 1_000 * round + i,
          values: round === 1 ? values(i) : values(i + 1),
          state: new Uint8Array(i === 0 ? bigState : [...allBytes, i, round]),
          isNew: round === 1,
          fence: 10 * round + i,
          partition: i % 3,
        }));
      await store.writeEntities(ks, writes(1), 7);
      // The second flush changes every entity: present fields become null and back.
      await store.writeEntities(ks, writes(2), 8);
      const keys = Array.from({ length: 150 }, (_, i) => `m${i}`);
      const read = await store.readVectors(ks.view, ks.version, keys);
      const states = await store.loadStates(ks, keys);
      keys.forEach((_, i) => {
        const [count, mean, country, last3] = values(i + 1);
        const expected: Record<string, string> = {
          count: String(count),
          country: String(country),
          last3: JSON.stringify(last3),
          _asof: String(2_000 + i),
          _updated: '8',
        };
        if (mean !== null) expected.mean = String(mean);
        expect(read[i]?.toRecord()).toEqual(expected);
        expect([...(states[i]?.state ?? [])]).toEqual(i === 0 ? bigState : [...allBytes, i, 2]);
        expect(states[i]?.fence).toBe(20 + i);
      });
    } finally {
      await store.close();
    }
  });

  it(`${name}: fences — stale writes never move an entity backwards; state-less writes keep the state`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      await store.writeEntities(ks, [write('e', 10, 5_000, [10])], 1);
      await store.writeEntities(ks, [write('e', 9, 9_000, [9], 0, false)], 2);
      expect((await store.readVectors(ks.view, ks.version, ['e']))[0]?.get('_asof')).toBe('5000');
      await store.writeEntities(ks, [write('e', 10, 4_000, [99], 0, false)], 3);
      expect((await store.readVectors(ks.view, ks.version, ['e']))[0]?.get('_asof')).toBe('5000');
      await store.writeEntities(ks, [write('e', 10, 6_000, null, 0, false)], 4);
      expect((await store.readVectors(ks.view, ks.version, ['e']))[0]?.get('_asof')).toBe('6000');
      expect((await store.loadStates(ks, ['e']))[0]?.state).toEqual(new Uint8Array([10]));
      await store.writeEntities(ks, [write('e', 11, 7_000, [11], 0, false)], 5);
      expect((await store.loadStates(ks, ['e']))[0]).toEqual({
        state: new Uint8Array([11]),
        fence: 11,
      });
    } finally {
      await store.close();
    }
  });

  it(`${name}: loadPartition returns exactly the entities of one partition`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      const writes = Array.from({ length: 250 }, (_, i) =>
        write(`k${i}`, i, 1_000 + i, [i % 256], i % 3),
      );
      await store.writeEntities(ks, writes, 1);
      for (const p of [0, 1, 2]) {
        const got: string[] = [];
        for await (const slice of store.loadPartition(ks, p))
          for (const s of slice) got.push(s.key);
        expect(got.sort()).toEqual(
          writes
            .filter((w) => w.partition === p)
            .map((w) => w.key)
            .sort(),
        );
      }
    } finally {
      await store.close();
    }
  });

  it(`${name}: hostile entity ids are plain keys`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      const ids = ['*', 'a*b?c[d]', '\r\nFLUSHALL\r\n', '{tag}', '}{', 'x'.repeat(10_000), 'ü|\\|'];
      await store.writeEntities(
        ks,
        ids.map((id, i) => write(id, i + 1, 100 + i, [i])),
        1,
      );
      const got = await store.readVectors(ks.view, ks.version, ids);
      expect(got.map((v) => v?.get('_asof'))).toEqual(ids.map((_, i) => String(100 + i)));
      expect((await store.readVectors(ks.view, ks.version, ['a'])).at(0)).toBeNull();
    } finally {
      await store.close();
    }
  });

  it(`${name}: registry of versions and current pointers; entity sampling`, async () => {
    const store = await open();
    try {
      const ks = keyspace();
      await store.register('view', ks.view, 'v1', { a: 1 }, true);
      await store.register('view', ks.view, 'v2', { a: 2 }, false);
      expect(await store.current('view', ks.view)).toBe('v1');
      expect(Object.fromEntries(await store.versions('view', ks.view))).toEqual({
        v1: { a: 1 },
        v2: { a: 2 },
      });
      await store.register('service', ks.view, 's1', { refs: [] }, true);
      expect(await store.current('service', ks.view)).toBe('s1');
      await store.writeEntities(
        ks,
        Array.from({ length: 40 }, (_, i) => write(`s${i}`, i, i, [1], i % 4)),
        1,
      );
      const sample = await store.sampleEntities(ks.view, ks.version, 10);
      expect(sample).toHaveLength(10);
      expect(new Set(sample).size).toBe(10);
      for (const k of sample) expect(k).toMatch(/^s\d+$/);
    } finally {
      await store.close();
    }
  });

  it(`${name}: values expire after the view's TTL`, async () => {
    const store = await open();
    try {
      const ks = keyspace(300);
      await store.writeEntities(ks, [write('t', 1, 1, [1])], 1);
      expect((await store.readVectors(ks.view, ks.version, ['t']))[0]).not.toBeNull();
      await new Promise((r) => setTimeout(r, options.ttlWaitMs ?? 600));
      expect((await store.readVectors(ks.view, ks.version, ['t']))[0]).toBeNull();
      expect((await store.loadStates(ks, ['t']))[0]).toBeNull();
    } finally {
      await store.close();
    }
  });
}
