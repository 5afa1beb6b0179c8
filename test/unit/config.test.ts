import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { DEFAULTS } from '../../src/config/defaults.js';

describe('loadConfig: serving reads on a single Redis', () => {
  it('defaults, overrides and bounds of FS_REDIS_READ_CONNECTIONS / FS_REDIS_READ_TIMEOUT_MS', () => {
    const d = loadConfig({});
    expect(d.redisReadConnections).toBe(DEFAULTS.redisReadConnections);
    expect(d.redisReadTimeoutMs).toBe(DEFAULTS.redisReadTimeoutMs);
    const c = loadConfig({ FS_REDIS_READ_CONNECTIONS: '8', FS_REDIS_READ_TIMEOUT_MS: '25' });
    expect(c.redisReadConnections).toBe(8);
    expect(c.redisReadTimeoutMs).toBe(25);
    expect(() => loadConfig({ FS_REDIS_READ_TIMEOUT_MS: 'soon' })).toThrow(
      /FS_REDIS_READ_TIMEOUT_MS=soon/,
    );
    expect(() => loadConfig({ FS_REDIS_READ_CONNECTIONS: '0' })).toThrow(
      /FS_REDIS_READ_CONNECTIONS/,
    );
  });

  it('REDIS_URL: a unix socket alone, not in a cluster list', () => {
    expect(loadConfig({ REDIS_URL: 'unix:///run/redis.sock' }).redisUrl).toBe(
      'unix:///run/redis.sock',
    );
    expect(() => loadConfig({ REDIS_URL: 'redis://a:1,unix:///run/redis.sock' })).toThrow(
      /one socket file/,
    );
    for (const bad of [
      'unix://',
      'unix://tmp/r.sock',
      'unix:///tmp/r.sock?db=2',
      'unix://user:pw@localhost/tmp/r.sock',
      'redis://a:7000,UNIX:///x',
    ])
      expect(() => loadConfig({ REDIS_URL: bad }), bad).toThrow(/one socket file/);
    expect(loadConfig({ REDIS_URL: 'UNIX:///run/redis.sock' }).redisUrl).toBe(
      'UNIX:///run/redis.sock',
    );
  });
});

describe('loadConfig: worker threads', () => {
  it('FS_WORKER_HEAP_MB: absent leaves V8 its default; a number in [64, 1048576] MB', () => {
    expect(loadConfig({}).workerHeapMb).toBeUndefined();
    expect(loadConfig({ FS_WORKER_HEAP_MB: '6144' }).workerHeapMb).toBe(6144);
    expect(() => loadConfig({ FS_WORKER_HEAP_MB: '8' })).toThrow(/FS_WORKER_HEAP_MB=8/);
    expect(() => loadConfig({ FS_WORKER_HEAP_MB: 'lots' })).toThrow(/FS_WORKER_HEAP_MB=lots/);
  });
});
