/**
 * Prometheus metrics of a running engine, fed by the engine's observer events and served over
 * HTTP (`GET /metrics`, `GET /healthz`). Metric names are the constants of `METRICS` (one source
 * of truth; the README's "Metrics" section documents each one).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineObserver } from '../engine/engine-events.js';

export const METRICS_PREFIX = 'featurestream_';

/** Every metric name the engine exports (besides prom-client's default process metrics). */
export const METRICS = {
  records: 'featurestream_records_total',
  events: 'featurestream_events_total',
  deadLetters: 'featurestream_dead_letters_total',
  consumerLag: 'featurestream_consumer_lag',
  entitiesInMemory: 'featurestream_entities_in_memory',
  eventTimeLag: 'featurestream_event_time_lag_seconds',
  flush: 'featurestream_flush_seconds',
  freshness: 'featurestream_freshness_seconds',
  workerBusyRatio: 'featurestream_worker_busy_ratio',
  workerBusySeconds: 'featurestream_worker_busy_seconds_total',
  workerRestarts: 'featurestream_worker_restarts_total',
  sinkRetries: 'featurestream_sink_retries_total',
  historyRows: 'featurestream_history_rows_total',
  entityWrites: 'featurestream_entity_writes_total',
} as const;

/** Values of the `outcome` label of `featurestream_events_total`. */
export const EVENT_OUTCOMES = ['applied', 'late', 'replayed', 'filtered', 'dead_lettered'] as const;

/** Values of the `sink` label of `featurestream_flush_seconds`. */
export const SINKS = ['online', 'history', 'archive', 'deadletter'] as const;

/** Buckets of the freshness histogram, in seconds: 1 ms … 60 s. */
export const FRESHNESS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
] as const;

/** Buckets of the flush-latency histogram, in seconds: 1 ms … 30 s. */
export const FLUSH_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
] as const;

export interface EngineMetricsOptions {
  /** Worker threads of the engine: the denominator of the busy ratio. */
  readonly workers: number;
  /** Window of `featurestream_worker_busy_ratio` (ms, default 10 s, whole seconds). */
  readonly busyWindowMs?: number;
  /** Export prom-client's default process metrics (prefixed); default true. */
  readonly defaultMetrics?: boolean;
  /** Wall clock (tests). */
  readonly now?: () => number;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

interface PartitionGauges {
  readonly topic: string;
  readonly partition: string;
  lag: number | undefined;
  maxEventTime: number;
  entities: number | undefined;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** The engine's metrics: a prom-client registry fed by `observer`. */
export class EngineMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private readonly workers: number;
  private readonly partitions = new Map<string, PartitionGauges>();
  private readonly createdAt: number;
  /** Busy milliseconds per wall-clock second, a ring of `busySeconds.length` seconds. */
  private readonly busy: Float64Array;
  private readonly busySecond: Float64Array;

  private readonly records: Counter<'topic'>;
  private readonly events: Counter<'topic' | 'outcome'>;
  private readonly deadLetters: Counter<'topic' | 'reason'>;
  private readonly flush: Histogram<'sink'>;
  private readonly freshness: Histogram;
  private readonly busySeconds: Counter;
  private readonly restarts: Counter;
  private readonly retries: Counter<'sink'>;
  private readonly historyRows: Counter<'topic'>;
  private readonly entityWrites: Counter<'view'>;
  private readonly writesByView = new Map<string, Counter.Internal>();

  constructor(options: EngineMetricsOptions) {
    this.now = options.now ?? Date.now;
    this.workers = Math.max(1, options.workers);
    this.createdAt = this.now();
    const windowS = Math.max(1, Math.round((options.busyWindowMs ?? 10_000) / 1000));
    this.busy = new Float64Array(windowS);
    this.busySecond = new Float64Array(windowS).fill(-1);
    const registers = [this.registry];
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: METRICS_PREFIX });

