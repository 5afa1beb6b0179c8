import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { prng } from '../../src/cli/demo/transaction-generator.js';
import { createTopic, kafka, produce, services, testConfig, uniqueName } from '../support/e2e.js';
import { expectedResults } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import { startEngine } from '../support/run-engine.js';
import { expectHistoryMatches, expectRedisMatches } from '../support/verify.js';

/** Malformed records of every kind, with the dead-letter reason each must get. */
function badRecord(
  r: () => number,
  i: number,
): { key: string | null; value: Buffer | string | null; reason: string } {
  const acct = `acct-${i % 12}`;
  const good = { acct, amount: 1, merchant: 'm1', country: 'US', ts: Date.UTC(2025, 0, 1, 12) };
  switch (i % 7) {
    case 0:
      return {
        key: acct,
        value: Buffer.from([0xff, 0xfe, 0x00, Math.floor(r() * 255)]),
        reason: 'undecodable',
      };
    case 1:
      return { key: acct, value: '{"acct": "a", "amount": 1,', reason: 'undecodable' };
    case 2:
      return {
        key: acct,
        value: JSON.stringify({ ...good, amount: 'twelve' }),
        reason: 'schema_violation',
      };
    case 3:
      return {
        key: acct,
        value: JSON.stringify({ acct, amount: 3, merchant: 'm', country: 'US' }),
        reason: 'schema_violation',
      };
    case 4:
      return { key: acct, value: JSON.stringify({ ...good, acct: '' }), reason: 'missing_key' };
    case 5:
      return {
        key: acct,
        value: JSON.stringify({ ...good, ts: Date.UTC(2300, 0, 1) }),
        reason: 'absurd_timestamp',
      };
    default:
      return { key: acct, value: null, reason: 'undecodable' };
  }
}

describe('bad input never stops the stream and is never silently dropped', () => {
  const redis = new Redis(services().REDIS_URL ?? '');
  afterAll(async () => {
    await redis.quit();
  });

  it('1,400 malformed records interleaved with good ones: all dead-lettered with reasons, good results exact', async () => {
    const g = await goldenCase(1_500, 23);
    const expected = expectedResults(g.view, g.events);
    const r = prng(5);
    const messages: { partition: number; key: string | null; value: Buffer | string | null }[] = [];
    const wantReasons = new Map<string, number>();
    let bad = 0;
    for (const e of g.events) {
      messages.push({ partition: e.partition, key: e.key, value: e.json });
      if (r() < 0.95) {
        const b = badRecord(r, bad++);
        wantReasons.set(b.reason, (wantReasons.get(b.reason) ?? 0) + 1);
        messages.push({
          partition: Math.floor(r() * GOLDEN_PARTITIONS),
          key: b.key,
          value: b.value,
        });
      }
    }
    expect(bad).toBeGreaterThanOrEqual(1_000);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    await produce(g.topic, messages);

    const config = testConfig();
    const dead = new Map<string, number>();
    const inMemory = new Map<number, number>();
    const running = await startEngine(config, [g.file], {
      batch: (e) => {
        for (const [reason, n] of Object.entries(e.counters.dead))
          dead.set(reason, (dead.get(reason) ?? 0) + n);
        inMemory.set(e.partition, e.entitiesInMemory);
      },
    });
    try {
      const deadline = Date.now() + 90_000;
      while (running.records() < messages.length && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 100));
      expect(running.records()).toBe(messages.length);
      expect(Object.fromEntries(dead)).toEqual(Object.fromEntries(wantReasons));
      // Workers hold exactly the accounts with applied events (bad records create none).
      expect([...inMemory.values()].reduce((a, b) => a + b, 0)).toBe(expected.online.size);

      // Every bad record is on <topic>.dlq with its reason and source coordinates.
      const consumer = kafka().consumer({ groupId: uniqueName('dlq-check') });
      await consumer.connect();
      await consumer.subscribe({ topic: `${g.topic}.dlq`, fromBeginning: true });
      const seen = new Map<string, number>();
      const coords = new Set<string>();
      await consumer.run({
        eachMessage: async ({ message }) => {
          const h = message.headers ?? {};
          const reason = String(h['fs-reason']);
          seen.set(reason, (seen.get(reason) ?? 0) + 1);
          coords.add(
            `${String(h['fs-topic'])}/${String(h['fs-partition'])}/${String(h['fs-offset'])}`,
          );
          expect(String(h['fs-detail']).length).toBeGreaterThan(0);
          await Promise.resolve();
        },
      });
      const until = Date.now() + 60_000;
      while ([...seen.values()].reduce((a, b) => a + b, 0) < bad && Date.now() < until)
        await new Promise((res) => setTimeout(res, 200));
      await consumer.disconnect();
      expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(wantReasons));
      expect(coords.size).toBe(bad);

      // The good events are exact, and the engine keeps running.
      await expectRedisMatches(redis, g.view, expected);
      await running.engine.stop();
      await expectHistoryMatches(running.stores.history, g.view, expected);
    } finally {
      await running.stop().catch(() => undefined);
    }
  });
});
