/** Helpers for end-to-end tests against the real services (see test/setup/global-setup.ts). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { Config } from '../../src/config/config.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SRC_INDEX = join(REPO, 'src', 'index.ts');

let counter = 0;
/** A name no other test (or earlier run) uses: topics, groups, views. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}_${Date.now().toString(36)}_${process.pid.toString(36)}_${counter}`;
}

export function services(): Record<string, string> {
  return inject('services');
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(inject('tmpRoot'), `${prefix}-`));
}

/** Config for an engine on the real services, with a fresh embedded ClickHouse path. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    ...services(),
    CLICKHOUSE_PATH: join(tempDir('ch'), 'data'),
    FS_WORKERS: '2',
    FS_GROUP_ID: uniqueName('group'),
    FS_MIN_EVENT_TIME: '2000-01-01T00:00:00Z',
    ...overrides,
  });
}

/** Writes a topology module into a temp folder; `body` may use the names of src/index.ts. */
export function writeTopology(name: string, body: string): string {
  const dir = tempDir('topo');
  const file = join(dir, `${name}.mts`);
  writeFileSync(
    file,
    `import { entity, source, field, derived, featureView } from ${JSON.stringify(SRC_INDEX)};\n${body}\n`,
  );
  return file;
}

export function kafka(): Kafka {
  return new Kafka({
    clientId: 'fs-test',
    brokers: services().KAFKA_BROKERS?.split(',') ?? [],
    logLevel: logLevel.NOTHING,
  });
}

export async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produces values to explicit partitions, in order. */
export async function produce(
  topic: string,
  messages: readonly { partition: number; key: string | null; value: Buffer | string | null }[],
): Promise<void> {
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({
        topic,
        acks: -1,
        messages: messages
          .slice(i, i + 500)
          .map((m) => ({ partition: m.partition, key: m.key, value: m.value })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Waits for a real condition, polling; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
