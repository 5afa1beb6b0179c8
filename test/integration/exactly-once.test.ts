import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseHistoryStore } from '../../src/adapters/clickhouse/clickhouse-history-store.js';
import { startEmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import type { EmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import { prng } from '../../src/cli/demo/transaction-generator.js';
import { createTopic, produce, services, tempDir, uniqueName, waitFor } from '../support/e2e.js';
import { caughtUp, committedTotal, EngineProcess } from '../support/engine-process.js';
import { expectedResults } from '../support/expected.js';
import type { GoldenCase } from '../support/golden.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import { expectHistoryMatches, expectRedisMatches } from '../support/verify.js';

/**
 * Exactly-once effects (semantics "Delivery"): engine processes killed with SIGKILL at random
 * points, restarted with other worker counts, or losing a group member mid-stream, must leave
 * Redis values and deduplicated ClickHouse history equal to the oracle — nothing lost, nothing
 * counted twice. The engines share one ClickHouse through the embedded HTTP fixture.
 */
describe('exactly-once effects across crashes and rebalances', () => {
  const redis = new Redis(services().REDIS_URL ?? '');
  afterAll(async () => {
    await redis.quit();
  });

  type Slice = GoldenCase['events'];

  /** Splits the case's events into `n` consecutive slices (event order is kept). */
  function sliceEvents(g: GoldenCase, n: number): Slice[] {
    const size = Math.ceil(g.events.length / n);
    const out: Slice[] = [];
    for (let i = 0; i < g.events.length; i += size) out.push(g.events.slice(i, i + size));
    return out;
  }

  /** Produces `events` in `chunks` batches, `gapMs` apart. */
  async function produceSlowly(
    topic: string,
    events: Slice,
    chunks: number,
    gapMs: number,
  ): Promise<void> {
    const size = Math.max(1, Math.ceil(events.length / chunks));
    for (let i = 0; i < events.length; i += size) {
      await produce(
        topic,
        events
          .slice(i, i + size)
          .map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
      );
      await new Promise((r) => setTimeout(r, gapMs));
    }
  }

  /** One ClickHouse (HTTP fixture) for several engine processes of one consumer group. */
  async function sharedEngines(prefix: string): Promise<{
    ch: EmbeddedClickHouseHttp;
    group: string;
    database: string;
    env: Record<string, string>;
  }> {
    const ch = await startEmbeddedClickHouseHttp({ path: join(tempDir('ch-shared'), 'data') });
    const group = uniqueName(prefix);
    const database = uniqueName('fs').toLowerCase();
    const env = {
      ...services(),
      CLICKHOUSE_URL: ch.url,
      CLICKHOUSE_DATABASE: database,
      FS_GROUP_ID: group,
      FS_SESSION_TIMEOUT_MS: '6000',
    };
    return { ch, group, database, env };
  }

  async function verify(g: GoldenCase, clickhouseUrl: string, database: string): Promise<void> {
    const expected = expectedResults(g.view, g.events);
    await expectRedisMatches(redis, g.view, expected);
    const history = await ClickHouseHistoryStore.open({
      url: clickhouseUrl,
      path: 'unused',
      database,
    });
    try {
      expect(await expectHistoryMatches(history, g.view, expected)).toBeGreaterThan(1_000);
    } finally {
      await history.close();
    }
  }

  it('kill -9 at 6 random points, restarts with 1–3 workers: identical results', async () => {
    const g = await goldenCase(3_000, 31);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    const { ch, group, database, env } = await sharedEngines('crash');
    const r = prng(99);
    // Eight slices: one produced during each of the six engine lifetimes (so every kill lands
    // while events are still arriving, whatever the machine's speed), two after the last kill.
    const slices = sliceEvents(g, 8);
    try {
      const progress: number[] = [];
      for (let kill = 0; kill < 6; kill++) {
        const before = progress.at(-1) ?? 0;
        const engine = EngineProcess.start(g.file, env, 1 + (kill % 3));
        await engine.waitRunning();
        const producing = produceSlowly(g.topic, slices[kill] ?? [], 6, 400);
        // Once this engine owns partitions and has committed something, kill it at a random
        // moment while its slice is still arriving or being flushed.
        await waitFor(
          `engine ${kill} to commit progress`,
          async () => (await committedTotal(group, g.topic)) > before,
          60_000,
        );
        await new Promise((res) => setTimeout(res, r() * 2_000));
        await engine.kill9();
        await producing;
        progress.push(await committedTotal(group, g.topic));
      }
      // Every lifetime made progress and none finished the stream.
      expect(progress.every((n, i) => n > (progress[i - 1] ?? 0) && n < g.events.length)).toBe(
        true,
      );
      const last = EngineProcess.start(g.file, env, 2);
      await last.waitRunning();
      await produceSlowly(g.topic, [...(slices[6] ?? []), ...(slices[7] ?? [])], 4, 300);
      await waitFor('the group to catch up', () => caughtUp(group, g.topic), 120_000);
      expect(await last.terminate(), last.log.slice(-2000)).toBe(0);
      await verify(g, ch.url, database);
    } finally {
      await ch.close();
    }
  });

  it('rebalance: two engines in one group, one killed mid-stream, the survivor takes over', async () => {
    const g = await goldenCase(3_000, 37);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    const { ch, group, database, env } = await sharedEngines('rebalance');
    try {
      const a = EngineProcess.start(g.file, env, 1);
      const b = EngineProcess.start(g.file, env, 1);
      await Promise.all([a.waitRunning(), b.waitRunning()]);
      const producing = produceSlowly(g.topic, g.events, 10, 600);
      await new Promise((res) => setTimeout(res, 3_000));
      await b.kill9();
      await producing;
      await waitFor('the survivor to catch up', () => caughtUp(group, g.topic), 120_000);
      expect(await a.terminate(), a.log.slice(-2000)).toBe(0);
      await verify(g, ch.url, database);
    } finally {
      await ch.close();
    }
  });
});
