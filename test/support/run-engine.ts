/** Runs the engine in-process on the real services until a condition holds (end-to-end tests). */
import { createEngine, openStores } from '../../src/cli/engine-factory.js';
import type { Engine, Stores } from '../../src/cli/engine-factory.js';
import type { Config } from '../../src/config/config.js';
import type { EngineObserver } from '../../src/engine/engine-events.js';
import { silentLogger } from '../../src/ports/logger.js';
import { waitFor } from './e2e.js';

export interface RunningEngine {
  readonly engine: Engine;
  readonly stores: Stores;
  /** Records seen so far (all outcomes). */
  records(): number;
  stop(): Promise<void>;
}

export async function startEngine(
  config: Config,
  topologies: readonly string[],
  observer: EngineObserver = {},
): Promise<RunningEngine> {
  const stores = await openStores(config);
  let records = 0;
  const engine = createEngine(config, stores, topologies, silentLogger, {
    wallClockIdle: false,
    observer: {
      ...observer,
      batch: (e) => {
        records += e.counters.records;
        observer.batch?.(e);
      },
    },
  });
  await engine.pipeline.start();
  return {
    engine,
    stores,
    records: () => records,
    stop: async () => {
      await engine.stop();
      await stores.close();
    },
  };
}

/** Starts an engine, waits until it has seen `total` records, stops it (stores stay open). */
export async function runUntil(
  config: Config,
  topologies: readonly string[],
  total: number,
  observer: EngineObserver = {},
): Promise<Stores> {
  const stores = await openStores(config);
  let records = 0;
  const engine = createEngine(config, stores, topologies, silentLogger, {
    wallClockIdle: false,
    observer: {
      ...observer,
      batch: (e) => {
        records += e.counters.records;
        observer.batch?.(e);
      },
    },
  });
  try {
    await engine.pipeline.start();
    await waitFor(`${total} records consumed`, () => records >= total, 120_000);
  } finally {
    await engine.stop();
  }
  return stores;
}
