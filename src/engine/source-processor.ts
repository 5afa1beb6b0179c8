import type { Scalar } from '../core/aggregation/aggregator.js';
import type { CompiledView, Row } from '../core/topology/compile.js';
import { EventReader, READ_OK, READ_REASONS } from '../core/topology/event-reader.js';
import type { ReadStatus } from '../core/topology/event-reader.js';
import { ByteWriter } from '../core/encoding/bytes.js';
import { STATE_ARENA_BYTES } from '../core/windowing/entity-state.js';
import { APPLIED, LATE } from '../core/windowing/partition-runtime.js';
import { createRuntime } from '../core/windowing/create-runtime.js';
import type { ViewRuntime } from '../core/windowing/view-runtime.js';
import type { HistoryRow } from '../core/windowing/partition-runtime.js';
import { planView } from '../core/windowing/view-plan.js';
import type { ViewPlan } from '../core/windowing/view-plan.js';
import type { DeadLetter } from '../ports/dead-letter.js';
import type { SourceRecord } from '../ports/event-source.js';
import type { ArchiveRow } from '../ports/history-store.js';
import type { EntityWrite, StoredState } from '../ports/online-store.js';
import type { RecordCodec } from '../ports/record-codec.js';

/** Bounds outside which an event time is absurd (dead-lettered rather than applied). */
export interface TimeBounds {
  /** Earliest acceptable event time (epoch ms). */
  readonly minEventTime: number;
  /** How far beyond the wall clock an event time may be. */
  readonly maxFutureMs: number;
}

export const DEFAULT_TIME_BOUNDS: TimeBounds = {
  minEventTime: Date.UTC(2000, 0, 1),
  maxFutureMs: 86_400_000,
};

export interface ViewOutput {
  readonly view: string;
  readonly rows: HistoryRow[];
  readonly writes: EntityWrite[];
  /** Entities of the view the partition holds in the worker's memory after the batch. */
  readonly entities: number;
}

export interface BatchCounters {
  records: number;
  applied: number;
  late: number;
  replayed: number;
  filtered: number;
  dead: Record<string, number>;
}

export interface BatchOutput {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read and the partition clock after this batch. */
  readonly nextOffset: number;
  readonly maxEventTime: number;
  readonly archive: ArchiveRow[];
  readonly views: ViewOutput[];
  readonly deadLetters: DeadLetter[];
  readonly counters: BatchCounters;
  /**
   * The wall clock the batch was judged against: its archive rows' ingest time (what a replay
   * judges event times against) and its history rows' write time.
   */
  readonly nowMs: number;
  /**
   * The archive and history rows in the offline store's wire format, when the worker was asked
   * to encode them (then `archive` and every `views[i].rows` are empty).
   */
  readonly encoded?: EncodedEffects;
}

/** History rows encoded by a worker thread (ports/event-archive `OfflineEncoders`), per view. */
export interface EncodedHistory {
  readonly history: readonly Uint8Array[];
  readonly historyRows: readonly number[];
}

/** A batch's offline rows encoded by the worker thread: history (per view) and archive. */
export interface EncodedEffects extends EncodedHistory {
  readonly archive: Uint8Array;
  readonly archiveRows: number;
}

/** History rows of a batch, encoded or not. */
export function historyRowCount(out: BatchOutput): number {
  if (out.encoded !== undefined) return out.encoded.historyRows.reduce((n, k) => n + k, 0);
  return out.views.reduce((n, v) => n + v.rows.length, 0);
}

/** One archived event, decoded as the stream decoded it (see ports/event-archive). */
export interface ArchivedEvent {
  readonly offset: number;
  /** When the stream ingested it (epoch ms): the "now" its event time was judged against. */
  readonly ingestedAt: number;
  readonly row: Row;
}

/** History rows kept by a replay: as-of in [fromMs, toMs). */
export interface AsOfRange {
  readonly fromMs: number;
  readonly toMs: number;
}

export const ALL_TIME: AsOfRange = { fromMs: -Infinity, toMs: Infinity };

