import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import { composeObservers } from '../../engine/engine-events.js';
import { topologyFiles } from '../../engine/topology-loader.js';
import { consoleLogger } from '../../observability/logger.js';
import { createEngine, openStores } from '../engine-factory.js';
import { startMetricsEndpoint } from '../metrics-endpoint.js';
import { ProgressReporter } from '../progress.js';
import { waitForSignal } from '../signals.js';

export const RUN_HELP = `featurestream run <topology files or folders…> [--workers N] [--group ID] [--replay]

Runs the engine on the given topologies: consumes their Kafka topics (KAFKA_BROKERS) in a
consumer group, computes features in worker threads, writes Redis (REDIS_URL) and ClickHouse
(CLICKHOUSE_URL or the embedded engine). Stops cleanly on SIGINT/SIGTERM (flush, commit, exit 0).
Serves Prometheus metrics on http://localhost:FS_METRICS_PORT/metrics (default 9464; 0 disables).

  --workers N   worker threads (default: FS_WORKERS or one per core)
  --group ID    consumer group (default: FS_GROUP_ID or 'featurestream')
  --replay      deterministic replay: idle partitions do not follow the wall clock
  --quiet       no progress lines`;

export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      workers: { type: 'string' },
      group: { type: 'string' },
      replay: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const env = { ...process.env };
  if (values.workers !== undefined) env.FS_WORKERS = values.workers;
  if (values.group !== undefined) env.FS_GROUP_ID = values.group;
  const config = loadConfig(env);
  const log = consoleLogger();
  const topologies = positionals.length > 0 ? positionals : ['topologies'];
  topologyFiles(topologies); // a missing path fails before any service is contacted
  const stores = await openStores(config);
  const endpoint = await startMetricsEndpoint(config).catch(async (err: unknown) => {
    await stores.close();
    throw err;
  });
  if (endpoint.url !== undefined) log.info('metrics', { url: endpoint.url });
  const progress = new ProgressReporter(stores.online, (line) => log.info(line));
  const engine = createEngine(config, stores, topologies, log, {
    observer: composeObservers(progress.observer, endpoint.metrics.observer),
    wallClockIdle: !values.replay,
  });
  try {
    await engine.pipeline.start();
    const first = engine.pipeline.compiledViews[0];
    if (!values.quiet && first !== undefined) progress.start(first, 5_000);
    log.info('running', {
      source: stores.mode.source,
      online: stores.mode.online,
      offline: stores.mode.history,
      workers: config.workers,
      metrics: endpoint.url ?? 'disabled (FS_METRICS_PORT=0)',
    });
    const signal = await waitForSignal();
    log.info(`${signal}: stopping (flush, commit)`);
  } finally {
    progress.stop();
    await engine.stop();
    await endpoint.close();
    await stores.close();
  }
  log.info(progress.summary());
  return 0;
}
