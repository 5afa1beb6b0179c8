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
}
