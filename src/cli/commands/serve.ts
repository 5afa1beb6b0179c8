import { parseArgs } from 'node:util';
import { RedisOnlineStore } from '../../adapters/redis/redis-online-store.js';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import { loadTopologies } from '../../engine/topology-loader.js';
import { consoleLogger } from '../../observability/logger.js';
import type { EventProducer } from '../../ports/event-producer.js';
import { openKafkaProducer } from '../producer-factory.js';
import { startServing } from '../serving-factory.js';
import { waitForSignal } from '../signals.js';

export const SERVE_HELP = `featurestream serve [--port N] [--host H] [--topologies PATH] [--no-push]

Serves online features over HTTP from Redis (REDIS_URL), for fraud models and other readers:
  GET  /v1/features/{view}/{entity}?features=a,b&version=v
  POST /v1/features                      { "requests": [{ "view", "entities": [...], "features"?, "version"? }] }
  POST /v1/feature-services/{name}       { "entities": [{ "<key field>": "<value>" }] }   (?version= pins)
  POST /v1/push/{source}                 an event or a list of events (to Kafka; needs KAFKA_BROKERS)
  GET  /healthz, /readyz, /metrics
Bearer-token auth with per-view read scopes and per-source push scopes when FS_SERVE_TOKENS_FILE
names a JSON file { "tokens": [{ "token": "…", "read": ["card_fraud"], "push": ["transactions"] }] }.

  --port N         listen port (default FS_PORT or ${DEFAULTS.servePort})
  --host H         listen address (default 0.0.0.0)
  --topologies P   topology file or folder (default ${DEFAULTS.topologies})
  --no-push        do not offer /v1/push even when KAFKA_BROKERS is set`;

export async function serveCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string', default: '0.0.0.0' },
      topologies: { type: 'string', default: DEFAULTS.topologies },
      'no-push': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config = loadConfig();
  const log = consoleLogger();
  const port = values.port === undefined ? config.servePort : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw userError('CLI_ARG', `--port ${values.port ?? ''} is not a port`, 'e.g. --port 8080');
  if (config.redisUrl === undefined) {
    throw userError(
      'REDIS_REQUIRED',
      'serve reads the online store, but REDIS_URL is not set (the in-memory store lives inside `npm start`, which serves too)',
      'set REDIS_URL=redis://host:port',
    );
  }
  const topologies = await loadTopologies([values.topologies]);
  const online = await RedisOnlineStore.connect(config.redisUrl, {
    connections: config.redisReadConnections,
    timeoutMs: config.redisReadTimeoutMs,
  });
  let producer: EventProducer | undefined;
  try {
    if (!values['no-push'] && config.kafkaBrokers !== undefined)
      producer = await openKafkaProducer(config, 'serve');
    const serving = await startServing(config, online, topologies, {
      port,
      host: values.host,
      producer,
    });
    log.info('serving', {
      url: serving.url,
      views: topologies.views.map((v) => v.name),
      services: topologies.services.map((s) => `${s.name}@${s.version}`),
      push: producer === undefined ? 'off' : 'on',
    });
    const signal = await waitForSignal();
    log.info(`${signal}: stopping`);
    await serving.close();
  } finally {
    await producer?.close();
    await online.close();
  }
  return 0;
}
