/** Encoded records on their way to a source topic (Kafka, or the embedded log). */
export interface ProducedRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
}

export interface EventProducer {
  /** Makes sure the topic exists (with `partitions` partitions when it has to be created). */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  send(topic: string, records: readonly ProducedRecord[]): Promise<void>;
  close(): Promise<void>;
}
