/**
 * Prometheus metrics of the serving API: request latency per route and status, errors, Redis read
 * time. Exposed on the API's own `GET /metrics`.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServingObserver } from '../serving/http-api.js';

export const SERVING_METRICS = {
  requestSeconds: 'featurestream_serving_request_seconds',
  errors: 'featurestream_serving_errors_total',
  redisSeconds: 'featurestream_serving_redis_seconds',
} as const;

/** 100 µs … 1 s: the API's latency budget lives in the sub-millisecond buckets. */
export const SERVING_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
] as const;

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'route' | 'status'>;
  private readonly errors: Counter<'route' | 'status'>;
  private readonly redis: Histogram;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.latency = new Histogram({
      name: SERVING_METRICS.requestSeconds,
      help: 'Serving API request latency (seconds), by route and HTTP status',
      labelNames: ['route', 'status'],
      buckets: [...SERVING_BUCKETS],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: SERVING_METRICS.errors,
      help: 'Serving API responses with status ≥ 400, by route and status',
      labelNames: ['route', 'status'],
      registers: [this.registry],
    });
    this.redis = new Histogram({
      name: SERVING_METRICS.redisSeconds,
      help: 'Online-store (Redis) read time of a request (one pipelined round trip), seconds',
      buckets: [...SERVING_BUCKETS],
      registers: [this.registry],
    });
    if (options.defaultMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'featurestream_serving_' });
  }

  readonly observer: ServingObserver = {
    request: (route, status, seconds) => {
      const labels = { route, status: String(status) };
      this.latency.observe(labels, seconds);
      if (status >= 400) this.errors.inc(labels);
    },
  };

  /** For `FeatureReader`: each online-store read's duration. */
  readonly storeRead = (seconds: number): void => {
    this.redis.observe(seconds);
  };

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
