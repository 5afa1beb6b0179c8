import { readFileSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { FeatureStreamError } from '../../core/errors.js';
import { encodeFieldValue } from '../../core/values/field-value.js';
import { StoredVector } from '../../core/values/stored-vector.js';
import type {
  EntityWrite,
  OnlineStore,
  PartitionStates,
  RegistryKind,
  StoredState,
  ViewKeyspace,
} from '../../ports/online-store.js';
import { HashReader } from './hash-reader.js';
import type { HashReaderOptions } from './hash-reader.js';
import { currentKey, partitionIndexKey, stateKey, vectorKey, versionsKey } from './keys.js';
import { LuaPack } from './lua-pack.js';

const WRITE_ENTITIES = readFileSync(
  new URL('./scripts/write-entities.lua', import.meta.url),
  'utf8',
);

/**
 * Entities per `write-entities.lua` call: large enough that the client's per-command cost
 * vanishes, small enough that one call holds Redis for well under a millisecond.
 */
const ENTITIES_PER_CALL = 64;
/** Initial packing buffer of one call (≈ 64 fraud-view entities with their state). */
const PACK_BYTES = 32 * 1024;

type Client = Redis | Cluster;
type WithScripts = {
  /** `numKeys`, then 2 keys per entity, then the ttl and the packed entities (see the script). */
  fsWriteEntities(numKeys: number, ...args: (string | Buffer)[]): Promise<number>;
  /** The same script for one entity (its two keys first, so a cluster routes it by them). */
  fsWriteEntity(publicKey: string, stateKey: string, ttl: string, packed: Buffer): Promise<number>;
};

/**
 * Parses REDIS_URL: one `redis://` URL, one `unix:///path/to/redis.sock`, or a comma-separated
 * list of cluster nodes.
 */
export function connectRedis(url: string, options: RedisOptions = {}): Client {
  const urls = url
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u.length > 0);
  const base: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableAutoPipelining: true,
    ...options,
  };
  const only = urls[0] ?? 'redis://127.0.0.1:6379';
  if (urls.length === 1 && /^unix:/i.test(only)) {
    return new Redis({ ...base, path: decodeURIComponent(new URL(only).pathname) });
  }
  if (urls.length > 1) {
    return new Cluster(
      urls.map((u) => {
        const parsed = new URL(u);
        return { host: parsed.hostname, port: Number(parsed.port || 6379) };
      }),
      { lazyConnect: true, enableAutoPipelining: true, redisOptions: base },
    );
  }
  return new Redis(only, base);
}

/**
 * The online store on Redis (single node or cluster). Writes go through a Lua script that
 * writes each entity's values + state + fence atomically, up to `ENTITIES_PER_CALL` entities
 * per call (one per call on a cluster, whose calls must stay within a slot), pipelined.
 */
export class RedisOnlineStore implements OnlineStore {
  readonly kind = 'redis';

  /**
   * @param hashes reads vectors over raw pipelined connections (the serving hot path) when the
   *   URL allows it (`HashReader.forUrl`); else `client` reads them.
   */
  constructor(
    private readonly client: Client,
    private readonly hashes?: HashReader,
  ) {
    client.defineCommand('fsWriteEntities', { lua: WRITE_ENTITIES });
    client.defineCommand('fsWriteEntity', { numberOfKeys: 2, lua: WRITE_ENTITIES });
  }

