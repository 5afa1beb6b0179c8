/**
 * Global setup of the integration project: real Kafka and Redis (given by KAFKA_BROKERS /
 * REDIS_URL, or started by scripts/services.sh), verified up front. A missing or broken service
 * fails the run with a message that says how to fix it — integration tests never skip.
 * ClickHouse is the embedded engine (one per test process) unless CLICKHOUSE_URL is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startServices } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: Record<string, string>;
    /** The run's scratch folder (ClickHouse data, topology files); removed after the run. */
    tmpRoot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const services = await startServices();
  const env = { ...services.env };
  if (process.env.CLICKHOUSE_URL !== undefined && process.env.CLICKHOUSE_URL !== '')
    env.CLICKHOUSE_URL = process.env.CLICKHOUSE_URL;
  Object.assign(process.env, env);
  project.provide('services', env);
  // Every test's scratch files live under one folder that the teardown removes
  // (FS_KEEP_TEST_TMP=1 keeps it for a post-mortem).
  const tmpRoot = mkdtempSync(join(tmpdir(), 'featurestream-test-'));
  project.provide('tmpRoot', tmpRoot);
  return async () => {
    try {
      await services.stop();
    } finally {
      if (process.env.FS_KEEP_TEST_TMP === '1') console.log(`test scratch kept in ${tmpRoot}`);
      else rmSync(tmpRoot, { recursive: true, force: true });
    }
  };
}
