import type { EventOf, Schema } from './schema.js';

export type SourceFormat = 'json' | 'avro';

/** Where events come from: a Kafka topic, its codec and schema, event time and message key. */
export interface Source<S extends Schema = Schema> {
  readonly kind: 'source';
  readonly name: string;
  readonly topic: string;
  readonly format: SourceFormat;
  readonly schema: S;
  /** A timestamp field of the schema, or a function returning epoch milliseconds. */
  readonly eventTime: (keyof S & string) | ((event: EventOf<S>) => number);
  /** Fields forming the Kafka message key (the partitioning key producers use). */
  readonly key: readonly (keyof S & string)[];
  readonly description: string | undefined;
}

export function source<S extends Schema>(
  name: string,
  options: {
    topic?: string;
    format?: SourceFormat;
    schema: S;
    eventTime: (keyof S & string) | ((event: EventOf<S>) => number);
    key: readonly [keyof S & string, ...(keyof S & string)[]];
    description?: string;
  },
): Source<S> {
  return {
    kind: 'source',
    name,
    topic: options.topic ?? name,
    format: options.format ?? 'json',
    schema: options.schema,
    eventTime: options.eventTime,
    key: [...options.key],
    description: options.description,
  };
}
