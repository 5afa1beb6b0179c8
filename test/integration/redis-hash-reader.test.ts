import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashReader } from '../../src/adapters/redis/hash-reader.js';
import { FeatureStreamError } from '../../src/core/errors.js';
import { services } from '../support/e2e.js';
import { DedicatedRedis } from '../support/redis-server.js';

function record(pairs: readonly string[] | null | undefined): Record<string, string> | null {
  if (pairs === null || pairs === undefined) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i] as string] = pairs[i + 1] as string;
  return out;
}

/** The raw pipelined HGETALL reader of the serving path, against a real Redis. */
describe('HashReader', () => {
  let redis: Redis;
  let url: string;
  const prefix = `hr:${process.pid}:`;
  const readers: HashReader[] = [];
  const reader = (u = url, connections = 2, timeoutMs?: number): HashReader => {
    const r = HashReader.forUrl(u, { connections, timeoutMs });
    if (r === undefined) throw new Error(`no reader for ${u}`);
    readers.push(r);
    return r;
  };
  /** Connections the server has accepted so far. */
  const connectionsReceived = async (): Promise<number> => {
    const info = await redis.info('stats');
    return Number(/total_connections_received:(\d+)/.exec(info)?.[1]);
  };
  /** What ioredis reads for the same key (the reference). */
  const reference = async (key: string): Promise<string[] | null> => {
    const pairs = (await redis.call('HGETALL', key)) as string[];
    return pairs.length === 0 ? null : pairs;
  };

  beforeAll(() => {
    url = services().REDIS_URL ?? '';
    redis = new Redis(url);
  });
  afterAll(async () => {
    for (const r of readers) r.close();
    await redis.quit();
  });

  it('reads hashes in key order, null for missing keys, with hostile and non-ASCII content', async () => {
    const keys = [
      `${prefix}plain`,
      `${prefix}missing`,
      `${prefix}*`,
      `${prefix}\r\n$3\r\nbad`,
      `${prefix}${'k'.repeat(10_000)}`,
      `${prefix}ünïcødé ✓`,
      `${prefix}empty-value`,
    ];
    await redis.hset(keys[0] as string, 'a', '1', 'b', '2.5', '_asof', '1700000000000');
    await redis.hset(keys[2] as string, 'x', '*');
    await redis.hset(keys[3] as string, '\r\n', '\r\n*1\r\n', '$5', '');
    await redis.hset(keys[4] as string, 'big', 'v'.repeat(70_000));
    await redis.hset(keys[5] as string, 'país', 'España 🇪🇸', 'n', '-0.000001');
    await redis.hset(keys[6] as string, 'e', '');
    const got = await reader().read(keys);
    const want = await Promise.all(keys.map(reference));
    expect(got).toEqual(want);
    expect(got[1]).toBeNull();
    expect(got[4]?.[1]).toHaveLength(70_000);
  });

  it('keeps every call its own replies when many calls share the connections', async () => {
    const n = 300;
    const pipe = redis.pipeline();
    for (let i = 0; i < n; i++)
      pipe.hset(`${prefix}many:${i}`, 'i', String(i), 'pad', 'x'.repeat(i));
    await pipe.exec();
    const r = reader(url, 3);
    // Calls of 1..7 keys, interleaved in one event-loop turn, some keys missing.
    const calls = Array.from({ length: 200 }, (_, c) =>
      Array.from(
        { length: 1 + (c % 7) },
        (_, j) => `${prefix}many:${(c * 13 + j * 101) % (n + 20)}`,
      ),
    );
    const results = await Promise.all(calls.map((keys) => r.read(keys)));
    results.forEach((replies, c) => {
      (calls[c] as string[]).forEach((key, j) => {
        const i = Number(key.split(':').pop());
        const reply = replies[j];
        if (i >= n) expect(reply).toBeNull();
        // (field order is Redis' own: insertion order only while the hash is small)
        else expect(record(reply)).toEqual({ i: String(i), pad: 'x'.repeat(i) });
      });
    });
  });

  it('keeps its call queue bounded on a connection that is never idle', async () => {
    // A stand-in server that answers each HGETALL only once the next one has arrived, so the
    // reader's connection always has a call in flight and its queue never drains by itself.
    let held = 0;
    const server = createServer((socket) => {
      socket.on('data', (d: Buffer) => {
        const commands = d.toString('latin1').split('HGETALL').length - 1;
        held += commands;
        if (held > 1) {
          socket.write('*0\r\n'.repeat(held - 1));
          held = 1;
        }
      });
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as AddressInfo).port;
    try {
      const r = reader(`redis://127.0.0.1:${port}`, 1);
      let maxSlots = 0;
      let prev = r.read(['k']);
      for (let i = 1; i < 5_000; i++) {
        const next = r.read(['k']);
        await expect(prev).resolves.toEqual([null]);
        const [stats] = r.stats();
        expect(stats?.inFlight).toBeGreaterThan(0);
        maxSlots = Math.max(maxSlots, stats?.slots ?? Infinity);
        prev = next;
      }
      // Without dropping the settled prefix the queue would hold all 5,000 calls.
      expect(maxSlots).toBeLessThan(2_100);
      r.close();
      await expect(prev).rejects.toThrow(/reader closed/);
    } finally {
      server.close();
    }
  });

  it('fails a call on a key of another type with the Redis error, and keeps working', async () => {
    await redis.set(`${prefix}string`, 'not a hash');
    await redis.hset(`${prefix}ok`, 'f', 'v');
    const r = reader(url, 1);
    const failing = r.read([`${prefix}ok`, `${prefix}string`]);
    const next = r.read([`${prefix}ok`]);
    await expect(failing).rejects.toThrow(/WRONGTYPE/);
    await expect(next).resolves.toEqual([['f', 'v']]);
  });

  it('authenticates with the user and password of the URL, and says so when refused', async () => {
    const user = `hr_${process.pid}`;
    await redis.call('ACL', 'SETUSER', user, 'on', '>s3cret', '~*', '+@all');
    try {
      await redis.hset(`${prefix}auth`, 'f', 'v');
      const u = new URL(url);
      u.username = user;
      u.password = 's3cret';
      await expect(reader(u.toString(), 1).read([`${prefix}auth`])).resolves.toEqual([['f', 'v']]);
      u.password = 'wrong';
      const err = await reader(u.toString(), 1)
        .read([`${prefix}auth`])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FeatureStreamError);
      expect((err as FeatureStreamError).code).toBe('REDIS_UNREACHABLE');
      expect((err as Error).message).toMatch(/AUTH.*WRONGPASS/);
      // Refused again and again, it pauses between attempts instead of reconnecting per call.
      const before = await connectionsReceived();
      const refused = reader(u.toString(), 1);
      const until = Date.now() + 1_000;
      let calls = 0;
      while (Date.now() < until) {
        calls++;
        await refused.read([`${prefix}auth`]).catch(() => undefined);
        await new Promise((res) => setImmediate(res));
      }
      const opened = (await connectionsReceived()) - before;
      expect(calls).toBeGreaterThan(100);
      expect(opened).toBeLessThan(15);
    } finally {
      await redis.call('ACL', 'DELUSER', user);
    }
  });

  it('reads with a password in the URL when the server requires none (as ioredis does)', async () => {
    await redis.hset(`${prefix}nopass`, 'f', 'v');
    const u = new URL(url);
    u.password = 'unneeded';
    await expect(reader(u.toString(), 1).read([`${prefix}nopass`])).resolves.toEqual([['f', 'v']]);
  });

  it('reads a 16 MB value and 200k fields within the call timeout', async () => {
    const big = 'b'.repeat(16 * 1024 * 1024);
    await redis.hset(`${prefix}huge`, 'v', big);
    const fill = redis.pipeline();
    for (let from = 0; from < 200_000; from += 10_000) {
      const fields: Record<string, string> = {};
      for (let i = from; i < from + 10_000; i++) fields[`f${i}`] = String(i);
      fill.hset(`${prefix}wide`, fields);
    }
    await fill.exec();
    try {
      const r = reader(url, 1);
      const [huge] = await r.read([`${prefix}huge`]);
      expect(huge?.[1]?.length).toBe(big.length);
      expect(huge?.[1] === big).toBe(true);
      const [wide] = await r.read([`${prefix}wide`]);
      expect(wide).toHaveLength(400_000);
      expect(record(wide)?.f199999).toBe('199999');
    } finally {
      await redis.del(`${prefix}huge`, `${prefix}wide`);
    }
  });

  it('leaves URLs with query options to ioredis, and refuses calls once closed', async () => {
    expect(HashReader.forUrl(`${url}?db=3`)).toBeUndefined();
    const r = reader(url, 1);
    await redis.hset(`${prefix}closing`, 'f', 'v');
    await expect(r.read([`${prefix}closing`])).resolves.toEqual([['f', 'v']]);
    r.close();
    await expect(r.read([`${prefix}closing`])).rejects.toThrow(/reader closed/);
  });

  it('selects the database of the URL', async () => {
    const db9 = new Redis(url.replace(/\/\d*$/, '') + '/9');
    try {
      await db9.hset(`${prefix}db9`, 'in', 'nine');
      const u = url.replace(/\/\d*$/, '');
      await expect(reader(`${u}/9`, 1).read([`${prefix}db9`])).resolves.toEqual([['in', 'nine']]);
      await expect(reader(`${u}/0`, 1).read([`${prefix}db9`])).resolves.toEqual([null]);
    } finally {
      await db9.del(`${prefix}db9`);
      db9.disconnect();
    }
  });

  it('is not offered for TLS or cluster URLs (the general client reads those)', () => {
    expect(HashReader.forUrl('rediss://h:6379')).toBeUndefined();
    expect(HashReader.forUrl('redis://a:1,redis://b:2')).toBeUndefined();
    expect(HashReader.forUrl('not a url')).toBeUndefined();
  });

  describe('through an outage', () => {
    let dedicated: DedicatedRedis;
    beforeAll(async () => {
      dedicated = await DedicatedRedis.start();
    });
    afterAll(async () => {
      await dedicated.down();
    });

    it('fails calls with REDIS_UNREACHABLE while Redis is down and reconnects once it is back', async () => {
      const direct = new Redis(dedicated.url);
      await direct.hset('k', 'f', '1');
      direct.disconnect();
      const r = reader(dedicated.url, 2, 500);
      await expect(r.read(['k'])).resolves.toEqual([['f', '1']]);
      await dedicated.down();
      const err = await r.read(['k']).catch((e: unknown) => e);
      expect((err as FeatureStreamError).code).toBe('REDIS_UNREACHABLE');
      await dedicated.up();
      // The first calls after the restart may still meet the retry pause; within 3 s one reads.
      const deadline = Date.now() + 3_000;
      let got: unknown;
      while (Date.now() < deadline) {
        got = await r.read(['k']).catch((e: unknown) => e);
        if (Array.isArray(got)) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      expect(got).toEqual([['f', '1']]);
    });

    it('fails a call Redis does not answer within the timeout', async () => {
      const r = reader(dedicated.url, 1, 300);
      const blocker = new Redis(dedicated.url);
      try {
        await blocker.hset('slow', 'f', '1');
        // CLIENT PAUSE holds every client's commands for 1 s; the reader's call times out
        // instead of hanging.
        await blocker.call('CLIENT', 'PAUSE', '1000', 'ALL');
        const started = Date.now();
        const err = await r.read(['slow']).catch((e: unknown) => e);
        expect((err as FeatureStreamError).code).toBe('REDIS_UNREACHABLE');
        expect((err as Error).message).toMatch(/no reply within 300 ms/);
        expect(Date.now() - started).toBeLessThan(900);
      } finally {
        blocker.disconnect();
      }
    });
  });
});
