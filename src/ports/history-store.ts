import type { Row } from '../core/topology/compile.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { HistoryRow } from '../core/windowing/partition-runtime.js';

export type SourceIR = ViewIR['source'];

/** One raw event for the archive `events_{source}`. */
export interface ArchiveRow {
  readonly row: Row;
  readonly eventTime: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly late: boolean;
}

/**
 * Appends of rows already encoded in the store's wire format by `OfflineEncoders` (in worker
 * threads): the caller only forwards text. Same identity rules as the object appends.
 */
export interface EncodedAppends {
  /** Names the wire format (`OfflineEncoders.format` must match). */
  readonly format: string;
  appendEncodedHistory(view: ViewIR, encoded: Uint8Array): Promise<void>;
  appendEncodedEvents(source: SourceIR, encoded: Uint8Array): Promise<void>;
}

/**
 * The offline store (ClickHouse: embedded engine or server). Appends are idempotent: rows carry a
 * deterministic identity, so replays collapse (readers use FINAL).
 */
export interface HistoryStore {
  readonly kind: string;
  ensureView(view: ViewIR): Promise<void>;
  ensureSource(source: SourceIR): Promise<void>;
  appendHistory(view: ViewIR, rows: readonly HistoryRow[], writtenAt: number): Promise<void>;
  appendEvents(source: SourceIR, rows: readonly ArchiveRow[], ingestedAt: number): Promise<void>;
  /** Present when the store takes rows encoded by the engine's `OfflineEncoders`. */
  readonly encoded?: EncodedAppends;
  /** Deduplicated history rows of one version, ordered by entity and as-of. */
  readHistory(view: ViewIR, options?: { keys?: readonly string[] }): Promise<HistoryRow[]>;
  query<T = Record<string, unknown>>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
