import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FeatureStreamError, userError } from '../core/errors.js';

/** One bearer token and what it may do: read views, push to sources (`*` = all). */
export interface TokenGrant {
  readonly token: string;
  readonly read?: readonly string[];
  readonly push?: readonly string[];
  readonly name?: string;
}

interface Grant {
  readonly digest: Buffer;
  readonly read: ReadonlySet<string>;
  readonly push: ReadonlySet<string>;
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

function denied(status: 401 | 403, code: string, message: string): FeatureStreamError {
  return new FeatureStreamError(code, message, { domain: 'user', details: { status } });
}

/**
 * Optional bearer-token auth with per-view read scopes and per-source push scopes. Tokens are
 * compared as SHA-256 digests in constant time. With no grants configured, everything is open.
 */
export class Auth {
  private readonly grants: readonly Grant[];

  constructor(grants: readonly TokenGrant[]) {
    this.grants = grants.map((g) => ({
      digest: digest(g.token),
      read: new Set(g.read ?? []),
      push: new Set(g.push ?? []),
    }));
  }

  get enabled(): boolean {
    return this.grants.length > 0;
  }

  /** Reads `{ "tokens": [{ "token": "…", "read": ["card_fraud"], "push": ["transactions"] }] }`. */
  static fromFile(path: string): Auth {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw userError(
        'CONFIG_INVALID',
        `FS_SERVE_TOKENS_FILE=${path}: ${err instanceof Error ? err.message : String(err)}`,
        'point it at a JSON file { "tokens": [{ "token", "read", "push" }] }',
      );
    }
    const tokens = (parsed as { tokens?: unknown }).tokens;
    if (
      !Array.isArray(tokens) ||
      tokens.some(
        (t) => typeof (t as TokenGrant).token !== 'string' || (t as TokenGrant).token.length < 16,
      )
    ) {
      throw userError(
        'CONFIG_INVALID',
        `FS_SERVE_TOKENS_FILE=${path}: "tokens" must be a list of { token (≥ 16 characters), read?, push? }`,
        'fix the tokens file',
      );
    }
    return new Auth(tokens as TokenGrant[]);
  }

  private grantFor(header: string | undefined): Grant {
    if (header === undefined || !header.startsWith('Bearer ')) {
      throw denied(401, 'UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer <token>)');
    }
    const d = digest(header.slice(7).trim());
    for (const g of this.grants) if (timingSafeEqual(g.digest, d)) return g;
    throw denied(401, 'UNAUTHENTICATED', 'unknown bearer token');
  }

  checkRead(header: string | undefined, views: readonly string[]): void {
    if (!this.enabled) return;
    const g = this.grantFor(header);
    if (g.read.has('*')) return;
    for (const v of views)
      if (!g.read.has(v)) throw denied(403, 'FORBIDDEN', `this token may not read view '${v}'`);
  }

  checkPush(header: string | undefined, source: string): void {
    if (!this.enabled) return;
    const g = this.grantFor(header);
    if (!g.push.has('*') && !g.push.has(source))
      throw denied(403, 'FORBIDDEN', `this token may not push to source '${source}'`);
  }
}
