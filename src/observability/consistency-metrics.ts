import { Gauge, Registry } from 'prom-client';

/** One sample of the consistency gauge (see src/offline/consistency.ts `consistencyGauges`). */
export interface ConsistencySample {
  readonly name: string;
  readonly labels: { readonly view: string; readonly feature: string };
  readonly value: number;
}

/**
 * The consistency report as Prometheus text exposition — the format of node_exporter's textfile
 * collector, so a scheduled `featurestream consistency --metrics-file` feeds a dashboard or an
 * alert. One gauge, `featurestream_consistency_mismatch_ratio{view,feature}`.
 */
export async function consistencyExposition(
  samples: readonly ConsistencySample[],
): Promise<string> {
  const registry = new Registry();
  const name = samples[0]?.name;
  if (name === undefined) return '';
  const gauge = new Gauge({
    name,
    help: 'share of sampled entities whose online value differs from the offline history as of the same _asof',
    labelNames: ['view', 'feature'],
    registers: [registry],
  });
  for (const s of samples) gauge.set({ view: s.labels.view, feature: s.labels.feature }, s.value);
  return registry.metrics();
}
