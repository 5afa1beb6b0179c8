import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createEngine, openStores } from '../../src/cli/engine-factory.js';
import { compileView } from '../../src/core/topology/compile.js';
import type { FeatureViewDef } from '../../src/core/topology/feature-view.js';
import { decodeFieldValue } from '../../src/core/values/field-value.js';
import { silentLogger } from '../../src/ports/logger.js';
import {
  createTopic,
  produce,
  services,
  testConfig,
  uniqueName,
  waitFor,
  writeTopology,
} from '../support/e2e.js';
import { diffValues, expectedResults } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenEvents, goldenTopology } from '../support/golden.js';

/**
 * The walking skeleton and the golden end-to-end test: JSON events on a real Kafka topic →
 * worker threads → windowed features → a Redis hash per entity and history rows in the
 * ClickHouse engine; every value equals the brute-force oracle of semantics.md.
 */
describe('pipeline through real Kafka, Redis and ClickHouse', () => {
  const redis = new Redis(services().REDIS_URL ?? '');
  afterAll(async () => {
    await redis.quit();
  });

  it('golden stream: Redis values and ClickHouse history equal the oracle', async () => {
    const topic = uniqueName('golden');
    const viewName = uniqueName('gold').toLowerCase();
    const file = writeTopology(viewName, goldenTopology(viewName, topic));
    const mod = (await import(file)) as { default: FeatureViewDef };
    const view = compileView(mod.default);
    const events = goldenEvents(1_500);
    const expected = expectedResults(view, events);
    expect(expected.late.size, 'the stream has late events').toBeGreaterThan(0);

    await createTopic(topic, GOLDEN_PARTITIONS);
    await produce(
      topic,
      events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
    );

    const config = testConfig();
    const stores = await openStores(config);
    let seen = 0;
    const engine = createEngine(config, stores, [file], silentLogger, {
      wallClockIdle: false,
      observer: { batch: (e) => (seen += e.counters.records) },
    });
    try {
      await engine.pipeline.start();
      await waitFor('all events consumed', () => seen >= events.length, 90_000);
    } finally {
      await engine.stop();
    }

    // Redis: one hash per entity with every feature, `_asof` and `_updated`.
    expect(await redis.get(`fs:${view.name}:current`)).toBe(view.version);
    for (const [key, want] of expected.online) {
      const hash = await redis.hgetall(`fs:${view.name}:${view.version}:${key}`);
      expect(Number(hash._asof), `_asof of ${key}`).toBe(want.asOf);
      expect(Number(hash._updated)).toBeGreaterThan(Date.now() - 300_000);
      const got = view.ir.features.map((f) => decodeFieldValue(f.valueType, hash[f.name]));
      expect(diffValues(view, expected, key, want.asOf, got, want.values)).toEqual([]);
    }

    // ClickHouse: deduplicated history rows, one per event time and decay boundary.
    const history = await stores.history.readHistory(view.ir);
    let compared = 0;
    for (const [key, rows] of expected.rows) {
      const got = history.filter((r) => r.key === key);
      expect(
        got.map((r) => r.asOf),
        `history times of ${key}`,
      ).toEqual(rows.map((r) => r.asOf));
      got.forEach((r, i) => {
        expect(diffValues(view, expected, key, r.asOf, r.values, rows[i]?.values ?? [])).toEqual(
          [],
        );
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(1_000);

    // The raw archive holds every event, late ones flagged.
    const [archive] = await stores.history.query<{ n: string; late: string }>(
      `SELECT count() AS n, sum(_late) AS late FROM ${config.clickhouseDatabase}.events_${view.ir.source.name} FINAL`,
    );
    expect(Number(archive?.n)).toBe(events.length);
    expect(Number(archive?.late)).toBe(expected.late.size);
    await stores.close();
  });
});
