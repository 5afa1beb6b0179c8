import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import { DEFAULT_SCORE_BATCH, scoreBatch } from '../../offline/batch-scoring.js';
import { loadModel } from '../../offline/model-module.js';
import { describeTarget } from '../../offline/output.js';
import {
  FRAME_OPTIONS,
  interruptible,
  loadOfflineTopologies,
  openOffline,
  rejectPositionals,
  parsePairs,
} from '../offline-factory.js';
import { progressPrinter, timingSummary } from '../offline-progress.js';

export const SCORE_BATCH_HELP = `featurestream score-batch --service NAME --model MODULE --input L --out O [options]

Scores labels offline with a model module over a feature service's point-in-time features.

Builds the feature service's point-in-time frame for the labels (exactly as training-set does),
streams it through the model in batches and writes the label columns plus a 'score' column, in
label order.

  --service NAME    the feature service the model was trained on (its features, order, versions)
  --model MODULE    a .ts or .js module whose default export (or export 'score') is
                    ({ features: string[], rows: FeatureValue[][] }) => number[] | Promise<number[]>
                    — one finite number per row; timestamps arrive as epoch milliseconds
  --input L         labels: a table (name or db.name), a .csv file or a .parquet file
                    (see training-set --help)
  --out O           a table (name or db.name), or a .parquet or .csv file
  --keys LIST       column=key,… label columns that hold entity keys under another name
  --at COLUMN       the label time column (default ts)
  --batch N         rows per model call (default ${DEFAULT_SCORE_BATCH.toLocaleString('en-US')})
  --overwrite       replace an existing output table or file
  --topologies P    topology file or folder (default ${DEFAULTS.topologies})
  --quiet           no progress on stderr

Example: featurestream score-batch --service fraud_model --model examples/fraud-model.ts \\
           --input labels.csv --out scores.parquet`;

export async function scoreBatchCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      ...FRAME_OPTIONS,
      service: { type: 'string' },
      model: { type: 'string' },
      input: { type: 'string' },
      batch: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  rejectPositionals(positionals);
  const { service, model, input, out } = values;
  if (service === undefined || model === undefined || input === undefined || out === undefined)
    throw userError(
      'CLI_ARG',
      'score-batch needs --service, --model, --input and --out',
      'e.g. --service fraud_model --model examples/fraud-model.ts --input labels.csv --out scores.csv',
    );
  const batchSize = values.batch === undefined ? DEFAULT_SCORE_BATCH : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw userError(
      'CLI_ARG',
      `--batch ${values.batch} is not a positive integer`,
      'e.g. --batch 10000',
    );
  const keys = parsePairs(values.keys, '--keys', 'card=card_id');
  const config = loadConfig();
  const topologies = await loadOfflineTopologies(values.topologies);
  const fn = await loadModel(model);
  const sql = await openOffline(config);
  try {
    return await interruptible(
      (signal) =>
        scoreBatch(sql, {
          topologies,
          service,
          model: fn,
          labels: input,
          keys,
          at: values.at,
          out,
          overwrite: values.overwrite,
          batchSize,
          onProgress: progressPrinter(process.stderr, !values.quiet),
          signal,
        }),
      (result) => {
        process.stdout.write(
          `scored ${result.rows.toLocaleString('en-US')} rows in ${result.batches} batch(es) → ${describeTarget(result.out)} (${timingSummary(result.phases)})\n`,
        );
        return 0;
      },
    );
  } finally {
    await sql.close();
  }
}
