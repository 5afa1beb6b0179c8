import type { Scalar } from '../core/aggregation/aggregator.js';
import type { CompiledView, Row } from '../core/topology/compile.js';
import { EventReader, READ_OK, READ_REASONS } from '../core/topology/event-reader.js';
import type { ReadStatus } from '../core/topology/event-reader.js';
import { ByteWriter } from '../core/encoding/bytes.js';
import { decodeEntity, encodeEntity } from '../core/windowing/entity-state.js';
import { APPLIED, LATE, PartitionRuntime } from '../core/windowing/partition-runtime.js';
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
    { maxEventTime: number; runtimes: PartitionRuntime[] }
  >();
  private readonly timeReader: EventReader;
  private readonly writer = new ByteWriter(4_096);

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
    const runtimes = this.slots.map((slot, i) => {
      const rt = new PartitionRuntime(slot.plan);
      rt.maxEventTime = maxEventTime;
      for (const { key, stored } of states[i] ?? [])
        rt.install(decodeEntity(slot.plan, key, stored.state));
      return rt;
    });
    this.partitions.set(partition, { maxEventTime, runtimes });
  }

  revoke(partition: number): void {
    this.partitions.delete(partition);
  }

  process(partition: number, records: readonly SourceRecord[], nowMs: number): BatchOutput {
    let p = this.partitions.get(partition);
    if (p === undefined) {
      this.assign(partition, -Infinity, []);
      p = this.partitions.get(partition);
      if (p === undefined) throw new Error('unreachable');
    }
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
    const slots = this.slots;
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
      const t = this.timeReader.eventTime(row);
      if (Number.isNaN(t)) {
        dead(rec, 'bad_event_time', this.timeReader.error);
        continue;
      }
      if (t < this.bounds.minEventTime || t > maxTime) {
        dead(
          rec,
          'absurd_timestamp',
          `event time ${new Date(t).toISOString()} is outside [${new Date(this.bounds.minEventTime).toISOString()}, now + ${this.bounds.maxFutureMs} ms]`,
        );
        continue;
      }
      let late = false;
      let failed: ReadStatus = READ_OK;
      let failedDetail = '';
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
            failed = status;
            failedDetail = slot.reader.error;
          }
          continue;
        }
        const result = rt.apply(slot.reader.key, t, inputs, rec.offset);
        if (result === APPLIED) counters.applied++;
        else if (result === LATE) {
          counters.late++;
          late = true;
        } else counters.replayed++;
      }
      if (failed !== READ_OK) dead(rec, READ_REASONS[failed], failedDetail);
      archive.push({ row, eventTime: t, topic: this.topic, partition, offset: rec.offset, late });
    }
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
    };
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
    };
  }

  private collect(slot: ViewSlot, rt: PartitionRuntime, partition: number): ViewOutput {
    rt.advance();
    const rows = rt.takeRows();
    const writes: EntityWrite[] = [];
    const writer = this.writer;
    for (const s of rt.takeDirty()) {
      writes.push({
        key: s.key,
        asOf: s.onlineAsOf,
        values: rt.onlineValues(s),
        state: s.stateDirty ? encodeEntity(slot.plan, s, writer) : null,
        isNew: !s.persisted,
        fence: s.fence,
        partition,
      });
      s.stateDirty = false;
      s.persisted = true;
    }
    return { view: slot.view.name, rows, writes };
  }
}
