import { encodeFieldValue } from '../../core/values/field-value.js';
import { StoredVector } from '../../core/values/stored-vector.js';
import type {
  EntityWrite,
  OnlineStore,
  StoredState,
  ViewKeyspace,
} from '../../ports/online-store.js';
import type { PartitionStates, RegistryKind } from '../../ports/online-store.js';

interface Entry {
  vector: Record<string, string>;
  asOf: number;
  state: StoredState;
  partition: number;
  expiresAt: number;
}

/**
 * The online store in process memory (embedded mode and unit tests). Same semantics as Redis:
 * fenced writes, TTL, null values as absent fields.
 */
export class MemoryOnlineStore implements OnlineStore {
  readonly kind = 'memory';
  private readonly spaces = new Map<string, Map<string, Entry>>();
  private readonly registry = new Map<string, Map<string, unknown>>();
  private readonly current_ = new Map<string, string>();

  constructor(private readonly clock: () => number = Date.now) {}

  private space(view: string, version: string): Map<string, Entry> {
    const id = `${view}\u0000${version}`;
    let s = this.spaces.get(id);
    if (s === undefined) {
      s = new Map();
      this.spaces.set(id, s);
    }
    return s;
  }

  private live(space: Map<string, Entry>, key: string): Entry | undefined {
    const e = space.get(key);
    if (e !== undefined && e.expiresAt <= this.clock()) {
      space.delete(key);
      return undefined;
    }
    return e;
  }

  loadStates(ks: ViewKeyspace, keys: readonly string[]): Promise<(StoredState | null)[]> {
    const space = this.space(ks.view, ks.version);
    return Promise.resolve(keys.map((k) => this.live(space, k)?.state ?? null));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- same async shape as the Redis store
  async *loadPartition(
    ks: ViewKeyspace,
    partition: number,
    batchSize = 1000,
  ): AsyncIterable<PartitionStates> {
    const space = this.space(ks.view, ks.version);
    let batch: { key: string; stored: StoredState }[] = [];
    for (const key of [...space.keys()]) {
      const e = this.live(space, key);
      if (e === undefined || e.partition !== partition) continue;
      batch.push({ key, stored: e.state });
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  writeEntities(ks: ViewKeyspace, writes: readonly EntityWrite[], nowMs: number): Promise<void> {
    const space = this.space(ks.view, ks.version);
    for (const w of writes) {
      const prev = this.live(space, w.key);
      // Same rule as the Redis script: never lower the fence, never move _asof back at equal fence.
      if (
        prev !== undefined &&
        (prev.state.fence > w.fence || (prev.state.fence === w.fence && prev.asOf > w.asOf))
      )
        continue;
      const vector: Record<string, string> = {};
      ks.features.forEach((name, i) => {
        const v = encodeFieldValue(w.values[i] ?? null);
        if (v !== undefined) vector[name] = v;
      });
      vector._asof = String(w.asOf);
      vector._updated = String(nowMs);
      const state = w.state === null ? prev?.state.state : w.state.slice();
      if (state === undefined) continue;
      space.set(w.key, {
        vector,
        asOf: w.asOf,
        state: { state, fence: w.fence },
        partition: w.partition,
        expiresAt: this.clock() + ks.ttlMs,
      });
    }
    return Promise.resolve();
  }

  readVectors(
    view: string,
    version: string,
    keys: readonly string[],
  ): Promise<(StoredVector | null)[]> {
    const space = this.space(view, version);
    return Promise.resolve(
      keys.map((k) => {
        const e = this.live(space, k);
        return e === undefined ? null : StoredVector.fromRecord(e.vector);
      }),
    );
  }

  async readMany(
    requests: readonly { view: string; version: string; keys: readonly string[] }[],
  ): Promise<(StoredVector | null)[][]> {
    return Promise.all(requests.map((r) => this.readVectors(r.view, r.version, r.keys)));
  }

  register(
    kind: RegistryKind,
    name: string,
    version: string,
    definition: unknown,
    makeCurrent: boolean,
  ): Promise<void> {
    const id = `${kind}\u0000${name}`;
    let versions = this.registry.get(id);
    if (versions === undefined) this.registry.set(id, (versions = new Map<string, unknown>()));
    versions.set(version, JSON.parse(JSON.stringify(definition)) as unknown);
    if (makeCurrent) this.current_.set(id, version);
    return Promise.resolve();
  }

  versions(kind: RegistryKind, name: string): Promise<Map<string, unknown>> {
    return Promise.resolve(new Map(this.registry.get(`${kind}\u0000${name}`) ?? []));
  }

  current(kind: RegistryKind, name: string): Promise<string | null> {
    return Promise.resolve(this.current_.get(`${kind}\u0000${name}`) ?? null);
  }

  sampleEntities(view: string, version: string, n: number): Promise<string[]> {
    const space = this.space(view, version);
    const keys = [...space.keys()].filter((k) => this.live(space, k) !== undefined);
    // Partial Fisher–Yates: the first min(n, size) keys become a uniform random sample.
    const m = Math.min(Math.max(0, n), keys.length);
    for (let i = 0; i < m; i++) {
      const j = i + Math.floor(Math.random() * (keys.length - i));
      [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
    }
    return Promise.resolve(keys.slice(0, m));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
