import type { AggOp, AggParams } from '../aggregation/aggregator.js';
import type { SourceFormat } from './source.js';
import type { FieldType } from './schema.js';

/**
 * The canonical JSON form of a compiled feature view. Functions appear as their source text
 * (they are part of the semantics and of the version hash); everything else is plain data.
 * `irVersion` changes when this shape changes.
 */
export const IR_VERSION = 1;

export type WindowIR =
  | { readonly kind: 'sliding'; readonly sizeMs: number; readonly tileMs: number }
  | { readonly kind: 'tumbling'; readonly sizeMs: number }
  | { readonly kind: 'lifetime' };

/** The type of a feature's value; `list` for lastN. Values are nullable unless stated. */
export interface ValueTypeIR {
  readonly base: 'int64' | 'float64' | 'string' | 'boolean' | 'timestamp';
  readonly list: boolean;
  readonly nullable: boolean;
}

export interface FieldIR {
  readonly name: string;
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly doc?: string | undefined;
}

export interface FeatureIR {
  readonly name: string;
  readonly op: AggOp;
  readonly field: string | null;
  readonly params: AggParams;
  readonly window: WindowIR;
  readonly map: string | null;
  readonly valueType: ValueTypeIR;
  readonly doc?: string | undefined;
}

export interface ViewIR {
  readonly irVersion: typeof IR_VERSION;
  readonly name: string;
  /** Short hash of the semantic parts (see `semanticPart`). */
  readonly version: string;
  readonly entity: { readonly name: string; readonly keys: readonly string[] };
  readonly source: {
    readonly name: string;
    readonly topic: string;
    readonly format: SourceFormat;
    readonly schema: readonly FieldIR[];
    readonly eventTime: { readonly field: string } | { readonly fn: string };
    readonly key: readonly string[];
  };
  readonly filter: string | null;
  readonly derive: readonly (FieldIR & { readonly fn: string })[];
  readonly features: readonly FeatureIR[];
  readonly allowedLatenessMs: number;
  readonly idleTimeoutMs: number;
  readonly onlineTtlMs: number;
  readonly metadata: {
    readonly owner: string | null;
    readonly description: string | null;
    readonly tags: readonly string[];
  };
}
