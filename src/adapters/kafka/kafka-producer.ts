import type { Kafka, Producer } from 'kafkajs';
import type { EventProducer, ProducedRecord } from '../../ports/event-producer.js';

/**
 * Produces encoded records to Kafka, keyed (so an entity stays in one partition), acks=all, with
 * the idempotent producer: a send that kafkajs retries (timeout, lost connection, leader change)
 * is written once, not twice — a duplicate would be counted twice by the engine (it has its own
 * offset). Retries are bounded, so an unreachable cluster fails the send instead of hanging.
 */
export class KafkaEventProducer implements EventProducer {
  private producer: Producer | undefined;

  constructor(private readonly kafka: Kafka) {}

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) {
        await admin.createTopics({
          topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
          waitForLeaders: true,
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  async send(topic: string, records: readonly ProducedRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.producer === undefined) {
      const p = this.kafka.producer({
        allowAutoTopicCreation: false,
        idempotent: true,
        maxInFlightRequests: 1,
        retry: { retries: 10, initialRetryTime: 300 },
      });
      await p.connect();
      this.producer = p;
    }
    await this.producer.send({
      topic,
      acks: -1,
      messages: records.map((r) => ({
        key: r.key === null ? null : Buffer.from(r.key.buffer, r.key.byteOffset, r.key.byteLength),
        value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
