import { FeatureStreamError } from '../core/errors.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { DeadLetterSink } from '../ports/dead-letter.js';
import type {
  EventSource,
  PartitionCheckpoint,
  SourceBatch,
  TopicPartition,
} from '../ports/event-source.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { Logger } from '../ports/logger.js';
import type { OnlineStore, StoredState, ViewKeyspace } from '../ports/online-store.js';
import type { EngineObserver } from './engine-events.js';
import { retryForever } from './retry.js';
import { historyRowCount } from './source-processor.js';
import type { BatchOutput, TimeBounds } from './source-processor.js';
import type { RestartReason, WorkerPool } from './worker-pool.js';
import type { ReadyValue, WorkerRequest } from './worker-protocol.js';

type InitRequest = Omit<Extract<WorkerRequest, { type: 'init' }>, 'id'>;

export interface PipelineOptions {
  /** Topology files or folders (loaded by every worker). */
  readonly topologies: readonly string[];
  readonly bounds: TimeBounds;
  /** Let idle partitions' watermarks follow the wall clock (live mode; off for replays). */
  readonly wallClockIdle: boolean;
  /** How often idle partitions are checked (ms). */
  readonly tickMs?: number;
}

export interface PipelineDeps {
  readonly source: EventSource;
  readonly online: OnlineStore;
  readonly history: HistoryStore;
  readonly deadLetters: DeadLetterSink;
  readonly pool: WorkerPool;
  readonly logger: Logger;
  readonly observer?: EngineObserver;
  readonly clock?: () => number;
}

interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  maxEventTime: number;
  /** Wall time of the last record seen (idle detection). */
  lastRecordAt: number;
  /** Pool generation of the worker holding this partition's state. */
  generation: number;
  chain: Promise<unknown>;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
const MAX_WORKER_RETRIES = 3;

/**
 * The engine's main thread: source → worker threads → sinks → commit. It does I/O only:
 * records go to the worker owning their partition; the effects that come back (archive rows,
 * history rows, entity writes, dead letters) are written, each sink retried with backoff until
 * it succeeds, and only then is the batch's checkpoint returned for commit.
 */
