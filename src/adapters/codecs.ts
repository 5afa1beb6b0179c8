import type { ViewIR } from '../core/topology/ir.js';
import type { RecordCodec } from '../ports/record-codec.js';
import { AvroCodec } from './avro/avro-codec.js';
import { JsonCodec } from './json/json-codec.js';

/** The codec of a source, by its declared format. */
export function codecFor(source: ViewIR['source']): RecordCodec {
  return source.format === 'avro'
    ? new AvroCodec(source.name, source.schema)
    : new JsonCodec(source.schema);
}
