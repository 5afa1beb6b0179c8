import type { FeatureValue } from '../aggregation/aggregator.js';

/**
 * How a feature value is written to the online store (the Redis contract): numbers as decimal
 * strings (shortest round-trip), strings raw, booleans `true`/`false`, lists as JSON; a null
 * value is an absent field (returned as `undefined`).
 */
export function encodeFieldValue(v: FeatureValue): string | undefined {
  if (v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return JSON.stringify(v);
}

/** The inverse of `encodeFieldValue` for a feature of type `t` (absent field → null/[]). */
export function decodeFieldValue(
  t: { readonly base: string; readonly list: boolean },
  raw: string | undefined,
): FeatureValue {
  if (raw === undefined) return t.list ? [] : null;
  if (t.list) return JSON.parse(raw) as FeatureValue;
  switch (t.base) {
    case 'string':
      return raw;
    case 'boolean':
      return raw === 'true';
    default:
      return Number(raw);
  }
}

/**
 * A plain decimal (`-?digits[.digits]`, no exponent) of at most 20 characters: valid JSON as it
 * stands, and finite. What the engine stores for every number it writes, except exponent forms.
 */
const PLAIN_DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/**
 * The JSON text of `decodeFieldValue(t, raw)` — JSON that parses to the same value
 * `JSON.stringify` writes for it (non-finite numbers → null) — without building the value when it
 * need not: a stored number that is a plain decimal is valid JSON as it stands and is reused
 * (the engine stores shortest round trips; a hand-written "1.50" stays "1.50", the same number).
 * Other number texts go through `Number` and back. For responses written as text.
 */
export function fieldValueJson(
  t: { readonly base: string; readonly list: boolean },
  raw: string | undefined,
): string {
  if (raw !== undefined && !t.list && t.base !== 'boolean') {
    if (t.base === 'string') return JSON.stringify(raw);
    if (raw.length <= 20 && PLAIN_DECIMAL.test(raw)) return raw;
    const n = Number(raw);
    if (!Number.isFinite(n)) return 'null';
    const s = String(n);
    return s === raw ? raw : s;
  }
  return JSON.stringify(decodeFieldValue(t, raw));
}