export class Pipeline {
  private views: readonly ViewIR[] = [];
  private readonly viewsByTopic = new Map<string, ViewIR[]>();
  private readonly partitions = new Map<string, PartitionState>();
  private readonly generations: number[] = [];
  private readonly inits = new Map<number, Promise<void>>();
  private stopping = false;
  private ticker: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private readonly log: Logger;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly options: PipelineOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.log = deps.logger.child('pipeline');
  }

  get compiledViews(): readonly ViewIR[] {
    return this.views;
  }

  /** Loads topologies in every worker, prepares the stores and starts consuming. */
  async start(): Promise<void> {
    const { pool, history, online } = this.deps;
    for (let i = 0; i < pool.size; i++) this.generations.push(0);
    const replies = (await pool.broadcast(this.initRequest())) as ReadyValue[];
    this.views = replies[0]?.views ?? [];
    for (const v of this.views) {
      const list = this.viewsByTopic.get(v.source.topic) ?? [];
      list.push(v);
      this.viewsByTopic.set(v.source.topic, list);
    }
    for (const v of this.views) {
      await history.ensureSource(v.source);
      await history.ensureView(v);
      await online.register('view', v.name, v.version, v, true);
    }
    await this.deps.source.start([...this.viewsByTopic.keys()], {
      onAssigned: (tps) => this.onAssigned(tps),
      onRevoked: (tps) => this.onRevoked(tps),
      onBatch: (batch) => this.onBatch(batch),
    });
    if (this.options.wallClockIdle) {
      this.ticker = setInterval(() => this.tickIdle(), this.options.tickMs ?? 1_000);
      this.ticker.unref();
    }
    this.log.info('started', {
      views: this.views.map((v) => `${v.name}@${v.version}`),
      topics: [...this.viewsByTopic.keys()],
    });
  }

  /** Stops consuming after in-flight batches are flushed and committed. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker !== undefined) clearInterval(this.ticker);
    await this.deps.source.stop();
    await Promise.allSettled([...this.partitions.values()].map((p) => p.chain));
  }

  /** Workers encode archive and history rows when the offline store takes its own text. */
  private initRequest(): InitRequest {
    const format = this.deps.history.encoded?.format;
    return {
      type: 'init',
      files: this.options.topologies,
      bounds: this.options.bounds,
      ...(format === undefined ? {} : { encodeOffline: format }),
    };
  }

  private keyspace(v: ViewIR): ViewKeyspace {
    return {
      view: v.name,
      version: v.version,
      features: v.features.map((f) => f.name),
      ttlMs: v.onlineTtlMs,
    };
  }

  private async loadStates(
    topic: string,
    partition: number,
  ): Promise<{ key: string; stored: StoredState }[][]> {
    const out: { key: string; stored: StoredState }[][] = [];
    for (const v of this.viewsByTopic.get(topic) ?? []) {
      const states: { key: string; stored: StoredState }[] = [];
      for await (const slice of this.deps.online.loadPartition(this.keyspace(v), partition))
        states.push(...slice);
      out.push(states);
    }
    return out;
  }

  private async assignToWorker(p: PartitionState): Promise<void> {
    const { pool } = this.deps;
    const index = pool.indexFor(p.topic, p.partition);
    await this.ensureInit(index);
    const states = await retryForever(
      () => this.loadStates(p.topic, p.partition),
      (err, attempt, waitMs) => this.retrying('online', err, attempt, waitMs),
      () => this.stopping,
    );
    await pool.request(index, {
      type: 'assign',
      topic: p.topic,
      partition: p.partition,
      maxEventTime: p.maxEventTime,
      states,
    });
    p.generation = this.generations[index] ?? 0;
    this.log.debug('partition assigned', {
      topic: p.topic,
      partition: p.partition,
      entities: states.reduce((n, s) => n + s.length, 0),
    });
  }

  private ensureInit(index: number): Promise<void> {
    const gen = this.generations[index] ?? 0;
    if (gen === 0) return Promise.resolve();
    let p = this.inits.get(index);
    if (p === undefined) {
      p = this.deps.pool.request(index, this.initRequest()).then(() => undefined);
      this.inits.set(index, p);
    }
    return p;
  }

  /** Called by the pool's onRestart: the thread at `index` lost its state. */
  workerRestarted(index: number, exitCode: number, reason: RestartReason = 'exited'): void {
    this.generations[index] = (this.generations[index] ?? 0) + 1;
    this.inits.delete(index);
    this.deps.observer?.workerRestart?.({ index, exitCode });
    if (reason === 'out_of_memory') {
      this.log.error(
        'worker thread ran out of memory and was restarted; its partitions reload state from the online store. Each worker keeps the windows of every entity of its partitions in memory: raise FS_WORKER_HEAP_MB, or spread the partitions over more workers or engines (docs/deployment.md, "Sizing memory")',
        { index, exitCode },
      );
      return;
    }
    this.log.warn('worker thread restarted; its partitions reload state from the online store', {
      index,
      exitCode,
    });
  }

  private async onAssigned(
    tps: readonly (TopicPartition & { checkpoint: PartitionCheckpoint | undefined })[],
  ): Promise<void> {
    await Promise.all(
      tps.map(async (tp) => {
        const p: PartitionState = {
          topic: tp.topic,
          partition: tp.partition,
          maxEventTime: tp.checkpoint?.maxEventTime ?? -Infinity,
          lastRecordAt: this.clock(),
          generation: -1,
          chain: Promise.resolve(),
        };
        this.partitions.set(tpKey(tp.topic, tp.partition), p);
        await this.serial(p, () => this.assignToWorker(p));
      }),
    );
  }

  private async onRevoked(tps: readonly TopicPartition[]): Promise<void> {
    for (const tp of tps) {
      const p = this.partitions.get(tpKey(tp.topic, tp.partition));
      if (p === undefined) continue;
      this.partitions.delete(tpKey(tp.topic, tp.partition));
      await this.serial(p, async () => {
        await this.deps.pool
          .request(this.deps.pool.indexFor(tp.topic, tp.partition), {
            type: 'revoke',
            topic: tp.topic,
            partition: tp.partition,
          })
          .catch(() => undefined);
      });
    }
  }

  private serial<T>(p: PartitionState, fn: () => Promise<T>): Promise<T> {
    const next = p.chain.then(fn, fn);
    p.chain = next.catch(() => undefined);
    return next;
  }

  private async onBatch(batch: SourceBatch): Promise<PartitionCheckpoint | undefined> {
    const p = this.partitions.get(tpKey(batch.topic, batch.partition));
    if (p === undefined) return undefined;
    return this.serial(p, async () => {
      p.lastRecordAt = this.clock();
      const started = performance.now();
      const out = await this.process(p, batch);
      const processMs = performance.now() - started;
      await this.flush(out, () => batch.heartbeat());
      p.maxEventTime = out.maxEventTime;
      this.deps.observer?.batch?.({
        topic: batch.topic,
        partition: batch.partition,
        counters: out.counters,
        maxEventTime: out.maxEventTime,
        nextOffset: out.nextOffset,
        highWatermark: batch.highWatermark,
        historyRows: historyRowCount(out),
        entityWrites: out.views.reduce((n, v) => n + v.writes.length, 0),
        entitiesInMemory: out.views.reduce((n, v) => n + v.entities, 0),
        processMs,
      });
      return {
        topic: batch.topic,
        partition: batch.partition,
        nextOffset: out.nextOffset,
        maxEventTime: out.maxEventTime,
      };
    });
  }

  /** Sends a batch to its worker; if the thread died, reloads the partition there and retries. */
  private async process(p: PartitionState, batch: SourceBatch): Promise<BatchOutput> {
    const { pool } = this.deps;
    const index = pool.indexFor(p.topic, p.partition);
    for (let attempt = 0; ; attempt++) {
      if (p.generation !== (this.generations[index] ?? 0)) await this.assignToWorker(p);
      try {
        return (await pool.request(index, {
          type: 'batch',
          topic: batch.topic,
          partition: batch.partition,
          records: batch.records,
          nowMs: this.clock(),
        })) as BatchOutput;
      } catch (err) {
        if (
          !(err instanceof FeatureStreamError) ||
          err.code !== 'WORKER_EXITED' ||
          attempt >= MAX_WORKER_RETRIES
        )
          throw err;
        this.log.warn('worker died during a batch; retrying on a fresh thread', {
          topic: p.topic,
          partition: p.partition,
          attempt,
        });
        p.generation = -1;
      }
    }
  }

  private async retrying(
    sink: string,
    err: unknown,
    attempt: number,
    waitMs: number,
    heartbeat?: () => Promise<void>,
  ): Promise<void> {
    const error = err instanceof Error ? err.message : String(err);
    this.deps.observer?.sinkRetry?.({ sink, attempt, waitMs, error });
    if (attempt === 0 || attempt % 10 === 0)
      this.log.warn(`${sink} sink unavailable; retrying`, { attempt, waitMs, error });
    if (heartbeat !== undefined) await heartbeat().catch(() => undefined);
  }

  /** Writes a batch's effects: archive + history, then dead letters, then the online store. */
  private async flush(out: BatchOutput, heartbeat: () => Promise<void>): Promise<void> {
    const { online, deadLetters, observer } = this.deps;
    const views = this.viewsByTopic.get(out.topic) ?? [];
    const stop = (): boolean => false;
    const timed = async (
      sink: 'online' | 'history' | 'archive' | 'deadletter',
      items: number,
      fn: () => Promise<void>,
    ): Promise<void> => {
      if (items === 0) return;
      await retryForever(
        async () => {
          const t0 = performance.now();
          await fn();
          observer?.flush?.({ sink, ms: performance.now() - t0, items });
        },
        (err, attempt, waitMs) => this.retrying(sink, err, attempt, waitMs, heartbeat),
        stop,
      );
    };
    await Promise.all(this.offlineAppends(out, views, timed));
    await timed('deadletter', out.deadLetters.length, () => deadLetters.send(out.deadLetters));
    for (let i = 0; i < out.views.length; i++) {
      const vo = out.views[i];
      const v = views[i];
      if (vo === undefined || v === undefined) continue;
      const ks = this.keyspace(v);
      await timed('online', vo.writes.length, () =>
        online.writeEntities(ks, vo.writes, this.clock()),
      );
      if (observer?.written !== undefined) {
        const writtenAt = this.clock();
        for (const w of vo.writes)
          observer.written({ view: v.name, key: w.key, asOf: w.asOf, values: w.values, writtenAt });
      }
    }
  }

  /** The batch's archive and history appends (rows the worker encoded, or objects). */
  private offlineAppends(
    out: BatchOutput,
    views: readonly ViewIR[],
    timed: (sink: 'history' | 'archive', items: number, fn: () => Promise<void>) => Promise<void>,
  ): Promise<void>[] {
    const { history } = this.deps;
    const source = views[0]?.source;
    if (source === undefined) return [];
    const enc = out.encoded;
    if (enc !== undefined) {
      const sink = history.encoded;
      if (sink === undefined) {
        throw new FeatureStreamError(
          'ENGINE_ENCODED_ROWS',
          `the worker encoded rows for an offline store (${history.kind}) that takes no encoded rows`,
          { domain: 'internal' },
        );
      }
      return [
        timed('archive', enc.archiveRows, () => sink.appendEncodedEvents(source, enc.archive)),
        ...views.map((v, i) =>
          timed('history', enc.historyRows[i] ?? 0, () =>
            sink.appendEncodedHistory(v, enc.history[i] ?? new Uint8Array(0)),
          ),
        ),
      ];
    }
    const now = out.nowMs;
    return [
      timed('archive', out.archive.length, () => history.appendEvents(source, out.archive, now)),
      ...out.views.map((vo, i) => {
        const v = views[i];
        return v === undefined
          ? Promise.resolve()
          : timed('history', vo.rows.length, () => history.appendHistory(v, vo.rows, now));
      }),
    ];
  }

  private tickIdle(): void {
    if (this.stopping) return;
    const now = this.clock();
    for (const p of this.partitions.values()) {
      const views = this.viewsByTopic.get(p.topic) ?? [];
      const idleAfter = Math.min(...views.map((v) => v.idleTimeoutMs));
      if (now - p.lastRecordAt < idleAfter) continue;
      void this.serial(p, async () => {
        if (p.generation !== (this.generations[this.deps.pool.indexFor(p.topic, p.partition)] ?? 0))
          return;
        const out = (await this.deps.pool.request(this.deps.pool.indexFor(p.topic, p.partition), {
          type: 'tick',
          topic: p.topic,
          partition: p.partition,
          nowMs: now,
        })) as BatchOutput | undefined;
        if (out !== undefined) {
          await this.flush(out, () => Promise.resolve());
          p.maxEventTime = out.maxEventTime;
        }
      }).catch((err: unknown) =>
        this.log.warn('idle tick failed', {
          error: err instanceof Error ? err.message : String(err),
        }),
      );
    }
  }
}
