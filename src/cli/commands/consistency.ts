import { rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import {
  CONSISTENCY_GAUGE,
  consistencyGauges,
  measureConsistency,
} from '../../offline/consistency.js';
import { consistencyExposition } from '../../observability/consistency-metrics.js';
import type { ConsistencyReport } from '../../offline/consistency.js';
import {
  loadOfflineTopologies,
  OFFLINE_OPTIONS,
  openOffline,
  openOnline,
  rejectPositionals,
} from '../offline-factory.js';
import { progressPrinter } from '../offline-progress.js';

export const CONSISTENCY_HELP = `featurestream consistency --view NAME [--sample N] [--version V] [options]

Measures online (Redis) / offline (ClickHouse history) consistency of a view on a sample.

Samples N entities from Redis (REDIS_URL), reads each one's vector and _asof, recomputes the
values as of that same _asof from the ClickHouse history (ASOF join, FINAL, the same version) and
reports, per feature, the share of entities whose values differ (exact for counts, integers,
strings and sketches; 1e-9 relative for other floats). Entities whose _asof the history has not
reached yet (rows are written once the watermark passes) count as not yet settled, not as
mismatches. --metrics-file writes the ratios as the gauge ${CONSISTENCY_GAUGE}{view,feature}
in Prometheus text format (for node_exporter's textfile collector; replaced atomically).

  --view NAME       a view of the topologies
  --sample N        entities to sample (default 1000)
  --version V       the version to check (default: the view's current version in Redis)
  --json            print the report as JSON
  --metrics-file F  also write the gauge to F (Prometheus text format)
  --topologies P    topology file or folder (default ${DEFAULTS.topologies})
  --quiet           no progress on stderr

Exit status: 0 no mismatches, 3 mismatches found, 2 bad input, 1 failure.`;

const fmt = (n: number): string => n.toLocaleString('en-US');

function render(r: ConsistencyReport): string {
  const lines = [
    `consistency of ${r.view} ${r.version}: sampled ${fmt(r.sampled)} · compared ${fmt(r.compared)} · not yet settled ${fmt(r.notSettled)} · missing online ${fmt(r.missingOnline)} · entities with a mismatch ${fmt(r.mismatchedEntities)}`,
  ];
  const w = Math.max(7, ...r.features.map((f) => f.feature.length));
  lines.push(
    `${'feature'.padEnd(w)}  ${'compared'.padStart(8)}  ${'mismatches'.padStart(10)}  ratio`,
  );
  for (const f of r.features) {
    lines.push(
      `${f.feature.padEnd(w)}  ${fmt(f.compared).padStart(8)}  ${fmt(f.mismatches).padStart(10)}  ${f.ratio === 0 ? '0' : f.ratio.toPrecision(3)}`,
    );
    for (const e of f.examples)
      lines.push(
        `${''.padEnd(w)}    ${e.entity} as of ${e.asOf}: online ${JSON.stringify(e.online)}, offline ${JSON.stringify(e.offline)}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export async function consistencyCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...OFFLINE_OPTIONS,
      view: { type: 'string' },
      sample: { type: 'string', default: '1000' },
      version: { type: 'string' },
      json: { type: 'boolean', default: false },
      'metrics-file': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  rejectPositionals(positionals);
  if (values.view === undefined)
    throw userError('CLI_ARG', 'consistency needs --view NAME', 'e.g. --view card_fraud');
  const sample = Number(values.sample);
  if (!Number.isInteger(sample) || sample <= 0)
    throw userError(
      'CLI_ARG',
      `--sample ${values.sample} is not a positive integer`,
      'e.g. --sample 1000',
    );
  const config = loadConfig();
  const { views } = await loadOfflineTopologies(values.topologies);
  const view = views.find((v) => v.name === values.view);
  if (view === undefined)
    throw userError(
      'UNKNOWN_VIEW',
      `unknown view '${values.view}' (loaded: ${views.map((v) => v.name).join(', ')})`,
      'use a view of the topologies, or --topologies PATH',
    );
  const online = await openOnline(config, 'consistency');
  try {
    const sql = await openOffline(config);
    try {
      const report = await measureConsistency(online, sql, {
        view: view.ir,
        sample,
        ...(values.version === undefined ? {} : { version: values.version }),
        onProgress: progressPrinter(process.stderr, !values.quiet && !values.json),
      });
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
      const metricsFile = values['metrics-file'];
      if (metricsFile !== undefined) {
        const tmp = `${metricsFile}.${process.pid}.tmp`;
        await writeFile(tmp, await consistencyExposition(consistencyGauges(report)));
        await rename(tmp, metricsFile);
      }
      return report.mismatchedEntities > 0 ? 3 : 0;
    } finally {
      await sql.close();
    }
  } finally {
    await online.close();
  }
}
