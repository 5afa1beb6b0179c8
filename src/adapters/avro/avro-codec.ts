import avro from 'avsc';
import { userError } from '../../core/errors.js';
import type { Row } from '../../core/topology/compile.js';
import type { FieldIR } from '../../core/topology/ir.js';
import type { DecodeResult, RecordCodec } from '../../ports/record-codec.js';
import { JsonCodec } from '../json/json-codec.js';

const AVRO_TYPE: Record<FieldIR['type'], avro.Schema> = {
  string: 'string',
  int: 'int',
  long: 'long',
  double: 'double',
  boolean: 'boolean',
  timestamp: { type: 'long', logicalType: 'timestamp-millis' },
};

/** The Avro record schema of a source (timestamps as `timestamp-millis` longs). */
export function avroSchema(name: string, schema: readonly FieldIR[]): avro.Schema {
  return {
    type: 'record',
    name: name.replace(/[^A-Za-z0-9_]/g, '_'),
    namespace: 'featurestream',
    fields: schema.map((f) => ({
      name: f.name,
      type: f.nullable ? ['null', AVRO_TYPE[f.type]] : AVRO_TYPE[f.type],
      ...(f.nullable ? { default: null } : {}),
    })),
  } as avro.Schema;
}

/**
 * Avro records in the Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then
 * the Avro binary body. Bodies without the header are accepted too. Decoded rows are validated
 * like JSON ones (same types, timestamps as epoch ms).
 */
export class AvroCodec implements RecordCodec {
  readonly format = 'avro';
  private readonly type: avro.Type;
  private readonly validator: JsonCodec;

  constructor(
    sourceName: string,
    schema: readonly FieldIR[],
    readonly schemaId = 1,
  ) {
    // Timestamps stay plain numbers (epoch ms): no logical type hooks.
    this.type = avro.Type.forSchema(avroSchema(sourceName, schema), { logicalTypes: {} });
    this.validator = new JsonCodec(schema);
  }

  decode(bytes: Uint8Array): DecodeResult {
    let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length >= 5 && buf[0] === 0) buf = buf.subarray(5);
    let value: unknown;
    try {
      value = this.type.fromBuffer(buf);
    } catch (err) {
      return {
        ok: false,
        reason: 'undecodable',
        detail: err instanceof Error ? err.message : String(err),
      };
    }
    return this.validator.validate({ ...(value as Row) });
  }

  encode(row: Row): Uint8Array {
    const checked = this.validator.validate(row);
    if (!checked.ok)
      throw userError('EVENT_INVALID', checked.detail, 'fix the event to match the source schema');
    const body = this.type.toBuffer(checked.row);
    const out = Buffer.alloc(5 + body.length);
    out[0] = 0;
    out.writeUInt32BE(this.schemaId, 1);
    body.copy(out, 5);
    return out;
  }
}
