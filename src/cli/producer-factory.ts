import { createKafka, checkKafka } from '../adapters/kafka/kafka-client.js';
import { KafkaEventProducer } from '../adapters/kafka/kafka-producer.js';
import type { Config } from '../config/config.js';
import { userError } from '../core/errors.js';
import type { EventProducer } from '../ports/event-producer.js';

/**
 * A producer to the Kafka cluster of KAFKA_BROKERS, checked to answer. Producing to the embedded
 * in-process log would be pointless (it dies with this process), so KAFKA_BROKERS is required.
 * Unlike `openStores`, this opens nothing else (no Redis, no ClickHouse).
 */
export async function openKafkaProducer(config: Config, command: string): Promise<EventProducer> {
  const brokers = config.kafkaBrokers;
  if (brokers === undefined) {
    throw userError(
      'KAFKA_REQUIRED',
      `${command} writes to Kafka, but KAFKA_BROKERS is not set (the embedded log lives only inside one process)`,
      'set KAFKA_BROKERS=host:port[,host:port] (npm run services up prints one)',
    );
  }
  const kafka = createKafka(brokers, 'featurestream-producer');
  await checkKafka(kafka, brokers);
  return new KafkaEventProducer(kafka);
}
