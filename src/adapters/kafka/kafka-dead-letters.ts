import type { Kafka, Producer } from 'kafkajs';
import type { DeadLetter, DeadLetterSink } from '../../ports/dead-letter.js';

/** The dead-letter topic of a source topic. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Dead letters to `<topic>.dlq`: the original key and value, with the reason and the source
 * coordinates in headers (`fs-reason`, `fs-detail`, `fs-topic`, `fs-partition`, `fs-offset`).
 */
export class KafkaDeadLetters implements DeadLetterSink {
  private producer: Producer | undefined;

  constructor(private readonly kafka: Kafka) {}

  private async connected(): Promise<Producer> {
    if (this.producer === undefined) {
      const p = this.kafka.producer({ allowAutoTopicCreation: true, idempotent: false });
      await p.connect();
      this.producer = p;
    }
    return this.producer;
  }

  async send(records: readonly DeadLetter[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.connected();
    const byTopic = new Map<string, DeadLetter[]>();
    for (const r of records) {
      const list = byTopic.get(r.topic) ?? [];
      list.push(r);
      byTopic.set(r.topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic: deadLetterTopic(topic),
        messages: list.map((r) => ({
          key: r.key === null ? null : Buffer.from(r.key),
          value: r.value === null ? null : Buffer.from(r.value),
          headers: {
            'fs-reason': r.reason,
            'fs-detail': r.detail.slice(0, 1000),
            'fs-topic': r.topic,
            'fs-partition': String(r.partition),
            'fs-offset': String(r.offset),
          },
        })),
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }
}
