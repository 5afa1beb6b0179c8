import { ClickHouseHistoryStore } from '../adapters/clickhouse/clickhouse-history-store.js';
import { createKafka, checkKafka } from '../adapters/kafka/kafka-client.js';
import { KafkaDeadLetters } from '../adapters/kafka/kafka-dead-letters.js';
import { KafkaEventSource } from '../adapters/kafka/kafka-event-source.js';
import { MemoryDeadLetters } from '../adapters/memory/memory-dead-letters.js';
import {
  MemoryEventProducer,
  MemoryEventSource,
  MemoryLog,
} from '../adapters/memory/memory-log.js';
import { KafkaEventProducer } from '../adapters/kafka/kafka-producer.js';
import { MemoryOnlineStore } from '../adapters/memory/memory-online-store.js';
import { RedisOnlineStore } from '../adapters/redis/redis-online-store.js';
import type { Config } from '../config/config.js';
import type { EngineObserver } from '../engine/engine-events.js';
import { Pipeline } from '../engine/pipeline.js';
import { WorkerPool } from '../engine/worker-pool.js';
import type { DeadLetterSink } from '../ports/dead-letter.js';
import type { EventProducer } from '../ports/event-producer.js';
import type { EventSource } from '../ports/event-source.js';
import type { HistoryStore } from '../ports/history-store.js';
import type { Logger } from '../ports/logger.js';
import type { OnlineStore } from '../ports/online-store.js';

/** The adapters chosen by configuration: real services when their URLs are set, else embedded. */
export interface Stores {
  readonly online: OnlineStore;
  readonly history: HistoryStore;
  readonly source: EventSource;
  readonly deadLetters: DeadLetterSink;
  /** A producer to the configured source (Kafka, or the embedded log). */
  createProducer(): EventProducer;
  /** Set in embedded mode: the in-process log producers append to. */
  readonly memoryLog: MemoryLog | undefined;
  readonly mode: { readonly source: string; readonly online: string; readonly history: string };
  close(): Promise<void>;
}

export async function openStores(
  config: Config,
  options: { concurrency?: number; fromBeginning?: boolean } = {},
): Promise<Stores> {
  const closers: (() => Promise<void>)[] = [];
  try {
    let createProducer: () => EventProducer;
    let memoryLog: MemoryLog | undefined;
    let source: EventSource;
    let deadLetters: DeadLetterSink;
    if (config.kafkaBrokers !== undefined) {
      const kafka = createKafka(config.kafkaBrokers);
      createProducer = () => new KafkaEventProducer(kafka);
      await checkKafka(kafka, config.kafkaBrokers);
      source = new KafkaEventSource(kafka, {
        groupId: config.groupId,
        concurrency: options.concurrency ?? Math.max(2, config.workers * 2),
        fromBeginning: options.fromBeginning ?? true,
        sessionTimeoutMs: config.sessionTimeoutMs,
      });
      const dl = new KafkaDeadLetters(kafka);
      closers.push(() => dl.close());
      deadLetters = dl;
    } else {
      const log = new MemoryLog(config.embeddedPartitions);
      memoryLog = log;
      createProducer = () => new MemoryEventProducer(log);
      source = new MemoryEventSource(memoryLog);
      deadLetters = new MemoryDeadLetters();
    }
    const online: OnlineStore =
      config.redisUrl !== undefined
        ? await RedisOnlineStore.connect(config.redisUrl, {
            connections: config.redisReadConnections,
            timeoutMs: config.redisReadTimeoutMs,
          })
        : new MemoryOnlineStore();
    closers.push(() => online.close());
    const history = await ClickHouseHistoryStore.open({
      url: config.clickhouseUrl,
      path: config.clickhousePath,
      database: config.clickhouseDatabase,
    });
    closers.push(() => history.close());
    return {
      online,
      history,
      source,
      deadLetters,
      createProducer,
      memoryLog,
      mode: {
        source:
          config.kafkaBrokers === undefined
            ? `embedded log (${config.embeddedPartitions} partitions)`
            : `Kafka ${config.kafkaBrokers ?? ''}`,
        online: online.kind === 'redis' ? `Redis ${redactUrl(config.redisUrl ?? '')}` : 'in-memory',
        history:
          history.kind === 'clickhouse'
            ? `ClickHouse ${redactUrl(config.clickhouseUrl ?? '')}`
            : `embedded ClickHouse at ${config.clickhousePath}`,
      },
      close: async () => {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw err;
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/g, '//$1:***@');
}

const WORKER_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './worker-entry.ts' : './worker-entry.js',
  import.meta.url,
);

export interface Engine {
  readonly pipeline: Pipeline;
  readonly pool: WorkerPool;
  stop(): Promise<void>;
}

/** Wires stores, worker threads and the pipeline; `start()` begins consuming. */
export function createEngine(
  config: Config,
  stores: Stores,
  topologies: readonly string[],
  logger: Logger,
  options: { observer?: EngineObserver; wallClockIdle?: boolean } = {},
): Engine {
  const holder: { pipeline?: Pipeline } = {};
  const pool = new WorkerPool({
    entry: WORKER_ENTRY,
    size: config.workers,
    ...(config.workerHeapMb === undefined ? {} : { heapMb: config.workerHeapMb }),
    onRestart: (index, code, reason) => holder.pipeline?.workerRestarted(index, code, reason),
  });
  const p = new Pipeline(
    {
      source: stores.source,
      online: stores.online,
      history: stores.history,
      deadLetters: stores.deadLetters,
      pool,
      logger,
      ...(options.observer === undefined ? {} : { observer: options.observer }),
    },
    {
      topologies,
      bounds: { minEventTime: config.minEventTime, maxFutureMs: config.maxFutureMs },
      wallClockIdle: options.wallClockIdle ?? true,
    },
  );
  holder.pipeline = p;
  return {
    pipeline: p,
    pool,
    stop: async () => {
      await p.stop();
      await pool.close();
    },
  };
}
