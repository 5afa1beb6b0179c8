import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { RedisOnlineStore } from '../../src/adapters/redis/redis-online-store.js';
import type { FeatureValue } from '../../src/core/aggregation/aggregator.js';
import { compileService, featureService } from '../../src/core/topology/feature-service.js';
import { createTopic, produce, services, testConfig } from '../support/e2e.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import { runUntil } from '../support/run-engine.js';
import type { ServingFixture } from '../support/serving-suite.js';
import { servingSuite } from '../support/serving-suite.js';

/** A Redis field parsed by its type, independently of the serving code's decoder. */
function parse(base: string, list: boolean, raw: string | undefined): FeatureValue {
  if (raw === undefined) return list ? [] : null;
  if (list) return JSON.parse(raw) as FeatureValue;
  if (base === 'string') return raw;
  if (base === 'boolean') return raw === 'true';
  return Number(raw);
}

/** The serving API against real Redis holding values written by the real runtime. */
describe('serving API on Redis written by the runtime', () => {
  const stores: RedisOnlineStore[] = [];
  afterAll(async () => {
    for (const s of stores) await s.close();
  });

  let fixture: Promise<Omit<ServingFixture, 'online'>> | undefined;
  const prepare = (): Promise<Omit<ServingFixture, 'online'>> =>
    (fixture ??= (async () => {
      const g = await goldenCase(1_000, 53);
      await createTopic(g.topic, GOLDEN_PARTITIONS);
      await produce(
        g.topic,
        g.events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
      );
      const history = await runUntil(testConfig(), [g.file], g.events.length);
      await history.close();
      const redis = new Redis(services().REDIS_URL ?? '');
      const entities = new Map<string, { asOf: number; values: Record<string, FeatureValue> }>();
      try {
        for (const key of [...new Set(g.events.map((e) => e.key))]) {
          const h = await redis.hgetall(`fs:${g.view.name}:${g.view.version}:${key}`);
          entities.set(key, {
            asOf: Number(h._asof),
            values: Object.fromEntries(
              g.view.ir.features.map((f) => [
                f.name,
                parse(f.valueType.base, f.valueType.list, h[f.name]),
              ]),
            ),
          });
        }
      } finally {
        await redis.quit();
      }
      const service = compileService(
        featureService('golden_model', {
          features: [
            { view: g.view.name, feature: 'txn_count_1m' },
            { view: g.view.name, feature: 'amount_p90_1m' },
            { view: g.view.name, feature: 'last_country' },
            { view: g.view.name, feature: 'amount_mean_1m' },
          ],
        }),
        new Map([[g.view.name, g.view]]),
      );
      return { view: g.view.ir, service, entities, keyField: 'acct' };
    })());

  servingSuite(async () => {
    const base = await prepare();
    const online = await RedisOnlineStore.connect(services().REDIS_URL ?? '');
    stores.push(online);
    return { ...base, online };
  });
});