export interface ReplayOutput {
  readonly partition: number;
  /** Offset after the batch's last event, and the partition clock after the batch. */
  readonly nextOffset: number;
  readonly maxEventTime: number;
  /** Per view of the processor (in order): the history rows settled by this batch. */
  readonly rows: HistoryRow[][];
  /**
   * The same rows in the offline store's wire format, when the worker was asked to encode them
   * (then `rows` is empty).
   */
  readonly encoded?: EncodedHistory;
  readonly counters: BatchCounters;
}

export interface SnapshotOutput {
  readonly views: ViewOutput[];
  /** Entities of the partition (the largest count over the views). */
  readonly total: number;
}

interface ViewSlot {
  readonly view: CompiledView;
  readonly plan: ViewPlan;
  readonly reader: EventReader;
}

/**
 * Everything a worker does for the partitions of one source topic: decode, validate, read keys
 * and times, apply to every view's windowing state, settle to the watermark, and package the
 * effects of the batch (history rows, entity writes, archive rows, dead letters).
 */
export class SourceProcessor {
  private readonly slots: readonly ViewSlot[];
  private readonly partitions = new Map<
    number,
    { maxEventTime: number; runtimes: ViewRuntime[] }
  >();
  private readonly timeReader: EventReader;
  /** Why `timeOf` returned NaN (a dead-letter reason and detail). */
  private rejectReason = '';
  private rejectDetail = '';
  /** The read failure of the last `applyEvent` (READ_OK when every view could read it). */
  private failed: ReadStatus = READ_OK;
  /** Per replayed partition: the entities of each view, fixed by the first `snapshot` call. */
  private readonly snapshots = new Map<number, string[][]>();

  constructor(
    readonly topic: string,
    views: readonly CompiledView[],
    private readonly codec: RecordCodec,
    private readonly bounds: TimeBounds = DEFAULT_TIME_BOUNDS,
  ) {
    this.slots = views.map((view) => {
      const plan = planView(view);
      return { view, plan, reader: new EventReader(view, plan.inputs) };
    });
    const first = this.slots[0];
    if (first === undefined) throw new Error(`no views read topic ${topic}`);
    this.timeReader = first.reader;
  }

  get views(): readonly CompiledView[] {
    return this.slots.map((s) => s.view);
  }

  owns(partition: number): boolean {
    return this.partitions.has(partition);
  }

  /** Takes ownership of a partition with its persisted clock and entity states (per view). */
  assign(
    partition: number,
    maxEventTime: number,
    states: readonly (readonly { key: string; stored: StoredState }[])[],
  ): void {
    this.snapshots.delete(partition);
    const runtimes = this.slots.map((slot, i) => {
      const rt = createRuntime(slot.plan);
      rt.maxEventTime = maxEventTime;
      for (const { key, stored } of states[i] ?? []) rt.restore(key, stored.state);
      return rt;
    });
    this.partitions.set(partition, { maxEventTime, runtimes });
  }

  revoke(partition: number): void {
    this.partitions.delete(partition);
    this.snapshots.delete(partition);
  }

