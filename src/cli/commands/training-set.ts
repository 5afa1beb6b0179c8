import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import { describeTarget } from '../../offline/output.js';
import { buildTrainingSet } from '../../offline/training-set.js';
import {
  FRAME_OPTIONS,
  interruptible,
  loadOfflineTopologies,
  openOffline,
  rejectPositionals,
  parseList,
  parsePairs,
} from '../offline-factory.js';
import { progressPrinter, timingSummary } from '../offline-progress.js';

export const TRAINING_SET_HELP = `featurestream training-set --labels L (--features LIST | --service NAME) --out O [options]

Builds a point-in-time-correct training set (features as of each label's time) in ClickHouse.

For every label row (entity keys and a time t), the value of each selected feature as of t: the
view's history row with the greatest as_of ≤ t, never a value from after t; a label before an
entity's first row gets the empty-window values (count 0, mean null, …). Output rows keep the
label order.

  --labels L        a table of the offline store (name or db.name), a .csv file with a header
                    line, or a .parquet file (read by ClickHouse itself: with CLICKHOUSE_URL the
                    server must be able to read the path — else pass a CSV or a table)
  --features LIST   view:feature,… (view:* selects every feature of a view)
  --service NAME    a feature service: its features, order, names and pinned versions
  --version LIST    view=version,… history versions to read (default: the version each view
                    of the topologies compiles to)
  --keys LIST       column=key,… label columns that hold entity keys under another name
  --at COLUMN       the label time column (default ts): epoch milliseconds, ISO-8601 text, or a
                    Date/DateTime column
  --out O           a table (name or db.name; ordered by its _row column), or a .parquet or .csv
                    file (rows in label order)
  --overwrite       replace an existing output table or file
  --topologies P    topology file or folder (default ${DEFAULTS.topologies})
  --quiet           no progress on stderr

The output appears only when complete; on an error nothing is left behind. Exit status: 0 done,
2 bad input (unknown view/feature/service, missing label columns, unparsable times, no labels),
1 failure, 130 interrupted.`;

export async function trainingSetCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...FRAME_OPTIONS,
      labels: { type: 'string' },
      features: { type: 'string', multiple: true },
      service: { type: 'string' },
      version: { type: 'string', multiple: true },
    },
    allowPositionals: true,
    strict: true,
  });
  rejectPositionals(positionals);
  if (values.labels === undefined)
    throw userError('CLI_ARG', 'training-set needs --labels', 'e.g. --labels labels.csv');
  if (values.out === undefined)
    throw userError('CLI_ARG', 'training-set needs --out', 'e.g. --out training.parquet');
  const labels = values.labels;
  const out = values.out;
  const features = parseList(values.features);
  const versions = parsePairs(values.version, '--version', 'card_fraud=a94f94afeb45');
  const keys = parsePairs(values.keys, '--keys', 'card=card_id');
  const config = loadConfig();
  const topologies = await loadOfflineTopologies(values.topologies);
  const sql = await openOffline(config);
  try {
    return await interruptible(
      (signal) =>
        buildTrainingSet(sql, {
          topologies,
          labels,
          ...(features.length > 0 ? { features } : {}),
          ...(values.service === undefined ? {} : { service: values.service }),
          versions,
          keys,
          at: values.at,
          out,
          overwrite: values.overwrite,
          onProgress: progressPrinter(process.stderr, !values.quiet),
          signal,
        }),
      (result) => {
        process.stdout.write(
          `training set: ${result.rows.toLocaleString('en-US')} rows × ${result.features.length} features → ${describeTarget(result.out)} (${timingSummary(result.phases)})\n`,
        );
        return 0;
      },
    );
  } finally {
    await sql.close();
  }
}
