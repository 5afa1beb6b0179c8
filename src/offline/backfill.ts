import { FeatureStreamError, userError } from '../core/errors.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { HistoryRow } from '../core/windowing/partition-runtime.js';
import type { ReplayOutput, SnapshotOutput, TimeBounds } from '../engine/source-processor.js';
import type { WorkerPool } from '../engine/worker-pool.js';
import type { ReadyValue } from '../engine/worker-protocol.js';
import type {
  ArchivedPartition,
  BackfillLedger,
  BackfillMark,
  EncodedHistorySink,
  EventArchive,
} from '../ports/event-archive.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { Logger } from '../ports/logger.js';
import type { OnlineStore, ViewKeyspace } from '../ports/online-store.js';

/**
 * Backfill: recomputes a view's history from the raw event archive with the stream's own code
 * (SourceProcessor → PartitionRuntime in worker threads), so the result is what the stream
 * would have produced — the same events late, the same rows, the same final values:
 *
 * - each archived partition is replayed on its own, in its original arrival order (offsets,
 *   deduplicated), from its first event, with the stream's per-partition watermark and no wall
 *   clock; partitions run in parallel, one partition per worker thread at a time;
 * - history rows (as-of within [from, to)) are appended in batches; their identity
 *   (version, keys, as-of) makes a repeated write collapse (ReplacingMergeTree, FINAL);
 * - progress is kept per (view, version, as-of range, partition) in a ledger: a rerun skips the
 *   partitions already done and replays unfinished ones from their beginning — the rows they
 *   had written are rewritten identically and collapse;
 * - optionally the final entity states and values are written to the online store (the
 *   stream's EntityWrite path, fences = archive offsets) and the version is registered.
 */

export interface BackfillOptions {
  /** Topology files or folders (loaded by every worker thread). */
  readonly topologies: readonly string[];
  readonly view: string;
  /** When given, must equal the version the topologies compile the view to. */
  readonly version?: string | undefined;
  /** History rows with as-of in [fromMs, toMs) are written (default: all). */
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  readonly bounds: TimeBounds;
  /** Write every entity's final state + values to the online store, register the version. */
  readonly seedOnline?: boolean;
  /** With seedOnline: make the version the one serving returns by default. */
  readonly makeCurrent?: boolean;
  /** Ignore earlier progress: replay every partition again. */
  readonly restart?: boolean;
  /** Offsets per archive page (default 10,000). */
  readonly pageOffsets?: number;
  /** History rows per insert (default 100,000). */
  readonly flushRows?: number;
  /** Called after every page (and when a partition starts or ends); cheap to compute. */
  readonly onProgress?: (p: BackfillProgress) => void;
  /** Aborting stops at the next page; the run rejects with BACKFILL_INTERRUPTED. */
  readonly signal?: AbortSignal;
}

export interface BackfillDeps {
  readonly pool: WorkerPool;
  readonly archive: EventArchive;
  readonly ledger: BackfillLedger;
  /** Where history rows are written (may be another database than the archive's). */
  readonly history: HistoryStore;
  /**
   * The same table, written with rows the worker threads encoded (the pool's workers must have
   * the store's HistoryEncoder): the main thread only forwards text. Optional.
   */
  readonly encodedHistory?: EncodedHistorySink;
  /** Required with `seedOnline`. */
  readonly online?: OnlineStore;
  readonly logger: Logger;
  readonly clock?: () => number;
}

export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  readonly total: number;
  done: number;
  state: 'pending' | 'running' | 'done' | 'skipped';
}

export interface BackfillProgress {
  readonly view: string;
  readonly version: string;
  readonly partitions: readonly PartitionProgress[];
}

export interface PartitionResult extends BackfillMark {
  /** Finished by an earlier run (nothing replayed now). */
  readonly skipped: boolean;
  readonly applied: number;
  readonly late: number;
  readonly dead: number;
}

