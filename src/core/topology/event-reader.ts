import type { Scalar } from '../aggregation/aggregator.js';
import type { CompiledView, Row } from './compile.js';
import { EVENT_TIME } from './feature-spec.js';
import { INVALID, fieldCheck } from './field-check.js';
import type { FieldCheck } from './field-check.js';

/** Outcome codes of `EventReader.read`; anything but OK is a reason to dead-letter or skip. */
export const READ_OK = 0;
export const READ_FILTERED = 1;
export const READ_MISSING_KEY = 2;
export const READ_BAD_EVENT_TIME = 3;
export const READ_DERIVE_FAILED = 4;
export const READ_FILTER_FAILED = 5;
export type ReadStatus = 0 | 1 | 2 | 3 | 4 | 5;

export const READ_REASONS: Readonly<Record<ReadStatus, string>> = {
  0: 'ok',
  1: 'filtered',
  2: 'missing_key',
  3: 'bad_event_time',
  4: 'derive_failed',
  5: 'filter_failed',
};

/**
 * Turns a decoded event into what the windowing needs: the entity key, the event time and the
 * values of the plan's input slots. Derived fields are computed and the filter applied here.
 * Composite keys join their parts with `|`, escaping `\` and `|` with a backslash.
 */
export class EventReader {
  key = '';
  t = 0;
  error = '';
  private readonly derive: CompiledView['derive'];
  private readonly deriveChecks: readonly FieldCheck[];
  private readonly hasDerive: boolean;

  constructor(
    private readonly view: CompiledView,
    private readonly inputs: readonly string[],
  ) {
    this.derive = view.derive;
    this.deriveChecks = view.derive.map((d) => fieldCheck(d.type));
    this.hasDerive = view.derive.length > 0;
  }

  /**
   * The event time of a raw (decoded, not yet derived) event in epoch ms, or NaN with `error`
   * set. Shared by every view of the source.
   */
  eventTime(raw: Row): number {
    const view = this.view;
    let t: unknown;
    if (view.eventTimeFn !== undefined) {
      try {
        t = view.eventTimeFn(raw);
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
        return Number.NaN;
      }
    } else {
      t = raw[view.eventTimeField ?? ''];
    }
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      this.error = `event time is ${JSON.stringify(t) ?? 'undefined'}`;
      return Number.NaN;
    }
    return Math.floor(t);
  }

  /** Reads `raw` at event time `t`; on READ_OK, `key` and the filled inputs are valid. */
  read(raw: Row, t: number, inputsOut: (Scalar | null)[]): ReadStatus {
    const view = this.view;
    this.t = t;
    let event = raw;
    if (this.hasDerive) {
      event = { ...raw };
      try {
        for (let i = 0; i < this.derive.length; i++) {
          const d = this.derive[i] as CompiledView['derive'][number];
          const v = d.fn(event);
          if (v === undefined || v === null) {
            if (!d.nullable) {
              this.error = `derived field '${d.name}' returned ${String(v)}; it is declared a ${d.type} (not optional)`;
              return READ_DERIVE_FAILED;
            }
            event[d.name] = null;
            continue;
          }
          const checked = (this.deriveChecks[i] as FieldCheck)(v);
          if (checked === INVALID) {
            this.error = `derived field '${d.name}' returned ${describeValue(v)}; it is declared a ${d.type}`;
            return READ_DERIVE_FAILED;
          }
          event[d.name] = checked;
        }
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
        return READ_DERIVE_FAILED;
      }
    }
    const keys = view.keyFields;
    if (keys.length === 1) {
      const k = event[keys[0] ?? ''];
      if ((typeof k !== 'string' && typeof k !== 'number') || k === '') {
        this.error = `key field '${keys[0] ?? ''}' is ${JSON.stringify(k) ?? 'missing'}`;
        return READ_MISSING_KEY;
      }
      this.key = typeof k === 'string' ? k : String(k);
    } else {
      let key = '';
      for (let i = 0; i < keys.length; i++) {
        const k = event[keys[i] ?? ''];
        if ((typeof k !== 'string' && typeof k !== 'number') || k === '') {
          this.error = `key field '${keys[i] ?? ''}' is ${JSON.stringify(k) ?? 'missing'}`;
          return READ_MISSING_KEY;
        }
        const part = typeof k === 'string' ? k.replace(/[\\|]/g, '\\$&') : String(k);
        key = i === 0 ? part : `${key}|${part}`;
      }
      this.key = key;
    }
    if (view.filter !== undefined) {
      try {
        if (!view.filter(event)) return READ_FILTERED;
      } catch (err) {
        this.error = `filter threw: ${err instanceof Error ? err.message : String(err)}`;
        return READ_FILTER_FAILED;
      }
    }
    const inputs = this.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const name = inputs[i] ?? '';
      const v = name === EVENT_TIME ? this.t : event[name];
      inputsOut[i] = v === undefined || v === null ? null : (v as Scalar);
    }
    return READ_OK;
  }
}

/** A short description of a wrong value for an error message: its JSON (cut) and its kind. */
function describeValue(v: unknown): string {
  const text = (JSON.stringify(v) ?? String(v)).slice(0, 60);
  return `${text} (${Array.isArray(v) ? 'array' : typeof v})`;
}

/** Joins key parts into an entity key, escaping `\\` and `|` (the inverse of `splitKey`). */
export function joinKey(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] ?? '';
  return parts.map((p) => p.replace(/[\\|]/g, '\\$&')).join('|');
}

/** Splits a composite entity key written by `EventReader` back into its parts. */
export function splitKey(key: string, parts: number): string[] {
  if (parts === 1) return [key];
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c === '\\' && i + 1 < key.length) {
      cur += key[++i] ?? '';
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else {
      cur += c ?? '';
    }
  }
  out.push(cur);
  return out;
}
