import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type {
  EventSource,
  PartitionCheckpoint,
  SourceHandlers,
  SourceRecord,
  TopicPartition,
} from '../../ports/event-source.js';

interface CommitMetadata {
  readonly v: 1;
  readonly maxEventTime: number | null;
}

function parseMetadata(meta: string | null | undefined): number {
  if (meta === null || meta === undefined || meta === '') return -Infinity;
  try {
    const m = JSON.parse(meta) as Partial<CommitMetadata>;
    return typeof m.maxEventTime === 'number' ? m.maxEventTime : -Infinity;
  } catch {
    return -Infinity;
  }
}

export interface KafkaSourceOptions {
  readonly groupId: string;
  /** How many partitions are processed at once (default: 4). */
  readonly concurrency?: number;
  /** Start from the earliest offset when the group has no commit (default: true). */
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
  /** Partitions of source topics this source creates when they do not exist (default 6). */
  readonly createPartitions?: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Kafka as the event source: one consumer group, batches per partition, offsets committed only
 * after the batch's effects are durable, with the partition clock (max event time) stored in the
 * commit metadata so a restart resumes with the same watermark.
 */
export class KafkaEventSource implements EventSource {
  private consumer: Consumer | undefined;
  private readonly ready = new Map<string, Promise<void>>();
  private readonly owned = new Set<string>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaSourceOptions,
  ) {}

  async start(topics: readonly string[], handlers: SourceHandlers): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((this.options.sessionTimeoutMs ?? 30_000) / 3)),
      // Short fetch waits: a rebalance is noticed within ~0.5 s instead of 5 s.
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 4 * 1024 * 1024,
      retry: { retries: 10, initialRetryTime: 300 },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assigned = new Set<string>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const p of partitions) assigned.add(tpKey(topic, p));
      }
      const revoked: TopicPartition[] = [];
      for (const k of this.owned) {
        if (!assigned.has(k)) {
          const [topic = '', partition = '0'] = k.split('\u0000');
          revoked.push({ topic, partition: Number(partition) });
          this.owned.delete(k);
          this.ready.delete(k);
        }
      }
      if (revoked.length > 0) void handlers.onRevoked(revoked);
    });
    await this.ensureTopics(topics);
    await consumer.connect();
    for (const topic of topics)
      await consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 4,
      eachBatch: (payload) => this.onBatch(payload, handlers),
    });
  }

  /** Creates missing source topics: subscribing to one that does not exist fails. */
  private async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin
          .createTopics({
            topics: missing.map((topic) => ({
              topic,
              numPartitions: this.options.createPartitions ?? 6,
              replicationFactor: -1,
            })),
            waitForLeaders: true,
          })
          .catch((err: unknown) => {
            // Another engine may have created it meanwhile.
            if (!(err instanceof Error) || !/already exists/i.test(err.message)) throw err;
          });
      }
      await admin.fetchTopicMetadata({ topics: [...topics] });
    } finally {
      await admin.disconnect();
    }
  }

  private ensureAssigned(
    topic: string,
    partition: number,
    handlers: SourceHandlers,
  ): Promise<void> {
    const k = tpKey(topic, partition);
    let p = this.ready.get(k);
    if (p === undefined) {
      p = (async () => {
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          const offsets = await admin.fetchOffsets({
            groupId: this.options.groupId,
            topics: [topic],
          });
          const entry = offsets
            .find((t) => t.topic === topic)
            ?.partitions.find((x) => x.partition === partition);
          const offset = entry === undefined ? -1 : Number(entry.offset);
          const checkpoint: PartitionCheckpoint | undefined =
            entry === undefined || offset < 0
              ? undefined
              : {
                  topic,
                  partition,
                  nextOffset: offset,
                  maxEventTime: parseMetadata(entry.metadata),
                };
          await handlers.onAssigned([{ topic, partition, checkpoint }]);
          this.owned.add(k);
        } finally {
          await admin.disconnect();
        }
      })();
      p.catch(() => this.ready.delete(k));
      this.ready.set(k, p);
    }
    return p;
  }

  private async onBatch(payload: EachBatchPayload, handlers: SourceHandlers): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    await this.ensureAssigned(batch.topic, batch.partition, handlers);
    const records: SourceRecord[] = batch.messages.map((m) => ({
      offset: Number(m.offset),
      key: m.key,
      value: m.value,
      timestamp: Number(m.timestamp),
    }));
    const checkpoint = await handlers.onBatch({
      topic: batch.topic,
      partition: batch.partition,
      records,
      highWatermark: Number(batch.highWatermark),
      heartbeat: () => payload.heartbeat(),
      isStale: () => payload.isStale(),
    });
    if (checkpoint === undefined || payload.isStale()) return;
    payload.resolveOffset(batch.lastOffset());
    const metadata: CommitMetadata = {
      v: 1,
      maxEventTime: Number.isFinite(checkpoint.maxEventTime) ? checkpoint.maxEventTime : null,
    };
    await this.consumer?.commitOffsets([
      {
        topic: batch.topic,
        partition: batch.partition,
        offset: String(checkpoint.nextOffset),
        metadata: JSON.stringify(metadata),
      },
    ]);
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = undefined;
    if (c !== undefined) await c.disconnect();
  }

  pause(partitions: readonly TopicPartition[]): void {
    this.consumer?.pause(groupBy(partitions));
  }

  resume(partitions: readonly TopicPartition[]): void {
    this.consumer?.resume(groupBy(partitions));
  }
}

function groupBy(tps: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const m = new Map<string, number[]>();
  for (const tp of tps) {
    const list = m.get(tp.topic) ?? [];
    list.push(tp.partition);
    m.set(tp.topic, list);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
