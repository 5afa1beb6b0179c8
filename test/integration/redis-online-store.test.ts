import { afterAll, beforeAll, describe } from 'vitest';
import { RedisOnlineStore } from '../../src/adapters/redis/redis-online-store.js';
import { services } from '../support/e2e.js';
import { onlineStoreConformance } from '../support/online-store-conformance.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { DedicatedRedis } from '../support/redis-server.js';

describe('RedisOnlineStore on a single Redis', () => {
  onlineStoreConformance('redis', () => RedisOnlineStore.connect(services().REDIS_URL ?? ''));
});

describe('RedisOnlineStore on a Redis Cluster (3 masters)', () => {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  onlineStoreConformance('redis-cluster', () => RedisOnlineStore.connect(cluster?.url ?? ''));
});

describe('RedisOnlineStore over a unix socket (REDIS_URL=unix:///…)', () => {
  let redis: DedicatedRedis | undefined;
  beforeAll(async () => {
    redis = await DedicatedRedis.start();
  });
  afterAll(async () => {
    await redis?.down();
  });
  onlineStoreConformance('redis-unix', () => RedisOnlineStore.connect(redis?.socketUrl ?? ''));
});
