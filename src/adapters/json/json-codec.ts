import { userError } from '../../core/errors.js';
import type { Row } from '../../core/topology/compile.js';
import { INVALID, fieldCheck } from '../../core/topology/field-check.js';
import type { FieldCheck } from '../../core/topology/field-check.js';
import type { FieldIR } from '../../core/topology/ir.js';
import type { DecodeResult, RecordCodec } from '../../ports/record-codec.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/**
 * JSON records validated against a source schema. Unknown fields are dropped, timestamps become
 * epoch milliseconds (numbers or ISO-8601 strings are accepted), ints must be safe integers.
 */
export class JsonCodec implements RecordCodec {
  readonly format = 'json';
  private readonly fields: readonly {
    name: string;
    nullable: boolean;
    type: string;
    check: FieldCheck;
  }[];

  constructor(schema: readonly FieldIR[]) {
    this.fields = schema.map((f) => ({
      name: f.name,
      nullable: f.nullable,
      type: f.type,
      check: fieldCheck(f.type),
    }));
  }

  decode(bytes: Uint8Array): DecodeResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(decoder.decode(bytes));
    } catch (err) {
      return {
        ok: false,
        reason: 'undecodable',
        detail: err instanceof Error ? err.message : String(err),
      };
    }
    return this.validate(parsed);
  }

  validate(parsed: unknown): DecodeResult {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return { ok: false, reason: 'schema_violation', detail: 'the record is not a JSON object' };
    }
    const input = parsed as Record<string, unknown>;
    const row: Row = {};
    for (const f of this.fields) {
      const v = input[f.name];
      if (v === undefined || v === null) {
        if (!f.nullable)
          return { ok: false, reason: 'schema_violation', detail: `field '${f.name}' is missing` };
        row[f.name] = null;
        continue;
      }
      const checked = f.check(v);
      if (checked === INVALID) {
        return {
          ok: false,
          reason: 'schema_violation',
          detail: `field '${f.name}' should be a ${f.type}, got ${JSON.stringify(v).slice(0, 60)}`,
        };
      }
      row[f.name] = checked;
    }
    return { ok: true, row };
  }

  encode(row: Row): Uint8Array {
    const result = this.validate(row);
    if (!result.ok)
      throw userError('EVENT_INVALID', result.detail, 'fix the event to match the source schema');
    return encoder.encode(JSON.stringify(result.row));
  }
}
