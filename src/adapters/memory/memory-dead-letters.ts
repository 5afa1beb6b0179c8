import type { DeadLetter, DeadLetterSink } from '../../ports/dead-letter.js';

/** Dead letters kept in memory (embedded mode): the most recent `limit`, plus counts. */
export class MemoryDeadLetters implements DeadLetterSink {
  readonly records: DeadLetter[] = [];
  total = 0;

  constructor(private readonly limit = 10_000) {}

  send(records: readonly DeadLetter[]): Promise<void> {
    this.total += records.length;
    this.records.push(...records);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
    return Promise.resolve();
  }
}