/**
 * Where time went, summed over partitions. The phases overlap (pages are prefetched, several
 * are queued in the thread, inserts run while the thread works); the `wait*` times are what a
 * partition's loop spent blocked on each of them.
 */
export interface BackfillTimings {
  /** Archive page queries, from request to answer. */
  readMs: number;
  /** Worker thread busy time. */
  processMs: number;
  /** History inserts, from request to acknowledgement. */
  writeMs: number;
  seedMs: number;
  waitReadMs: number;
  waitWorkerMs: number;
  waitWriteMs: number;
}

export interface BackfillResult {
  readonly view: string;
  readonly version: string;
  readonly range: string;
  readonly partitions: readonly PartitionResult[];
  /** Events replayed by this run (skipped partitions excluded). */
  readonly events: number;
  readonly historyRows: number;
  readonly seconds: number;
  readonly timings: BackfillTimings;
  readonly registered: boolean;
}

const DEFAULT_PAGE_OFFSETS = 10_000;
const DEFAULT_FLUSH_ROWS = 100_000;
const SNAPSHOT_SLICE = 2_000;
/** Pages queued in a worker thread beyond the one it works on. */
const PIPELINE = 2;
const MAX_ATTEMPTS = 3;

/** The ledger's name of an as-of range: `from..to` in ISO-8601, empty for an open end. */
export function rangeLabel(fromMs: number | undefined, toMs: number | undefined): string {
  const iso = (t: number | undefined): string =>
    t === undefined || !Number.isFinite(t) ? '' : new Date(t).toISOString();
  return `${iso(fromMs)}..${iso(toMs)}`;
}

function interrupted(): FeatureStreamError {
  return new FeatureStreamError(
    'BACKFILL_INTERRUPTED',
    'the backfill was interrupted; run the same command again to resume',
    { domain: 'user', fix: 'finished partitions are kept; unfinished ones restart' },
  );
}

/** Runs a backfill; see the module comment. Rejects with a one-line FeatureStreamError. */
export async function runBackfill(
  deps: BackfillDeps,
  options: BackfillOptions,
): Promise<BackfillResult> {
  return new Backfill(deps, options).run();
}

class Backfill {
  private readonly clock: () => number;
  private readonly log: Logger;
  private readonly pageOffsets: number;
  private readonly flushRows: number;
  private readonly range: { fromMs: number; toMs: number };
  private readonly timings: BackfillTimings = {
    readMs: 0,
    processMs: 0,
    writeMs: 0,
    seedMs: 0,
    waitReadMs: 0,
    waitWorkerMs: 0,
    waitWriteMs: 0,
  };
  private failed = false;

  constructor(
    private readonly deps: BackfillDeps,
    private readonly options: BackfillOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.log = deps.logger.child('backfill');
    this.pageOffsets = options.pageOffsets ?? DEFAULT_PAGE_OFFSETS;
    this.flushRows = options.flushRows ?? DEFAULT_FLUSH_ROWS;
    this.range = { fromMs: options.fromMs ?? -Infinity, toMs: options.toMs ?? Infinity };
  }

  private stopped(): boolean {
    return this.failed || this.options.signal?.aborted === true;
  }

  private async init(index?: number): Promise<ViewIR> {
    const body = {
      type: 'init' as const,
      files: this.options.topologies,
      bounds: this.options.bounds,
    };
    const replies =
      index === undefined
        ? ((await this.deps.pool.broadcast(body)) as ReadyValue[])
        : [(await this.deps.pool.request(index, body)) as ReadyValue];
    const views = replies[0]?.views ?? [];
    const view = views.find((v) => v.name === this.options.view);
    if (view === undefined) {
      throw userError(
        'UNKNOWN_VIEW',
        `no view '${this.options.view}' in ${this.options.topologies.join(', ')} (known: ${views
          .map((v) => v.name)
          .sort()
          .join(', ')})`,
        'pass the name of a featureView the topologies export, or --topologies PATH',
      );
    }
    return view;
  }