  process(partition: number, records: readonly SourceRecord[], nowMs: number): BatchOutput {
    const p = this.partitionState(partition);
    const counters: BatchCounters = {
      records: records.length,
      applied: 0,
      late: 0,
      replayed: 0,
      filtered: 0,
      dead: {},
    };
    const archive: ArchiveRow[] = [];
    const deadLetters: DeadLetter[] = [];
    const dead = (rec: SourceRecord, reason: string, detail: string): void => {
      counters.dead[reason] = (counters.dead[reason] ?? 0) + 1;
      deadLetters.push({
        topic: this.topic,
        partition,
        offset: rec.offset,
        key: rec.key,
        value: rec.value,
        reason,
        detail,
      });
    };
    const maxTime = nowMs + this.bounds.maxFutureMs;
    const runtimes = p.runtimes;
    let nextOffset = -1;
    for (const rec of records) {
      nextOffset = rec.offset + 1;
      if (rec.value === null) {
        dead(rec, 'undecodable', 'the record has no value');
        continue;
      }
      const decoded = this.codec.decode(rec.value);
      if (!decoded.ok) {
        dead(rec, decoded.reason, decoded.detail);
        continue;
      }
      const row: Row = decoded.row;
      const t = this.timeOf(row, maxTime);
      if (Number.isNaN(t)) {
        dead(rec, this.rejectReason, this.rejectDetail);
        continue;
      }
      const late = this.applyEvent(runtimes, row, t, rec.offset, counters);
      if (this.failed !== READ_OK) dead(rec, READ_REASONS[this.failed], this.rejectDetail);
      archive.push({ row, eventTime: t, topic: this.topic, partition, offset: rec.offset, late });
    }
    const slots = this.slots;
    const views: ViewOutput[] = [];
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const rt = runtimes[i];
      if (slot === undefined || rt === undefined) continue;
      views.push(this.collect(slot, rt, partition));
    }
    const maxEventTime = runtimes[0]?.maxEventTime ?? -Infinity;
    p.maxEventTime = maxEventTime;
    return {
      topic: this.topic,
      partition,
      nextOffset,
      maxEventTime,
      archive,
      views,
      deadLetters,
      counters,
      nowMs,
    };
  }

  /**
   * The event time of a decoded row, or NaN when the record must be dead-lettered
   * (`rejectReason` / `rejectDetail` say why): unreadable, or outside [minEventTime, maxTime].
   */
  private timeOf(row: Row, maxTime: number): number {
    const t = this.timeReader.eventTime(row);
    if (Number.isNaN(t)) {
      this.rejectReason = 'bad_event_time';
      this.rejectDetail = this.timeReader.error;
      return Number.NaN;
    }
    if (t < this.bounds.minEventTime || t > maxTime) {
      this.rejectReason = 'absurd_timestamp';
      this.rejectDetail = `event time ${new Date(t).toISOString()} is outside [${new Date(this.bounds.minEventTime).toISOString()}, now + ${this.bounds.maxFutureMs} ms]`;
      return Number.NaN;
    }
    return t;
  }

  /**
   * Applies one timed event to every view's state of the partition (the same steps for the
   * stream and for replays of the archive). Returns true when some view found it late; a read
   * failure (derive or filter threw, missing key) is left in `failed` / `rejectDetail`.
   */
  private applyEvent(
    runtimes: readonly ViewRuntime[],
    row: Row,
    t: number,
    offset: number,
    counters: BatchCounters,
  ): boolean {
    const slots = this.slots;
    let late = false;
    this.failed = READ_OK;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const rt = runtimes[i];
      if (slot === undefined || rt === undefined) continue;
      const inputs: (Scalar | null)[] = new Array<Scalar | null>(slot.plan.inputs.length);
      const status = slot.reader.read(row, t, inputs);
      if (status !== READ_OK) {
        rt.observe(t);
        if (status === 1) counters.filtered++;
        else {
          this.failed = status;
          this.rejectDetail = slot.reader.error;
        }
        continue;
      }
      const result = rt.apply(slot.reader.key, t, inputs, offset);
      if (result === APPLIED) counters.applied++;
      else if (result === LATE) {
        counters.late++;
        late = true;
      } else counters.replayed++;
    }
    return late;
  }

  /**
   * Replays archived events of a partition (already decoded, in their original offset order)
   * through exactly the steps `process` takes, without wall clock: an event's time is judged
   * against the time it was ingested (`ingestedAt` + maxFutureMs) instead of now. Returns the
   * history rows settled by the batch whose as-of lies in [range.fromMs, range.toMs) — nothing
   * is archived, dead-lettered or written online (see `snapshot` for the final online state).
   */
  replay(
    partition: number,
    events: readonly ArchivedEvent[],
    range: AsOfRange = ALL_TIME,
  ): ReplayOutput {
    const p = this.partitionState(partition);
    const counters: BatchCounters = {
      records: events.length,
      applied: 0,
      late: 0,
      replayed: 0,
      filtered: 0,
      dead: {},
    };
    const runtimes = p.runtimes;
    const maxFuture = this.bounds.maxFutureMs;
    let nextOffset = -1;
    for (let e = 0; e < events.length; e++) {
      const ev = events[e];
      if (ev === undefined) continue;
      nextOffset = ev.offset + 1;
      const t = this.timeOf(ev.row, ev.ingestedAt + maxFuture);
      if (Number.isNaN(t)) {
        counters.dead[this.rejectReason] = (counters.dead[this.rejectReason] ?? 0) + 1;
        continue;
      }
      this.applyEvent(runtimes, ev.row, t, ev.offset, counters);
      if (this.failed !== READ_OK) {
        const reason = READ_REASONS[this.failed];
        counters.dead[reason] = (counters.dead[reason] ?? 0) + 1;
      }
    }
    const whole = range.fromMs === -Infinity && range.toMs === Infinity;
    const rows: HistoryRow[][] = [];
    for (const rt of runtimes) {
      rt.advance();
      const settled = rt.takeRows();
      // Online values are written once, at the end (`snapshot`): drop the dirty marks.
      rt.dropWrites();
      rows.push(
        whole ? settled : settled.filter((r) => r.asOf >= range.fromMs && r.asOf < range.toMs),
      );
    }
    const maxEventTime = runtimes[0]?.maxEventTime ?? -Infinity;
    p.maxEventTime = maxEventTime;
    return { partition, nextOffset, maxEventTime, rows, counters };
  }

  /**
   * The partition's final online state, every entity of every view (values as of its
   * `onlineAsOf`, state bytes, fence = highest applied offset), `limit` entities from `start`
   * (in the same order on every call for the partition until it is revoked).
   */
  snapshot(partition: number, start: number, limit: number): SnapshotOutput {
    const p = this.partitionState(partition);
    let all = this.snapshots.get(partition);
    if (all === undefined) {
      all = p.runtimes.map((rt) => rt.entityKeys());
      this.snapshots.set(partition, all);
    }
    const views = this.slots.map((slot, i) => {
      const arena = new ByteWriter(STATE_ARENA_BYTES);
      const rt = p.runtimes[i];
      const entities = all[i] ?? [];
      const writes: EntityWrite[] = [];
      if (rt !== undefined) {
        const end = Math.min(entities.length, start + limit);
        for (let j = start; j < end; j++) {
          const key = entities[j];
          if (key === undefined) continue;
          writes.push({ ...rt.snapshotWrite(key, arena), partition });
        }
      }
      return { view: slot.view.name, rows: [], writes, entities: entities.length };
    });
    return { views, total: Math.max(0, ...all.map((a) => a.length)) };
  }

  private partitionState(partition: number): {
    maxEventTime: number;
    runtimes: ViewRuntime[];
  } {
    let p = this.partitions.get(partition);
    if (p === undefined) {
      this.assign(partition, -Infinity, []);
      p = this.partitions.get(partition);
      if (p === undefined) throw new Error('unreachable');
    }
    return p;
  }

  /**
   * Lets idle partitions' watermarks follow the wall clock (live mode only): a partition without
   * events since `idleSinceMs` is treated as if it had seen an event at `nowMs`.
   */
  tick(partition: number, nowMs: number): BatchOutput | undefined {
    const p = this.partitions.get(partition);
    if (p === undefined) return undefined;
    for (const rt of p.runtimes) rt.observe(nowMs);
    p.maxEventTime = Math.max(p.maxEventTime, nowMs);
    const views: ViewOutput[] = [];
    this.slots.forEach((slot, i) => {
      const rt = p.runtimes[i];
      if (rt !== undefined) views.push(this.collect(slot, rt, partition));
    });
    return {
      topic: this.topic,
      partition,
      nextOffset: -1,
      maxEventTime: p.maxEventTime,
      archive: [],
      views,
      deadLetters: [],
      counters: { records: 0, applied: 0, late: 0, replayed: 0, filtered: 0, dead: {} },
      nowMs,
    };
  }

  private collect(slot: ViewSlot, rt: ViewRuntime, partition: number): ViewOutput {
    rt.advance();
    const rows = rt.takeRows();
    const writes: EntityWrite[] = [];
    // One buffer for the batch's state bytes; the writes hold views of it (posted together).
    const arena = new ByteWriter(STATE_ARENA_BYTES);
    for (const w of rt.takeWrites(arena)) writes.push({ ...w, partition });
    return { view: slot.view.name, rows, writes, entities: rt.entityCount };
  }
}
