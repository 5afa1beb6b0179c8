import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startEmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import { createTopic, produce, tempDir, testConfig, waitFor } from '../support/e2e.js';
import { expectedResults } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import type { GoldenEvent } from '../support/golden.js';
import { DedicatedRedis } from '../support/redis-server.js';
import { startEngine } from '../support/run-engine.js';
import { expectHistoryMatches, expectRedisMatches } from '../support/verify.js';

const send = (topic: string, events: readonly GoldenEvent[]): Promise<void> =>
  produce(
    topic,
    events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
  );

/** Sink outages pause the engine (retries with backoff); it never crashes and loses nothing. */
describe('sink outages', () => {
  it('Redis stopped for 12 s mid-stream and restarted: no crash, no loss', async () => {
    const g = await goldenCase(2_000, 41);
    const expected = expectedResults(g.view, g.events);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    const redisServer = await DedicatedRedis.start();
    const config = testConfig({ REDIS_URL: redisServer.url });
    let retries = 0;
    const running = await startEngine(config, [g.file], {
      sinkRetry: (e) => (e.sink === 'online' ? retries++ : undefined),
    });
    const half = Math.floor(g.events.length / 2);
    try {
      await send(g.topic, g.events.slice(0, half));
      await waitFor('the first half', () => running.records() >= half, 60_000);
      await redisServer.down();
      await send(g.topic, g.events.slice(half));
      await new Promise((r) => setTimeout(r, 12_000));
      expect(retries, 'the engine retried while Redis was down').toBeGreaterThan(0);
      await redisServer.up();
      await waitFor(
        'all events after the outage',
        () => running.records() >= g.events.length,
        120_000,
      );
      const redis = new Redis(redisServer.url);
      try {
        await expectRedisMatches(redis, g.view, expected);
      } finally {
        await redis.quit();
      }
      await running.engine.stop();
      await expectHistoryMatches(running.stores.history, g.view, expected);
    } finally {
      await running.stop().catch(() => undefined);
      await redisServer.down();
    }
  });

  it('ClickHouse answering 500s, then resetting connections, mid-stream: no loss, no duplicates', async () => {
    const g = await goldenCase(2_000, 43);
    const expected = expectedResults(g.view, g.events);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    const ch = await startEmbeddedClickHouseHttp({ path: join(tempDir('ch-faults'), 'data') });
    const config = testConfig({ CLICKHOUSE_URL: ch.url });
    let retries = 0;
    const running = await startEngine(config, [g.file], {
      sinkRetry: (e) => (e.sink !== 'online' ? retries++ : undefined),
    });
    const third = Math.floor(g.events.length / 3);
    try {
      await send(g.topic, g.events.slice(0, third));
      await waitFor('the first third', () => running.records() >= third, 60_000);
      ch.injectFailures('error500', 4_000);
      await send(g.topic, g.events.slice(third, 2 * third));
      await new Promise((r) => setTimeout(r, 4_500));
      ch.injectFailures('reset', 3_000);
      await send(g.topic, g.events.slice(2 * third));
      await waitFor(
        'all events after the faults',
        () => running.records() >= g.events.length,
        120_000,
      );
      expect(retries, 'the engine retried while ClickHouse failed').toBeGreaterThan(0);
      const redis = new Redis(config.redisUrl ?? '');
      try {
        await expectRedisMatches(redis, g.view, expected);
      } finally {
        await redis.quit();
      }
      await running.engine.stop();
      await expectHistoryMatches(running.stores.history, g.view, expected);
      const [dups] = await running.stores.history.query<{ rows: string; distinct_rows: string }>(
        `SELECT count() AS rows, uniqExact(acct, as_of) AS distinct_rows FROM ${config.clickhouseDatabase}.features_${g.view.name} FINAL`,
      );
      expect(Number(dups?.rows)).toBe(Number(dups?.distinct_rows));
    } finally {
      await running.stop().catch(() => undefined);
      await ch.close();
    }
  });
});
