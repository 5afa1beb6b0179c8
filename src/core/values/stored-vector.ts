/**
 * An entity's public feature vector as stored (the Redis hash of the contract): field and value
 * strings in pairs, as `HGETALL` returns them (`encodeFieldValue` for the values; `_asof` and
 * `_updated` beside the features). Kept as the flat reply instead of an object built from it —
 * the serving path reads one per request, and building an object with ~20 dynamic keys was the
 * largest allocation of a request.
 */
export class StoredVector {
  /** `pairs`: field, value, field, value… (a non-empty hash). */
  constructor(readonly pairs: readonly string[]) {}

  static fromRecord(record: Readonly<Record<string, string>>): StoredVector {
    const pairs: string[] = [];
    for (const [k, v] of Object.entries(record)) pairs.push(k, v);
    return new StoredVector(pairs);
  }

  /** The value of `field`; undefined when the hash has no such field. */
  get(field: string): string | undefined {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === field) return p[i + 1];
    return undefined;
  }

  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    const p = this.pairs;
    for (let i = 0; i + 1 < p.length; i += 2) out[p[i] as string] = p[i + 1] as string;
    return out;
  }
}
