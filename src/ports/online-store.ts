import type { StoredVector } from '../core/values/stored-vector.js';
import type { EntityOutput } from '../core/windowing/view-runtime.js';

/** The online keyspace of one view version. */
export interface ViewKeyspace {
  readonly view: string;
  readonly version: string;
  /** Feature names in feature-index order. */
  readonly features: readonly string[];
  readonly ttlMs: number;
}

/**
 * One entity's write: public values, engine state and the applied-offset fence, together.
 * `state` is null when only values changed (a decay): the stored state stays valid, since
 * restoring it and settling again yields the same values.
 */
export interface EntityWrite extends EntityOutput {
  /** The source partition the entity lives in. */
  readonly partition: number;
}

export interface StoredState {
  readonly state: Uint8Array;
  readonly fence: number;
}

/** A slice of the entity states of one partition, loaded when the partition is assigned. */
export type PartitionStates = readonly { readonly key: string; readonly stored: StoredState }[];

export type RegistryKind = 'view' | 'service';

/** A public feature vector as stored: field/value strings (see `encodeFieldValue`). */
export type { StoredVector };

/**
 * The online store (Redis in production, memory in embedded mode). Each entity write is atomic
 * (values + state + fence) and ignored when the stored fence is already at or above its fence.
 */
export interface OnlineStore {
  readonly kind: string;
  loadStates(space: ViewKeyspace, keys: readonly string[]): Promise<(StoredState | null)[]>;
  /** Every stored entity state of a source partition, in slices. */
  loadPartition(space: ViewKeyspace, partition: number): AsyncIterable<PartitionStates>;
  writeEntities(space: ViewKeyspace, writes: readonly EntityWrite[], nowMs: number): Promise<void>;
  /** Public vectors (features + `_asof` + `_updated`); null for a missing entity. */
  readVectors(
    view: string,
    version: string,
    keys: readonly string[],
  ): Promise<(StoredVector | null)[]>;
  /** Several views' vectors in one round trip; results in request order. */
  readMany(
    requests: readonly { view: string; version: string; keys: readonly string[] }[],
  ): Promise<(StoredVector | null)[][]>;
  /**
   * The registry beside the values: each version's definition (a view's IR, a feature service's
   * resolved refs) and the current version, so serving can answer for pinned older versions.
   */
  register(
    kind: RegistryKind,
    name: string,
    version: string,
    definition: unknown,
    makeCurrent: boolean,
  ): Promise<void>;
  /** All registered versions of `name` with their definitions (parsed JSON). */
  versions(kind: RegistryKind, name: string): Promise<Map<string, unknown>>;
  current(kind: RegistryKind, name: string): Promise<string | null>;
  /**
   * Up to `n` distinct entity keys of a view version, drawn at random from the entities with
   * engine state (consistency checks). An entity whose values have just expired may be included.
   */
  sampleEntities(view: string, version: string, n: number): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
