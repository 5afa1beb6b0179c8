import type { Scalar, FeatureValue } from '../aggregation/aggregator.js';
import type { ByteWriter } from '../encoding/bytes.js';
import type { ApplyResult, HistoryRow } from './window-steps.js';
import type { ViewPlan } from './view-plan.js';

/** One entity's online write: its values as of `asOf`, and its state bytes when they changed. */
export interface EntityOutput {
  readonly key: string;
  readonly asOf: number;
  readonly values: readonly FeatureValue[];
  /** State bytes (a view of the batch's arena), or null when only the values changed (decay). */
  readonly state: Uint8Array | null;
  /** The entity has no stored state yet (the store indexes it under its partition). */
  readonly isNew: boolean;
  /** Highest source offset applied to the entity. A write never lowers a stored fence. */
  readonly fence: number;
}

/**
 * The windowing state machine of one view on one source partition, as the engine drives it
 * (semantics.md; `partition-runtime.ts` documents the steps). Two implementations keep the same
 * semantics and the same state bytes: `RecordRuntime` (entities as records in one
 * `Float64Array`; what the engine runs) and `PartitionRuntime` (entities as objects; the
 * reference the record runtime is tested against, and `--runtime object` in the benchmarks).
 */
export interface ViewRuntime {
  readonly plan: ViewPlan;
  /** Max event time seen on the partition (including replayed events). */
  maxEventTime: number;
  /** Events before it are late; times before it are settled. */
  readonly watermark: number;
  /** Entities held in memory. */
  readonly entityCount: number;
  /** Advances the clock for an event this view does not apply (filtered, or idle time). */
  observe(t: number): void;
  apply(key: string, t: number, inputs: readonly (Scalar | null)[], offset: number): ApplyResult;
  /** Settles everything before `wm` (default: the watermark): history rows, decays. */
  advance(wm?: number): void;
  takeRows(): HistoryRow[];
  /**
   * The online writes of every entity whose values changed since the last call (state bytes
   * appended to `arena` when events were applied); marks them written.
   */
  takeWrites(arena: ByteWriter): EntityOutput[];
  /** Forgets which entities changed (their online values are written some other way). */
  dropWrites(): void;
  /**
   * Installs an entity from persisted state bytes — into a runtime that does not hold the key
   * (the engine restores a partition's entities into fresh runtimes); a held key throws.
   */
  restore(key: string, bytes: Uint8Array): void;
  /** Keys of the entities held, in a fixed order until the next entity is added. */
  entityKeys(): string[];
  /** The full online write of one held entity (values and state bytes). */
  snapshotWrite(key: string, arena: ByteWriter): EntityOutput;
}

/** The error of `restore` for a key the runtime already holds. */
export function heldMessage(key: string): string {
  return `restore: entity ${JSON.stringify(key)} is already held by this runtime (restore into a fresh runtime)`;
}