  async run(): Promise<BackfillResult> {
    const started = performance.now();
    const { archive, ledger, history, online } = this.deps;
    const opts = this.options;
    if (opts.seedOnline === true && online === undefined)
      throw userError('BACKFILL_NO_ONLINE', 'seeding the online store needs an online store');
    const view = await this.init();
    if (opts.version !== undefined && opts.version !== view.version) {
      throw userError(
        'VERSION_MISMATCH',
        `the topologies compile view '${view.name}' to version ${view.version}, not ${opts.version}`,
        `load the topology code of version ${opts.version} (--topologies), or omit --version`,
      );
    }
    const parts = await archive.partitions(view.source);
    if (parts.length === 0) {
      throw userError(
        'ARCHIVE_EMPTY',
        `the event archive of source '${view.source.name}' (events_${view.source.name}) has no events of topic '${view.source.topic}'`,
        "the archive is written by a running engine (featurestream run); check that CLICKHOUSE_URL / CLICKHOUSE_PATH / CLICKHOUSE_DATABASE point at the engine's ClickHouse",
      );
    }
    await history.ensureView(view);
    const range = rangeLabel(opts.fromMs, opts.toMs);
    const marks = new Map<number, BackfillMark>();
    if (opts.restart !== true) {
      for (const m of await ledger.marks(view.name, view.version, range))
        if (m.topic === view.source.topic) marks.set(m.partition, m);
    }
    const progress: PartitionProgress[] = parts.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      total: p.events,
      done: 0,
      state: 'pending',
    }));
    const results = new Map<number, PartitionResult>();
    const jobs: { part: ArchivedPartition; progress: PartitionProgress }[] = [];
    parts.forEach((part, i) => {
      const pr = progress[i] as PartitionProgress;
      const m = marks.get(part.partition);
      if (m !== undefined && m.status === 'done' && (m.seeded || opts.seedOnline !== true)) {
        pr.state = 'skipped';
        pr.done = pr.total;
        results.set(part.partition, { ...m, skipped: true, applied: 0, late: 0, dead: 0 });
        if (part.lastOffset + 1 > m.nextOffset) {
          this.log.warn(
            'partition finished by an earlier run; the archive has grown since (--restart recomputes it)',
            {
              partition: part.partition,
              finishedThrough: m.nextOffset - 1,
              archivedThrough: part.lastOffset,
            },
          );
        }
      } else jobs.push({ part, progress: pr });
    });
    const report = (): void =>
      opts.onProgress?.({ view: view.name, version: view.version, partitions: progress });
    report();
    // Longest partitions first: the tail of the run is shorter.
    jobs.sort((a, b) => b.part.events - a.part.events);
    let next = 0;
    const worker = async (index: number): Promise<void> => {
      while (!this.stopped()) {
        const job = jobs[next++];
        if (job === undefined) return;
        job.progress.state = 'running';
        report();
        const result = await this.partitionWithRetries(
          index,
          view,
          range,
          job.part,
          job.progress,
          report,
        );
        results.set(job.part.partition, result);
        job.progress.state = 'done';
        report();
      }
    };
    // The first failure stops the other partitions at their next page; it is the one reported.
    let failure: { error: unknown } | undefined;
    await Promise.all(
      Array.from({ length: Math.min(this.deps.pool.size, jobs.length) }, (_, i) =>
        worker(i).catch((err: unknown) => {
          this.failed = true;
          failure ??= { error: err };
        }),
      ),
    );
    if (failure !== undefined) throw failure.error;
    if (opts.signal?.aborted === true) throw interrupted();
    let registered = false;
    if (opts.seedOnline === true && online !== undefined) {
      await online.register('view', view.name, view.version, view, opts.makeCurrent === true);
      registered = true;
    }
    const ordered = parts.map((p) => results.get(p.partition) as PartitionResult);
    return {
      view: view.name,
      version: view.version,
      range,
      partitions: ordered,
      events: ordered.filter((r) => !r.skipped).reduce((n, r) => n + r.events, 0),
      historyRows: ordered.filter((r) => !r.skipped).reduce((n, r) => n + r.historyRows, 0),
      seconds: (performance.now() - started) / 1000,
      timings: this.timings,
      registered,
    };
  }

  /** A partition, restarted from its beginning (on a fresh thread) when its thread died. */
  private async partitionWithRetries(
    index: number,
    view: ViewIR,
    range: string,
    part: ArchivedPartition,
    progress: PartitionProgress,
    report: () => void,
  ): Promise<PartitionResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.partition(index, view, range, part, progress, report);
      } catch (err) {
        const retriable =
          err instanceof FeatureStreamError && err.code === 'WORKER_EXITED' && !this.stopped();
        if (!retriable || attempt >= MAX_ATTEMPTS) throw err;
        this.log.warn('worker thread died; replaying the partition again on a fresh thread', {
          partition: part.partition,
          attempt,
        });
        progress.done = 0;
        await this.init(index);
      }
    }
  }

  private async partition(
    index: number,
    view: ViewIR,
    range: string,
    part: ArchivedPartition,
    progress: PartitionProgress,
    report: () => void,
  ): Promise<PartitionResult> {
    const { pool, archive, ledger, history, online } = this.deps;
    const seed = this.options.seedOnline === true && online !== undefined;
    const base = {
      view: view.name,
      version: view.version,
      range,
      topic: part.topic,
      partition: part.partition,
      nextOffset: part.lastOffset + 1,
    };
    await ledger.mark({
      ...base,
      status: 'running',
      events: part.events,
      maxEventTime: -Infinity,
      historyRows: 0,
      seeded: false,
    });
    await pool.request(index, { type: 'replay-start', view: view.name, partition: part.partition });
    const counts = { events: 0, applied: 0, late: 0, dead: 0, rows: 0 };
    let maxEventTime = -Infinity;
    const encoded = this.deps.encodedHistory;
    // Rows to write: objects (HistoryStore.appendHistory) or bytes the worker encoded.
    let pending: HistoryRow[] = [];
    let pendingBytes: Uint8Array[] = [];
    let pendingRows = 0;
    let writing: Promise<void> = Promise.resolve();
    const flush = async (): Promise<void> => {
      const w0 = performance.now();
      await writing;
      this.timings.waitWriteMs += performance.now() - w0;
      if (pendingRows === 0) return;
      const rows = pending;
      const bytes = pendingBytes.length === 1 ? pendingBytes[0] : Buffer.concat(pendingBytes);
      pending = [];
      pendingBytes = [];
      pendingRows = 0;
      const t0 = performance.now();
      const write =
        encoded !== undefined && bytes !== undefined && bytes.length > 0
          ? encoded.appendEncodedHistory(view, bytes)
          : history.appendHistory(view, rows, this.clock());
      writing = write.then(() => {
        this.timings.writeMs += performance.now() - t0;
      });
      // Surfaced by the next await of `writing`; never an unhandled rejection.
      writing.catch(() => undefined);
    };
    const read = (
      after: number,
    ): Promise<{ page: Awaited<ReturnType<EventArchive['readPage']>>; ms: number }> => {
      const t0 = performance.now();
      const p = archive
        .readPage(view.source, part.partition, after, part.lastOffset, this.pageOffsets)
        .then((page) => ({ page, ms: performance.now() - t0 }));
      p.catch(() => undefined);
      return p;
    };
    // The thread works through its queue in order; its busy time per page is the time from
    // max(sent, previous answer) to the answer.
    let lastAnswer = 0;
    const replayPage = (
      lines: string,
      events: number,
    ): Promise<{ out: ReplayOutput; events: number }> => {
      const sent = performance.now();
      const p = pool
        .request(index, {
          type: 'replay-batch',
          view: view.name,
          partition: part.partition,
          lines,
          range: this.range,
          ...(encoded === undefined ? {} : { encode: { writtenAt: this.clock() } }),
        })
        .then((out) => {
          const now = performance.now();
          this.timings.processMs += now - Math.max(sent, lastAnswer);
          lastAnswer = now;
          return { out: out as ReplayOutput, events };
        });
      p.catch(() => undefined);
      return p;
    };
    const take = async ({ out, events }: { out: ReplayOutput; events: number }): Promise<void> => {
      if (out.nextOffset >= 0) maxEventTime = out.maxEventTime;
      counts.events += events;
      counts.applied += out.counters.applied;
      counts.late += out.counters.late;
      for (const n of Object.values(out.counters.dead)) counts.dead += n;
      const encodedRows = out.encoded?.history[0];
      if (encodedRows !== undefined) {
        const n = out.encoded?.historyRows[0] ?? 0;
        counts.rows += n;
        pendingRows += n;
        if (encodedRows.length > 0) pendingBytes.push(encodedRows);
      } else {
        const rows = out.rows[0] ?? [];
        counts.rows += rows.length;
        pendingRows += rows.length;
        for (let i = 0; i < rows.length; i++) pending.push(rows[i] as HistoryRow);
      }
      if (pendingRows >= this.flushRows) await flush();
      progress.done = counts.events;
      report();
    };
    try {
      let after = part.firstOffset - 1;
      let reading = read(after);
      // Up to PIPELINE pages queued in the thread while earlier pages' rows are written.
      const queued: Promise<{ out: ReplayOutput; events: number }>[] = [];
      const takeOldest = async (): Promise<void> => {
        const oldest = queued.shift();
        if (oldest === undefined) return;
        const w0 = performance.now();
        const done = await oldest;
        this.timings.waitWorkerMs += performance.now() - w0;
        await take(done);
      };
      while (after < part.lastOffset) {
        if (this.stopped()) throw interrupted();
        const w0 = performance.now();
        const { page, ms } = await reading;
        this.timings.waitReadMs += performance.now() - w0;
        this.timings.readMs += ms;
        if (page.lastOffset <= after)
          throw new Error(`archive page made no progress after offset ${after}`);
        after = page.lastOffset;
        if (after < part.lastOffset) reading = read(after);
        if (page.events === 0) continue;
        queued.push(replayPage(page.lines, page.events));
        if (queued.length > PIPELINE) await takeOldest();
      }
      while (queued.length > 0) await takeOldest();
      await flush();
      await writing;
      if (seed && online !== undefined) {
        const t0 = performance.now();
        const ks: ViewKeyspace = {
          view: view.name,
          version: view.version,
          features: view.features.map((f) => f.name),
          ttlMs: view.onlineTtlMs,
        };
        for (let start = 0; ; start += SNAPSHOT_SLICE) {
          if (this.stopped()) throw interrupted();
          const snap = (await pool.request(index, {
            type: 'replay-snapshot',
            view: view.name,
            partition: part.partition,
            start,
            limit: SNAPSHOT_SLICE,
          })) as SnapshotOutput;
          const writes = snap.views[0]?.writes ?? [];
          if (writes.length > 0) await online.writeEntities(ks, writes, this.clock());
          if (start + SNAPSHOT_SLICE >= snap.total) break;
        }
        this.timings.seedMs += performance.now() - t0;
      }
    } finally {
      await writing.catch(() => undefined);
      await pool
        .request(index, { type: 'replay-end', view: view.name, partition: part.partition })
        .catch(() => undefined);
    }
    const done: BackfillMark = {
      ...base,
      status: 'done',
      events: counts.events,
      maxEventTime,
      historyRows: counts.rows,
      seeded: seed,
    };
    await ledger.mark(done);
    return {
      ...done,
      skipped: false,
      applied: counts.applied,
      late: counts.late,
      dead: counts.dead,
    };
  }
}
