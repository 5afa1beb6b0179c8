/**
 * Where raw events come from: Kafka in production, an in-process queue in embedded mode.
 * Records arrive in batches per (topic, partition), in offset order. The engine commits a
 * checkpoint only after every effect of the records before it is durable.
 */
export interface SourceRecord {
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Broker/producer timestamp in epoch ms (not the event time). */
  readonly timestamp: number;
}

export interface SourceBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly SourceRecord[];
  /** Offset of the next record the broker has (for lag); -1 when unknown. */
  readonly highWatermark: number;
  /** Keeps group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** True when the partition was revoked while the batch was being processed. */
  isStale(): boolean;
}

/** What survives a restart besides per-entity state: where to resume and the partition clock. */
export interface PartitionCheckpoint {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly nextOffset: number;
  /** Max event time seen before `nextOffset` (the watermark's base); -Infinity if none. */
  readonly maxEventTime: number;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface SourceHandlers {
  /** Partitions newly owned, with their last checkpoint (if any). Runs before their batches. */
  onAssigned(
    partitions: readonly (TopicPartition & { checkpoint: PartitionCheckpoint | undefined })[],
  ): Promise<void>;
  /** Partitions no longer owned: drop their in-memory state. */
  onRevoked(partitions: readonly TopicPartition[]): Promise<void>;
  /** One batch; resolves when its effects are durable and may be committed. */
  onBatch(batch: SourceBatch): Promise<PartitionCheckpoint | undefined>;
}

export interface EventSource {
  /** Starts consuming `topics`; returns once running. */
  start(topics: readonly string[], handlers: SourceHandlers): Promise<void>;
  /** Stops fetching, waits for in-flight batches and their commits, leaves the group. */
  stop(): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
}
