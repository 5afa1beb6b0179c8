import { Kafka, logLevel } from 'kafkajs';
import type { LogEntry } from 'kafkajs';
import { FeatureStreamError } from '../../core/errors.js';

/** A kafkajs client for KAFKA_BROKERS with quiet, one-line logging. */
export function createKafka(brokers: string, clientId = 'featurestream'): Kafka {
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (list.length === 0) {
    throw new FeatureStreamError('KAFKA_BROKERS', 'KAFKA_BROKERS is empty', {
      domain: 'user',
      fix: 'set KAFKA_BROKERS=host:port[,host:port]',
    });
  }
  return new Kafka({
    clientId,
    brokers: list,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 200, retries: 8 },
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      if (process.env.FS_KAFKA_DEBUG === '1') {
        process.stderr.write(`[kafkajs ${entry.namespace}] ${entry.log.message}\n`);
      }
    },
  });
}

/** Checks the brokers answer, with a one-line error naming KAFKA_BROKERS when they do not. */
export async function checkKafka(kafka: Kafka, brokers: string): Promise<void> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200 } });
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new FeatureStreamError(
      'KAFKA_UNREACHABLE',
      `cannot reach Kafka at KAFKA_BROKERS=${brokers}: ${err instanceof Error ? err.message : String(err)}`,
      {
        domain: 'external',
        retriable: true,
        fix: 'start a broker (npm run services up) or fix KAFKA_BROKERS; unset it to use the embedded in-process source',
        cause: err,
      },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
