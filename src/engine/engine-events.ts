import type { FeatureValue } from '../core/aggregation/aggregator.js';
import type { BatchCounters } from './source-processor.js';

/**
 * What the engine reports as it runs; metrics (prom-client) and the demo's progress line
 * subscribe to it. All callbacks are optional and must not throw.
 */
export interface EngineObserver {
  batch?: (e: {
    topic: string;
    partition: number;
    counters: BatchCounters;
    maxEventTime: number;
    nextOffset: number;
    highWatermark: number;
    historyRows: number;
    entityWrites: number;
    /** Entities (summed over the partition's views) held in worker memory after the batch. */
    entitiesInMemory: number;
    processMs: number;
  }) => void;
  flush?: (e: {
    sink: 'online' | 'history' | 'archive' | 'deadletter';
    ms: number;
    items: number;
  }) => void;
  /** Freshness samples: wall time of the Redis write minus the event time of the value. */
  written?: (e: {
    view: string;
    key: string;
    asOf: number;
    values: readonly FeatureValue[];
    writtenAt: number;
  }) => void;
  sinkRetry?: (e: { sink: string; attempt: number; waitMs: number; error: string }) => void;
  workerRestart?: (e: { index: number; exitCode: number }) => void;
  watermark?: (e: { topic: string; partition: number; watermark: number }) => void;
  /**
   * A partition left this instance (rebalance, stop): per-partition metrics drop its series.
   * Optional; until the pipeline emits it, a revoked partition's last values stay exported.
   */
  revoked?: (e: { topic: string; partition: number }) => void;
}

type Callbacks = Required<EngineObserver>;

/**
 * One observer that forwards every event to each of `observers` (undefined ones are skipped), in
 * order. A callback that throws is isolated: the others still see the event and the engine never
 * sees the error. Only callbacks some observer defines are defined on the result, so the
 * pipeline's "nobody listens" shortcuts (e.g. for `written`) still apply.
 */
export function composeObservers(...observers: (EngineObserver | undefined)[]): EngineObserver {
  const list = observers.filter((o): o is EngineObserver => o !== undefined);
  const out: EngineObserver = {};
  const names = new Set(list.flatMap((o) => Object.keys(o))) as Set<keyof EngineObserver>;
  for (const name of names) {
    const fns = list
      .map((o) => o[name])
      .filter((f): f is NonNullable<typeof f> => typeof f === 'function') as ((
      e: unknown,
    ) => void)[];
    if (fns.length === 0) continue;
    const fan = (e: unknown): void => {
      for (const fn of fns) {
        try {
          fn(e);
        } catch {
          // observers must not throw; if one does, it must not break the engine or the others
        }
      }
    };
    (out as Record<keyof Callbacks, unknown>)[name] = fan;
  }
  return out;
}
