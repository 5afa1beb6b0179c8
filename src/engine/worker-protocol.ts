import type { ErrorData } from '../core/errors.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { SourceRecord } from '../ports/event-source.js';
import type { StoredState } from '../ports/online-store.js';
import type {
  AsOfRange,
  BatchOutput,
  ReplayOutput,
  SnapshotOutput,
  TimeBounds,
} from './source-processor.js';

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
      /**
       * The offline store's wire format (`EncodedAppends.format`): batches return their archive
       * and history rows encoded (`BatchOutput.encoded`) when the thread's encoders write it.
       */
      readonly encodeOffline?: string;
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
  | { readonly type: 'crash'; readonly id: number }
  /*
   * Replays of the event archive (backfills), after `init`: one view, one partition at a time per
   * thread, state starting empty; independent of the stream's partitions above.
   */
  | {
      readonly type: 'replay-start';
      readonly id: number;
      readonly view: string;
      readonly partition: number;
    }
  | {
      readonly type: 'replay-batch';
      readonly id: number;
      readonly view: string;
      readonly partition: number;
      /** A page of archived events (ports/event-archive `ArchivePage.lines`). */
      readonly lines: string;
      readonly range: AsOfRange;
      /** Return the history rows encoded for the offline store (`ReplayOutput.encoded`). */
      readonly encode?: { readonly writtenAt: number };
    }
  | {
      readonly type: 'replay-snapshot';
      readonly id: number;
      readonly view: string;
      readonly partition: number;
      readonly start: number;
      readonly limit: number;
    }
  | {
      readonly type: 'replay-end';
      readonly id: number;
      readonly view: string;
      readonly partition: number;
    };

export interface ReadyValue {
  readonly views: readonly ViewIR[];
}

export type WorkerValue = ReadyValue | BatchOutput | ReplayOutput | SnapshotOutput | undefined;

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: WorkerValue }
  | { readonly id: number; readonly ok: false; readonly error: ErrorData };

/**
 * The buffers of a reply's encoded offline rows, to transfer instead of copy: each encoder call
 * writes its own buffer (compact-rows.ts), which the worker does not touch again.
 */
export function replyTransfers(reply: WorkerReply): ArrayBuffer[] {
  if (!reply.ok || reply.value === undefined || !('encoded' in reply.value)) return [];
  const enc = reply.value.encoded;
  if (enc === undefined) return [];
  const out = new Set<ArrayBuffer>();
  const add = (bytes: Uint8Array): void => {
    if (bytes.buffer instanceof ArrayBuffer) out.add(bytes.buffer);
  };
  for (const h of enc.history) add(h);
  if ('archive' in enc) add(enc.archive);
  return [...out];
}