  /**
   * Commands are auto-pipelined: those issued in the same tick go out as one batch (per node on a
   * cluster), so a flush of many entities is one round trip and no pipeline crosses cluster slots.
   */
  static async connect(url: string, reads: HashReaderOptions = {}): Promise<RedisOnlineStore> {
    // At start, give up after a few attempts (a wrong URL fails fast); once connected, reconnect
    // forever with backoff (an outage pauses the engine; it never crashes it).
    let connected = false;
    const client = connectRedis(url, {
      retryStrategy: (times) =>
        !connected && times > 3 ? null : Math.min(2_000, 100 * 2 ** Math.min(times, 5)),
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      connected = true;
    } catch (err) {
      client.disconnect();
      throw new FeatureStreamError(
        'REDIS_UNREACHABLE',
        `cannot reach Redis at REDIS_URL=${url}: ${err instanceof Error ? err.message : String(err)}`,
        {
          domain: 'external',
          retriable: true,
          fix: 'start Redis (npm run services up) or set REDIS_URL to a reachable redis:// URL; unset it to use the in-memory store',
          cause: err,
        },
      );
    }
    return new RedisOnlineStore(client, HashReader.forUrl(url, reads));
  }

  get redis(): Client {
    return this.client;
  }

  async loadStates(ks: ViewKeyspace, keys: readonly string[]): Promise<(StoredState | null)[]> {
    const res = await Promise.all(
      keys.map((k) => this.client.hmgetBuffer(stateKey(ks.view, ks.version, k), 's', 'f')),
    );
    return res.map(([s, f]) =>
      s === null || s === undefined || f === null || f === undefined
        ? null
        : { state: new Uint8Array(s), fence: Number(f.toString()) },
    );
  }

  async *loadPartition(ks: ViewKeyspace, partition: number): AsyncIterable<PartitionStates> {
    const setKey = partitionIndexKey(ks.view, ks.version, partition);
    let cursor = '0';
    do {
      const [next, members] = await this.client.sscan(setKey, cursor, 'COUNT', 1000);
      cursor = next;
      if (members.length === 0) continue;
      const states = await this.loadStates(ks, members);
      const out: { key: string; stored: StoredState }[] = [];
      const gone: string[] = [];
      members.forEach((key, i) => {
        const stored = states[i];
        if (stored === null || stored === undefined) gone.push(key);
        else out.push({ key, stored });
      });
      if (gone.length > 0) await this.client.srem(setKey, ...gone);
      if (out.length > 0) yield out;
    } while (cursor !== '0');
  }

  async writeEntities(
    ks: ViewKeyspace,
    writes: readonly EntityWrite[],
    nowMs: number,
  ): Promise<void> {
    if (writes.length === 0) return;
    // Index first: the partition set must list every entity whose state exists.
    const byPartition = new Map<number, string[]>();
    for (const w of writes) {
      if (!w.isNew) continue;
      let list = byPartition.get(w.partition);
      if (list === undefined) byPartition.set(w.partition, (list = []));
      list.push(w.key);
    }
    await Promise.all(
      [...byPartition].map(([partition, keys]) =>
        this.client.sadd(partitionIndexKey(ks.view, ks.version, partition), ...keys),
      ),
    );
    const updated = String(nowMs);
    const ttl = String(ks.ttlMs);
    const client = this.client as Client & WithScripts;
    // A cluster routes (and auto-pipelines) a call by its first key: one entity per call there.
    const oneEach = client instanceof Cluster;
    const perCall = oneEach ? 1 : ENTITIES_PER_CALL;
    const calls: Promise<number>[] = [];
    for (let from = 0; from < writes.length; from += perCall) {
      const to = Math.min(writes.length, from + perCall);
      const keys: string[] = [];
      // One small buffer per call: reused heap memory, where one buffer growing to the size of
      // the whole flush (megabytes) is fresh pages and copies on every doubling.
      const pack = new LuaPack(PACK_BYTES);
      pack.array(to - from);
      for (let i = from; i < to; i++) {
        const w = writes[i] as EntityWrite;
        keys.push(vectorKey(ks.view, ks.version, w.key), stateKey(ks.view, ks.version, w.key));
        packEntity(pack, ks.features, w, updated);
      }
      const packed = pack.bytes();
      calls.push(
        oneEach
          ? client.fsWriteEntity(keys[0] ?? '', keys[1] ?? '', ttl, packed)
          : client.fsWriteEntities(keys.length, ...keys, ttl, packed),
      );
    }
    await Promise.all(calls);
  }

  async readVectors(
    view: string,
    version: string,
    keys: readonly string[],
  ): Promise<(StoredVector | null)[]> {
    if (keys.length === 1 && this.hashes === undefined)
      return [await this.readVector(vectorKey(view, version, keys[0] ?? ''))];
    return (await this.readMany([{ view, version, keys }]))[0] ?? [];
  }

  /**
   * One hash as the flat field/value reply. Sent as `HGETALL` in capitals: ioredis looks reply
   * transformers up by the exact command name, so this skips the one that turns the reply into
   * an object (keys for cluster routing are looked up case-insensitively). Should a future
   * ioredis transform it anyway, the object is turned back into pairs.
   */
  private async readVector(key: string): Promise<StoredVector | null> {
    const reply: unknown = await this.client.call('HGETALL', key);
    if (Array.isArray(reply))
      return reply.length === 0 ? null : new StoredVector(reply as string[]);
    const vector = StoredVector.fromRecord((reply ?? {}) as Record<string, string>);
    return vector.pairs.length === 0 ? null : vector;
  }

  async readMany(
    requests: readonly { view: string; version: string; keys: readonly string[] }[],
  ): Promise<(StoredVector | null)[][]> {
    if (this.hashes !== undefined) {
      const keys: string[] = [];
      for (const r of requests) for (const k of r.keys) keys.push(vectorKey(r.view, r.version, k));
      const replies = await this.hashes.read(keys);
      let at = 0;
      return requests.map((r) =>
        r.keys.map(() => {
          const pairs = replies[at++];
          return pairs === null || pairs === undefined ? null : new StoredVector(pairs);
        }),
      );
    }
    return Promise.all(
      requests.map((r) =>
        Promise.all(r.keys.map((k) => this.readVector(vectorKey(r.view, r.version, k)))),
      ),
    );
  }

  async register(
    kind: RegistryKind,
    name: string,
    version: string,
    definition: unknown,
    makeCurrent: boolean,
  ): Promise<void> {
    // Two keys in different cluster slots: the definition first, then the pointer to it.
    await this.client.hset(versionsKey(kind, name), version, JSON.stringify(definition));
    if (makeCurrent) await this.client.set(currentKey(kind, name), version);
  }

  async versions(kind: RegistryKind, name: string): Promise<Map<string, unknown>> {
    const h = await this.client.hgetall(versionsKey(kind, name));
    return new Map(Object.entries(h).map(([v, json]) => [v, JSON.parse(json) as unknown]));
  }

  async current(kind: RegistryKind, name: string): Promise<string | null> {
    return this.client.get(currentKey(kind, name));
  }

  async sampleEntities(view: string, version: string, n: number): Promise<string[]> {
    if (n <= 0) return [];
    // The partition index sets `fsx:{view}:{version}:p:{partition}` list every entity with
    // state; draw from each in proportion to its size (SRANDMEMBER: distinct members).
    const pattern = `${partitionIndexKey(view, version, 0).slice(0, -1)}*`;
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    const sets = new Set<string>();
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const k of keys) sets.add(k);
      } while (cursor !== '0');
    }
    const keys = [...sets];
    const sizes = await Promise.all(keys.map((k) => this.client.scard(k)));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const out = new Set<string>();
    for (let i = 0; i < keys.length; i++) {
      const want = Math.min(sizes[i] ?? 0, Math.ceil((n * (sizes[i] ?? 0)) / total));
      if (want === 0) continue;
      for (const m of await this.client.srandmember(keys[i] ?? '', want)) out.add(m);
    }
    return shuffled([...out]).slice(0, n);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    this.hashes?.close();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function shuffled<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j] as T, xs[i] as T];
  }
  return xs;
}

/** Encoded values of the entity being packed (reused: packing is synchronous). */
const encoded: (string | undefined)[] = [];

/** One entity for write-entities.lua: { fence, asof, state, n, field/value pairs…, deletes… }. */
function packEntity(
  pack: LuaPack,
  features: readonly string[],
  w: EntityWrite,
  updated: string,
): void {
  let present = 0;
  for (let i = 0; i < features.length; i++) {
    const v = encodeFieldValue(w.values[i] ?? null);
    encoded[i] = v;
    if (v !== undefined) present++;
  }
  const n = present + 2;
  pack.array(4 + 2 * n + (features.length - present));
  const asOf = String(w.asOf);
  pack.str(String(w.fence));
  pack.str(asOf);
  if (w.state === null) pack.str('');
  else pack.raw(w.state);
  pack.str(String(n));
  for (let i = 0; i < features.length; i++) {
    const v = encoded[i];
    if (v === undefined) continue;
    pack.str(features[i] as string);
    pack.str(v);
  }
  pack.str('_asof');
  pack.str(asOf);
  pack.str('_updated');
  pack.str(updated);
  for (let i = 0; i < features.length; i++) {
    if (encoded[i] === undefined) pack.str(features[i] as string);
  }
}
