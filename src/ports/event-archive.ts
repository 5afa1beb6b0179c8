import type { ViewIR } from '../core/topology/ir.js';
import type { HistoryRow } from '../core/windowing/partition-runtime.js';
import type { ArchiveRow, SourceIR } from './history-store.js';

/** One source partition as the raw event archive (`events_{source}`) holds it, deduplicated. */
export interface ArchivedPartition {
  readonly topic: string;
  readonly partition: number;
  /** Distinct archived events (offsets). */
  readonly events: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/**
 * A page of archived events of one partition, deduplicated and in offset order (the order the
 * stream read them), as JSON lines: each line an array
 * `[offset, ingestedAtMs, …the source's fields in schema order]` holding the event exactly as
 * the codec decoded it (timestamps as epoch ms, null for an absent nullable field).
 */
export interface ArchivePage {
  readonly events: number;
  /**
   * Every archived event up to this offset has been returned (by this page or earlier ones):
   * the next page starts after it. A page may be empty while offsets remain (gaps).
   */
  readonly lastOffset: number;
  readonly lines: string;
}

/** Read access to the raw event archive, for replays (backfills). */
export interface EventArchive {
  /** The archived partitions of the source's topic, by partition; empty when none. */
  partitions(source: SourceIR): Promise<ArchivedPartition[]>;
  /**
   * Events with `afterOffset < offset ≤ lastOffset`, in offset order — at most `limit`, and at
   * least one page's worth of progress (`ArchivePage.lastOffset` > afterOffset).
   */
  readPage(
    source: SourceIR,
    partition: number,
    afterOffset: number,
    lastOffset: number,
    limit: number,
  ): Promise<ArchivePage>;
}

/** Where a backfill of one (view, version, as-of range) stands on one partition. */
export interface BackfillMark {
  readonly view: string;
  readonly version: string;
  /** The as-of range of the history rows written, e.g. `2026-01-01T00:00:00.000Z..` ('..' = all). */
  readonly range: string;
  readonly topic: string;
  readonly partition: number;
  /** `running`: started, not finished (restarted from its beginning); `done`: finished. */
  readonly status: 'running' | 'done';
  /** Archived events replayed (done) or to replay (running). */
  readonly events: number;
  /** The offset after the last archived event replayed: where a stream resumes. */
  readonly nextOffset: number;
  /** The partition clock after the replay (-Infinity when no event had a time). */
  readonly maxEventTime: number;
  readonly historyRows: number;
  /** The final entity states and values were written to the online store. */
  readonly seeded: boolean;
}

/** Progress of backfills, per (view, version, range, partition); last mark wins. */
export interface BackfillLedger {
  /** The latest mark of every partition of (view, version, range). */
  marks(view: string, version: string, range: string): Promise<BackfillMark[]>;
  mark(mark: BackfillMark): Promise<void>;
}

/**
 * History rows encoded in the offline store's own wire format. Pure, so that worker threads can
 * run it on their output (UTF-8 bytes): the main thread then only forwards them (backfills write
 * millions).
 */
export type HistoryEncoder = (
  view: ViewIR,
  rows: readonly HistoryRow[],
  writtenAt: number,
) => Uint8Array;

/** Raw events encoded in the offline store's own wire format (pure, like `HistoryEncoder`). */
export type EventsEncoder = (
  source: SourceIR,
  rows: readonly ArchiveRow[],
  ingestedAt: number,
) => Uint8Array;

/** The offline store's encoders, run by worker threads on their own output. */
export interface OfflineEncoders {
  /** Names the wire format (`EncodedAppends.format` of the store that takes it). */
  readonly format: string;
  readonly history: HistoryEncoder;
  readonly events: EventsEncoder;
}

/** Appends history rows encoded by the store's `HistoryEncoder` (same identity rules). */
export interface EncodedHistorySink {
  appendEncodedHistory(view: ViewIR, encoded: Uint8Array): Promise<void>;
}
