import type { FieldType } from './schema.js';

/** What a `FieldCheck` returns for a value that is not of its type. */
export const INVALID = Symbol('invalid');

/** A field's value as stored (timestamps as epoch ms), or `INVALID`. Never called with null. */
export type FieldCheck = (v: unknown) => unknown;

/**
 * The check of a schema type — for decoded JSON fields and for derived fields alike: strings,
 * safe integers (int, long), finite doubles, booleans, timestamps as finite epoch milliseconds
 * (or ISO-8601 strings, parsed).
 */
export function fieldCheck(type: FieldType): FieldCheck {
  switch (type) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : INVALID);
    case 'int':
    case 'long':
      return (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : INVALID);
    case 'double':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : INVALID);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : INVALID);
    case 'timestamp':
      return (v) => {
        if (typeof v === 'number') return Number.isFinite(v) ? Math.floor(v) : INVALID;
        if (typeof v === 'string') {
          const t = Date.parse(v);
          return Number.isFinite(t) ? t : INVALID;
        }
        return INVALID;
      };
  }
}
