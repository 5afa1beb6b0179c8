import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTopic, produce, services, testConfig } from '../support/e2e.js';
import { expectedResults } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import { runUntil, startEngine } from '../support/run-engine.js';
import { expectHistoryMatches, expectRedisMatches } from '../support/verify.js';

/**
 * The walking skeleton and the golden end-to-end test: JSON events on a real Kafka topic →
 * worker threads → windowed features → a Redis hash per entity and history rows in the
 * ClickHouse engine; every value equals the brute-force oracle of the semantics.
 */
describe('pipeline through real Kafka, Redis and ClickHouse', () => {
  const redis = new Redis(services().REDIS_URL ?? '');
  afterAll(async () => {
    await redis.quit();
  });

  it('golden stream: Redis values and ClickHouse history equal the oracle', async () => {
    const g = await goldenCase(1_500);
    const expected = expectedResults(g.view, g.events);
    expect(expected.late.size, 'the stream has late events').toBeGreaterThan(0);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    await produce(
      g.topic,
      g.events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
    );

    const config = testConfig();
    const stores = await runUntil(config, [g.file], g.events.length);
    try {
      await expectRedisMatches(redis, g.view, expected);
      const compared = await expectHistoryMatches(stores.history, g.view, expected);
      expect(compared).toBeGreaterThan(1_000);
      // The raw archive holds every event, late ones flagged.
      const [archive] = await stores.history.query<{ n: string; late: string }>(
        `SELECT count() AS n, sum(_late) AS late FROM ${config.clickhouseDatabase}.events_${g.view.ir.source.name} FINAL`,
      );
      expect(Number(archive?.n)).toBe(g.events.length);
      expect(Number(archive?.late)).toBe(expected.late.size);
    } finally {
      await stores.close();
    }
  });

  it('a worker thread that dies mid-stream is replaced and nothing is lost or counted twice', async () => {
    const g = await goldenCase(1_200, 11);
    const expected = expectedResults(g.view, g.events);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    const config = testConfig({ FS_WORKERS: '2' });
    let restarts = 0;
    const running = await startEngine(config, [g.file], { workerRestart: () => restarts++ });
    try {
      // First half, then kill both worker threads while the second half streams in.
      const half = Math.floor(g.events.length / 2);
      await produce(
        g.topic,
        g.events.slice(0, half).map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
      );
      const sending = produce(
        g.topic,
        g.events.slice(half).map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
      );
      await Promise.all(
        [0, 1].map((i) => running.engine.pool.request(i, { type: 'crash' }).catch(() => undefined)),
      );
      await sending;
      const deadline = Date.now() + 90_000;
      while (running.records() < g.events.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(running.records()).toBeGreaterThanOrEqual(g.events.length);
      expect(restarts).toBe(2);
      await running.engine.stop();
      await expectRedisMatches(redis, g.view, expected);
      await expectHistoryMatches(running.stores.history, g.view, expected);
    } finally {
      await running.stop().catch(() => undefined);
    }
  });
});
