/** A record the engine could not use, with the reason and where it came from. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly reason: string;
  readonly detail: string;
}

/** Where dead letters go: `<topic>.dlq` on Kafka; a list in memory. At-least-once. */
export interface DeadLetterSink {
  send(records: readonly DeadLetter[]): Promise<void>;
}
