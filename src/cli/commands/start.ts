import { parseArgs } from 'node:util';
import { codecFor } from '../../adapters/codecs.js';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import { composeObservers } from '../../engine/engine-events.js';
import { loadTopologies } from '../../engine/topology-loader.js';
import type { EventProducer, ProducedRecord } from '../../ports/event-producer.js';
import { consoleLogger } from '../../observability/logger.js';
import { TransactionGenerator } from '../demo/transaction-generator.js';
import { createEngine, openStores } from '../engine-factory.js';
import { startMetricsEndpoint } from '../metrics-endpoint.js';
import { startServing } from '../serving-factory.js';
import type { Serving } from '../serving-factory.js';
import { ProgressReporter } from '../progress.js';
import { waitForSignal } from '../signals.js';

export const START_HELP = `featurestream start [--rate N] [--cards N] [--topologies PATH] [--duration S]

Runs the demo: a generator of card transactions feeds the engine, which computes the fraud
and customer features of topologies/ and writes them to the online and offline stores.
Embedded by default (in-process log, in-memory online store, embedded ClickHouse); with
KAFKA_BROKERS / REDIS_URL / CLICKHOUSE_URL set, the same command uses those services.
Prometheus metrics: http://localhost:FS_METRICS_PORT/metrics (default 9464; 0 disables).

  --rate N         transactions per second (default 500)
  --cards N        distinct cards (default 10000)
  --topologies P   topology file or folder (default ${DEFAULTS.topologies})
  --duration S     stop after S seconds (default: run until Ctrl-C)`;

export async function startCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      rate: { type: 'string', default: '500' },
      cards: { type: 'string', default: '10000' },
      topologies: { type: 'string', default: DEFAULTS.topologies },
      duration: { type: 'string' },
    },
    strict: true,
  });
  const rate = Number(values.rate);
  const cards = Number(values.cards);
  if (!Number.isFinite(rate) || rate <= 0)
    throw userError(
      'CLI_ARG',
      `--rate ${values.rate} is not a positive number`,
      'e.g. --rate 1000',
    );
  if (!Number.isInteger(cards) || cards <= 0)
    throw userError(
      'CLI_ARG',
      `--cards ${values.cards} is not a positive integer`,
      'e.g. --cards 10000',
    );
  const config = loadConfig();
  const log = consoleLogger();
  const stores = await openStores(config);
  const endpoint = await startMetricsEndpoint(config).catch(async (err: unknown) => {
    await stores.close();
    throw err;
  });
  process.stdout.write(
    `featurestream demo — source: ${stores.mode.source}; online: ${stores.mode.online}; offline: ${stores.mode.history}; ${config.workers} worker thread(s)\n${endpoint.url === undefined ? '' : `metrics: ${endpoint.url}\n`}`,
  );
  const progress = new ProgressReporter(stores.online, (line) => process.stdout.write(`${line}\n`));
  const engine = createEngine(config, stores, [values.topologies], log, {
    observer: composeObservers(progress.observer, endpoint.metrics.observer),
  });
  let producer: EventProducer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let serving: Serving | undefined;
  try {
    producer = stores.createProducer();
    await engine.pipeline.start();
    const views = engine.pipeline.compiledViews;
    const txView = views.find((v) => v.source.name === 'transactions');
    if (txView === undefined)
      throw userError(
        'DEMO_NO_TRANSACTIONS',
        `no view in ${values.topologies} reads the 'transactions' source`,
        'run the demo with the topologies/ folder',
      );
    const purchases = views.find((v) => v.source.name === 'purchases');
    await producer.ensureTopic(txView.source.topic, config.embeddedPartitions);
    if (purchases !== undefined)
      await producer.ensureTopic(purchases.source.topic, config.embeddedPartitions);
    serving = await startServing(config, stores.online, await loadTopologies([values.topologies]), {
      port: config.servePort,
      producer,
    }).catch((err: unknown) => {
      log.warn(
        `serving API not started: ${err instanceof Error ? err.message : String(err)} (set FS_PORT to a free port)`,
      );
      return undefined;
    });
    if (serving !== undefined) {
      process.stdout.write(
        `serving API: ${serving.url}/v1/features/${txView.name}/card-000001 · POST ${serving.url}/v1/feature-services/fraud_model\n`,
      );
    }
    const txCodec = codecFor(txView.source);
    const purchaseCodec = purchases === undefined ? undefined : codecFor(purchases.source);
    const gen = new TransactionGenerator({ cards });
    const enc = new TextEncoder();
    const tickMs = 100;
    let carry = 0;
    const p = producer;
    progress.start(txView, 2_000);
    timer = setInterval(() => {
      carry += (rate * tickMs) / 1000;
      const n = Math.floor(carry);
      carry -= n;
      const now = Date.now();
      const tx: ProducedRecord[] = [];
      const orders: ProducedRecord[] = [];
      for (let i = 0; i < n; i++) {
        const row = gen.next(now);
        tx.push({ key: enc.encode(String(row.card_id)), value: txCodec.encode(row) });
        if (purchaseCodec !== undefined && i % 5 === 0) {
          const order = {
            order_id: row.txn_id,
            customer_id: row.customer_id,
            amount: row.amount,
            ts: now,
          };
          orders.push({
            key: enc.encode(String(order.customer_id)),
            value: purchaseCodec.encode(order),
          });
        }
      }
      progress.produced(tx.length + orders.length);
      void p
        .send(txView.source.topic, tx)
        .then(() => (purchases === undefined ? undefined : p.send(purchases.source.topic, orders)))
        .catch((err: unknown) =>
          log.warn('demo producer failed', {
            error: err instanceof Error ? err.message : String(err),
          }),
        );
    }, tickMs);
    const duration = values.duration === undefined ? undefined : Number(values.duration) * 1000;
    const signal = await waitForSignal(duration);
    process.stdout.write(
      `\n${signal === 'timeout' ? 'duration reached' : `${signal} received`}: stopping — flushing and committing…\n`,
    );
  } finally {
    if (timer !== undefined) clearInterval(timer);
    progress.stop();
    await serving?.close();
    await engine.stop();
    await producer?.close();
    await endpoint.close();
    await stores.close();
  }
  process.stdout.write(`${progress.summary()}\nstopped cleanly.\n`);
  return 0;
}
