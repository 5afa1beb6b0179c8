import type { Config } from '../config/config.js';
import { userError } from '../core/errors.js';
import { EngineMetrics } from '../observability/metrics.js';
import type { MetricsServer } from '../observability/metrics.js';

export interface MetricsEndpoint {
  readonly metrics: EngineMetrics;
  /** `http://localhost:PORT/metrics`, or undefined when FS_METRICS_PORT=0 (disabled). */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/**
 * The engine's metrics, served on FS_METRICS_PORT (config.metricsPort) unless it is 0, which
 * disables the endpoint (the metrics are still collected, nobody can scrape them). A port in use
 * is a one-line user error naming the setting.
 */
export async function startMetricsEndpoint(config: Config): Promise<MetricsEndpoint> {
  const metrics = new EngineMetrics({ workers: config.workers });
  if (config.metricsPort === 0) return { metrics, url: undefined, close: () => Promise.resolve() };
  let server: MetricsServer;
  try {
    server = await metrics.serve(config.metricsPort);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw userError(
      'METRICS_PORT',
      `cannot serve metrics on FS_METRICS_PORT=${config.metricsPort}: ${code === 'EADDRINUSE' ? 'the port is in use' : err instanceof Error ? err.message : String(err)}`,
      'set FS_METRICS_PORT to a free port, or FS_METRICS_PORT=0 to disable the metrics endpoint',
    );
  }
  return {
    metrics,
    url: `http://localhost:${server.port}/metrics`,
    close: () => server.close(),
  };
}
