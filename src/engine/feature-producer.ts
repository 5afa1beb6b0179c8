import { FeatureStreamError } from '../core/errors.js';
import type { CompiledView, Row } from '../core/topology/compile.js';
import { EventReader, joinKey } from '../core/topology/event-reader.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { EventProducer, ProducedRecord } from '../ports/event-producer.js';
import type { RecordCodec } from '../ports/record-codec.js';
import type { TimeBounds } from './source-processor.js';

/** Why an event was not sent (the engine would have dead-lettered it for the same reason). */
export type RejectReason =
  'schema_violation' | 'missing_key' | 'bad_event_time' | 'absurd_timestamp' | 'undecodable';

export interface RejectedEvent {
  /** Position of the event in the array given to `send`. */
  readonly index: number;
  readonly reason: RejectReason;
  readonly detail: string;
}

export type EncodeResult =
  | { readonly ok: true; readonly record: ProducedRecord }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

export interface FeatureProducerOptions {
  /**
   * A compiled view of the source: when given, the event time is read exactly like the engine
   * reads it (field or function) and events whose time cannot be read are rejected.
   */
  readonly view?: CompiledView;
  /** With `view`: event times outside [min, now + maxFuture] are rejected (absurd_timestamp). */
  readonly bounds?: TimeBounds;
  readonly now?: () => number;
}

const utf8 = new TextEncoder();

/**
 * Produces events to a source's topic the way the engine will read them: each event is
 * validated and encoded with the source's codec (JSON, or Avro in the Confluent wire format),
 * decoded back to the row the engine will see, keyed by the source's `key` fields (composite
 * keys joined with `|`, escaped like entity keys) so an entity stays in one partition, and sent
 * through an EventProducer. Events the engine would dead-letter are returned as rejected
 * instead of being sent. The producer is the caller's: `FeatureProducer` never closes it.
 */
export class FeatureProducer {
  readonly topic: string;
  private readonly keyFields: readonly string[];
  private readonly timeReader: EventReader | undefined;
  private readonly bounds: TimeBounds | undefined;
  private readonly now: () => number;

  constructor(
    readonly source: ViewIR['source'],
    private readonly codec: RecordCodec,
    private readonly producer: EventProducer,
    options: FeatureProducerOptions = {},
  ) {
    this.topic = source.topic;
    this.keyFields = source.key;
    if (options.view !== undefined && options.view.ir.source.topic !== source.topic)
      throw new Error(`view '${options.view.name}' does not read source '${source.name}'`);
    this.timeReader = options.view === undefined ? undefined : new EventReader(options.view, []);
    this.bounds = options.bounds;
    this.now = options.now ?? Date.now;
  }

  /** Creates the topic with `partitions` partitions when it does not exist. */
  ensureTopic(partitions: number): Promise<void> {
    return this.producer.ensureTopic(this.topic, partitions);
  }

  /** Validates, encodes and keys one event without sending it. */
  encode(event: unknown): EncodeResult {
    let value: Uint8Array;
    try {
      value = this.codec.encode(event as Row);
    } catch (err) {
      if (err instanceof FeatureStreamError && err.code === 'EVENT_INVALID')
        return { ok: false, reason: 'schema_violation', detail: err.message };
      return {
        ok: false,
        reason: 'schema_violation',
        detail: err instanceof Error ? err.message : String(err),
      };
    }
    // The row exactly as the engine will decode it (timestamps normalized, unknown fields gone).
    const decoded = this.codec.decode(value);
    if (!decoded.ok) return { ok: false, reason: decoded.reason, detail: decoded.detail };
    const row = decoded.row;
    if (this.timeReader !== undefined) {
      const t = this.timeReader.eventTime(row);
      if (Number.isNaN(t))
        return { ok: false, reason: 'bad_event_time', detail: this.timeReader.error };
      const b = this.bounds;
      if (b !== undefined && (t < b.minEventTime || t > this.now() + b.maxFutureMs)) {
        return {
          ok: false,
          reason: 'absurd_timestamp',
          detail: `event time ${new Date(t).toISOString()} is outside [${new Date(b.minEventTime).toISOString()}, now + ${b.maxFutureMs} ms]`,
        };
      }
    }
    const parts: string[] = [];
    for (const name of this.keyFields) {
      const k = row[name];
      if ((typeof k !== 'string' && typeof k !== 'number') || k === '') {
        return {
          ok: false,
          reason: 'missing_key',
          detail: `key field '${name}' is ${JSON.stringify(k) ?? 'missing'}`,
        };
      }
      parts.push(typeof k === 'string' ? k : String(k));
    }
    return { ok: true, record: { key: utf8.encode(joinKey(parts)), value } };
  }

  /**
   * Sends the valid events of `events` in one call to the producer (in order, so events of one
   * key keep their order); resolves once the producer acknowledged them. Invalid events are not
   * sent and come back in `rejected`.
   */
  async send(events: readonly unknown[]): Promise<{ sent: number; rejected: RejectedEvent[] }> {
    const records: ProducedRecord[] = [];
    const rejected: RejectedEvent[] = [];
    for (let index = 0; index < events.length; index++) {
      const r = this.encode(events[index]);
      if (r.ok) records.push(r.record);
      else rejected.push({ index, reason: r.reason, detail: r.detail });
    }
    await this.producer.send(this.topic, records);
    return { sent: records.length, rejected };
  }
}
