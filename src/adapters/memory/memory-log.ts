import type { EventProducer, ProducedRecord } from '../../ports/event-producer.js';
import type {
  EventSource,
  PartitionCheckpoint,
  SourceHandlers,
  SourceRecord,
  TopicPartition,
} from '../../ports/event-source.js';

type StoredRecord = SourceRecord;

/**
 * An in-process partitioned log: the event source of embedded mode (demo generator, HTTP push).
 * Records are partitioned by a hash of their key, like Kafka, so an entity lives in one partition.
 */
export class MemoryLog {
  private readonly topics = new Map<string, StoredRecord[][]>();
  readonly commits = new Map<string, PartitionCheckpoint>();

  constructor(readonly partitions = 4) {}

  log(topic: string): StoredRecord[][] {
    let t = this.topics.get(topic);
    if (t === undefined) {
      t = Array.from({ length: this.partitions }, () => []);
      this.topics.set(topic, t);
    }
    return t;
  }

  partitionOf(key: Uint8Array | null): number {
    if (key === null) return 0;
    let h = 0x811c9dc5;
    for (const b of key) h = Math.imul(h ^ b, 0x01000193);
    return (h >>> 0) % this.partitions;
  }

  append(
    topic: string,
    key: Uint8Array | null,
    value: Uint8Array | null,
    timestamp = Date.now(),
  ): { partition: number; offset: number } {
    const partition = this.partitionOf(key);
    const list = this.log(topic)[partition] ?? [];
    const offset = list.length;
    list.push({ offset, key, value, timestamp });
    return { partition, offset };
  }

  size(topic: string): number {
    return this.log(topic).reduce((n, p) => n + p.length, 0);
  }
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Consumes a MemoryLog like a one-member consumer group, with commits kept in the log. */
export class MemoryEventSource implements EventSource {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly paused = new Set<string>();

  constructor(
    private readonly memLog: MemoryLog,
    private readonly maxBatch = 2_000,
  ) {}

  async start(topics: readonly string[], handlers: SourceHandlers): Promise<void> {
    const tps: TopicPartition[] = topics.flatMap((topic) =>
      Array.from({ length: this.memLog.partitions }, (_, partition) => ({ topic, partition })),
    );
    await handlers.onAssigned(
      tps.map((tp) => ({
        ...tp,
        checkpoint: this.memLog.commits.get(tpKey(tp.topic, tp.partition)),
      })),
    );
    this.running = true;
    this.loop = this.run(tps, handlers);
  }

  private async run(tps: readonly TopicPartition[], handlers: SourceHandlers): Promise<void> {
    while (this.running) {
      let worked = false;
      await Promise.all(
        tps.map(async ({ topic, partition }) => {
          const k = tpKey(topic, partition);
          if (this.paused.has(k)) return;
          const records = this.memLog.log(topic)[partition] ?? [];
          const from = this.memLog.commits.get(k)?.nextOffset ?? 0;
          if (from >= records.length) return;
          worked = true;
          const batch = records.slice(from, from + this.maxBatch);
          const cp = await handlers.onBatch({
            topic,
            partition,
            records: batch,
            highWatermark: records.length,
            heartbeat: () => Promise.resolve(),
            isStale: () => !this.running,
          });
          if (cp !== undefined) this.memLog.commits.set(k, cp);
        }),
      );
      if (!worked) await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.paused.add(tpKey(tp.topic, tp.partition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.paused.delete(tpKey(tp.topic, tp.partition));
  }
}

/** Produces into a MemoryLog (embedded mode). */
export class MemoryEventProducer implements EventProducer {
  constructor(private readonly memLog: MemoryLog) {}

  ensureTopic(topic: string): Promise<void> {
    this.memLog.log(topic);
    return Promise.resolve();
  }

  send(topic: string, records: readonly ProducedRecord[]): Promise<void> {
    for (const r of records) this.memLog.append(topic, r.key, r.value);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
