import type { ErrorData } from '../core/errors.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { SourceRecord } from '../ports/event-source.js';
import type { StoredState } from '../ports/online-store.js';
import type { BatchOutput, TimeBounds } from './source-processor.js';

/**
 * Messages between the engine's main thread and its worker threads. Every request carries an id;
 * the worker answers each with exactly one reply. A worker that exits rejects all its pending
 * requests (see WorkerPool).
 */
export type WorkerRequest =
  | {
      readonly type: 'init';
      readonly id: number;
      readonly files: readonly string[];
      readonly bounds: TimeBounds;
    }
  | {
      readonly type: 'assign';
      readonly id: number;
      readonly topic: string;
      readonly partition: number;
      readonly maxEventTime: number;
      /** Per view of the topic (in `ready.views` order): stored entity states. */
      readonly states: readonly (readonly {
        readonly key: string;
        readonly stored: StoredState;
      }[])[];
    }
  | {
      readonly type: 'revoke';
      readonly id: number;
      readonly topic: string;
      readonly partition: number;
    }
  | {
      readonly type: 'batch';
      readonly id: number;
      readonly topic: string;
      readonly partition: number;
      readonly records: readonly SourceRecord[];
      readonly nowMs: number;
    }
  | {
      readonly type: 'tick';
      readonly id: number;
      readonly topic: string;
      readonly partition: number;
      readonly nowMs: number;
    }
  | { readonly type: 'crash'; readonly id: number };

export interface ReadyValue {
  readonly views: readonly ViewIR[];
}

export type WorkerValue = ReadyValue | BatchOutput | undefined;

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: WorkerValue }
  | { readonly id: number; readonly ok: false; readonly error: ErrorData };
