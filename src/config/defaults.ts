/**
 * Every default of the engine in one place. Environment variables (contracts: README
 * "Configuration") override them; `loadConfig` validates the result.
 */
export const DEFAULTS = {
  clickhousePath: './.featurestream/clickhouse',
  clickhouseDatabase: 'featurestream',
  groupId: 'featurestream',
  /** Worker threads: one per core. */
  workers: 0,
  metricsPort: 9464,
  servePort: 8080,
  /** Earliest event time accepted (older is an absurd timestamp). */
  minEventTime: '2000-01-01T00:00:00Z',
  /** How far beyond the wall clock an event time may be. */
  maxFutureMs: 86_400_000,
  /** Partitions of the embedded in-process log. */
  embeddedPartitions: 4,
  topologies: 'topologies',
  /** Kafka session timeout (the broker's group.min.session.timeout.ms is 6 s by default). */
  sessionTimeoutMs: 30_000,
  /** Serving: raw connections for vector reads on a single Redis (`HashReader`). */
  redisReadConnections: 4,
  /** Serving: a vector read unanswered this long fails (503) and its connection is reopened. */
  redisReadTimeoutMs: 2_000,
  /** Heap limit of each worker thread in MB; undefined leaves V8's default (4 GB here). */
  workerHeapMb: undefined,
} as const;
