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