    this.records = new Counter({
      name: METRICS.records,
      help: 'Records read from the source topic (before decoding).',
      labelNames: ['topic'],
      registers,
    });
    this.events = new Counter({
      name: METRICS.events,
      help: 'Events by outcome. applied/late/replayed/filtered count (event, view) pairs; dead_lettered counts records.',
      labelNames: ['topic', 'outcome'],
      registers,
    });
    this.deadLetters = new Counter({
      name: METRICS.deadLetters,
      help: 'Records sent to the dead-letter sink, by reason.',
      labelNames: ['topic', 'reason'],
      registers,
    });
    const partitions = this.partitions;
    /** A gauge per partition, read at scrape time; partitions whose value is undefined are left out. */
    const perPartition = (
      name: string,
      help: string,
      read: (p: PartitionGauges) => number | undefined,
    ): void => {
      new Gauge({
        name,
        help,
        labelNames: ['topic', 'partition'],
        registers,
        collect() {
          this.reset();
          for (const p of partitions.values()) {
            const v = read(p);
            if (v !== undefined) this.set({ topic: p.topic, partition: p.partition }, v);
          }
        },
      });
    };
    perPartition(
      METRICS.consumerLag,
      'Records in the partition not yet processed: high watermark minus next offset, as of the last processed batch.',
      (p) => p.lag,
    );
    perPartition(
      METRICS.entitiesInMemory,
      "Entities whose window state the partition holds in its worker thread's memory (all views, as of the last processed batch): every entity seen since the partition was assigned — idle ones are not evicted. Size worker heaps by it (docs/deployment.md, Sizing memory).",
      (p) => p.entities,
    );
    const now = this.now;
    perPartition(
      METRICS.eventTimeLag,
      'Wall clock minus the newest event time the partition has processed, at scrape time (grows while the partition is idle). Not the watermark lag: the watermark trails this by the allowed lateness.',
      (p) => (Number.isFinite(p.maxEventTime) ? (now() - p.maxEventTime) / 1000 : undefined),
    );
    this.flush = new Histogram({
      name: METRICS.flush,
      help: 'Time for a sink to acknowledge one flush of a batch (per attempt that succeeded).',
      labelNames: ['sink'],
      buckets: [...FLUSH_BUCKETS],
      registers,
    });
    this.freshness = new Histogram({
      name: METRICS.freshness,
      help: 'Online-store write time minus the _asof (event time) of the values written, per entity write.',
      buckets: [...FRESHNESS_BUCKETS],
      registers,
    });
    const ratio = (): number => this.busyRatio();
    new Gauge({
      name: METRICS.workerBusyRatio,
      help: `Sum of batch processing times in worker threads over the last ${windowS} s, divided by ${windowS} s times the worker count (0..1).`,
      registers,
      collect() {
        this.set(ratio());
      },
    });
    this.busySeconds = new Counter({
      name: METRICS.workerBusySeconds,
      help: 'Total time batches spent in worker threads (request to reply, including queueing behind other partitions of the same thread).',
      registers,
    });
    this.restarts = new Counter({
      name: METRICS.workerRestarts,
      help: 'Worker threads restarted after they exited unexpectedly.',
      registers,
    });
    this.retries = new Counter({
      name: METRICS.sinkRetries,
      help: 'Failed sink writes that were retried, by sink.',
      labelNames: ['sink'],
      registers,
    });
    this.historyRows = new Counter({
      name: METRICS.historyRows,
      help: 'History rows appended to the offline store, by source topic.',
      labelNames: ['topic'],
      registers,
    });
    this.entityWrites = new Counter({
      name: METRICS.entityWrites,
      help: 'Entity vectors written to the online store, by view.',
      labelNames: ['view'],
      registers,
    });
    for (const sink of SINKS) {
      this.flush.zero({ sink });
      this.retries.inc({ sink }, 0);
    }
    this.restarts.inc(0);
  }

  /** Subscribe the engine to this (compose with others via `composeObservers`). */
  readonly observer: EngineObserver = {
    batch: (e) => {
      const c = e.counters;
      const topic = e.topic;
      this.records.inc({ topic }, c.records);
      let dead = 0;
      for (const [reason, n] of Object.entries(c.dead)) {
        dead += n;
        this.deadLetters.inc({ topic, reason }, n);
      }
      this.events.inc({ topic, outcome: 'applied' }, c.applied);
      this.events.inc({ topic, outcome: 'late' }, c.late);
      this.events.inc({ topic, outcome: 'replayed' }, c.replayed);
      this.events.inc({ topic, outcome: 'filtered' }, c.filtered);
      this.events.inc({ topic, outcome: 'dead_lettered' }, dead);
      this.historyRows.inc({ topic }, e.historyRows);
      const key = tpKey(topic, e.partition);
      let p = this.partitions.get(key);
      if (p === undefined) {
        p = {
          topic,
          partition: String(e.partition),
          lag: undefined,
          maxEventTime: -Infinity,
          entities: undefined,
        };
        this.partitions.set(key, p);
      }
      if (e.nextOffset >= 0 && Number.isFinite(e.highWatermark))
        p.lag = Math.max(0, e.highWatermark - e.nextOffset);
      if (e.maxEventTime > p.maxEventTime) p.maxEventTime = e.maxEventTime;
      p.entities = e.entitiesInMemory;
      if (e.processMs > 0) {
        this.busySeconds.inc(e.processMs / 1000);
        this.addBusy(e.processMs);
      }
    },
    flush: (e) => {
      this.flush.observe({ sink: e.sink }, e.ms / 1000);
    },
    written: (e) => {
      let child = this.writesByView.get(e.view);
      if (child === undefined) {
        child = this.entityWrites.labels({ view: e.view });
        this.writesByView.set(e.view, child);
      }
      child.inc();
      if (Number.isFinite(e.asOf)) this.freshness.observe(Math.max(0, e.writtenAt - e.asOf) / 1000);
    },
    sinkRetry: (e) => {
      this.retries.inc({ sink: e.sink });
    },
    workerRestart: () => {
      this.restarts.inc();
    },
    revoked: (e) => {
      this.partitions.delete(tpKey(e.topic, e.partition));
    },
  };

  private addBusy(ms: number): void {
    const second = Math.floor(this.now() / 1000);
    const i = second % this.busy.length;
    if (this.busySecond[i] !== second) {
      this.busySecond[i] = second;
      this.busy[i] = 0;
    }
    this.busy[i] = (this.busy[i] ?? 0) + ms;
  }

  /**
   * Busy time of the worker threads over the window (the current second and the n−1 before
   * it), divided by the wall time of that window (never reaching back before this object was
   * created) times the worker count; at most 1.
   */
  busyRatio(): number {
    const t = this.now();
    const second = Math.floor(t / 1000);
    const n = this.busy.length;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const s = this.busySecond[i] ?? -1;
      if (s > second - n && s <= second) sum += this.busy[i] ?? 0;
    }
    const windowStart = Math.max((second - n + 1) * 1000, this.createdAt);
    const span = Math.max(1_000, t - windowStart);
    return Math.min(1, sum / (span * this.workers));
  }

  /** The text exposition of every metric (what `GET /metrics` returns). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (200 `ok`) on `port`
   * (0: a free port) on all interfaces; resolves once listening.
   */
  serve(port: number, host?: string): Promise<MetricsServer> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        this.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.registry.contentType });
            res.end(req.method === 'HEAD' ? undefined : text);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : 'ok\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('not found: try /metrics or /healthz\n');
      }
    });
    server.keepAliveTimeout = 65_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const onListening = (): void => {
        server.off('error', reject);
        const addr = server.address() as AddressInfo;
        resolve({
          port: addr.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        });
      };
      if (host === undefined) server.listen(port, onListening);
      else server.listen(port, host, onListening);
    });
  }
}
