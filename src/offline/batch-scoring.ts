import type { FeatureValue } from '../core/aggregation/aggregator.js';
import { userError } from '../core/errors.js';
import type { OfflineSql } from '../ports/offline-sql.js';
import { selectFeatures } from './feature-selection.js';
import type { SelectedFeature, Topologies } from './feature-selection.js';
import { runFrameJob } from './frame-job.js';
import type { FrameJobRequest } from './frame-job.js';
import { ROW_COLUMN } from './labels.js';
import type { ScoreFn } from './model-module.js';
import { publish } from './output.js';
import type { OutputTarget } from './output.js';
import type { PhaseTiming } from './progress.js';
import { ident } from './sql-text.js';

export const SCORE_COLUMN = 'score';
export const DEFAULT_SCORE_BATCH = 10_000;

export interface ScoreBatchRequest extends FrameJobRequest {
  readonly topologies: Topologies;
  /** The feature service whose vector the model was trained on. */
  readonly service: string;
  readonly model: ScoreFn;
  /** Rows per model call (default 10,000). */
  readonly batchSize?: number;
}

export interface ScoreBatchResult {
  readonly out: OutputTarget;
  readonly rows: number;
  readonly batches: number;
  readonly features: readonly string[];
  readonly phases: readonly PhaseTiming[];
}

/** A feature column as the model sees it: timestamps as epoch milliseconds (as online). */
function modelExpr(f: SelectedFeature): string {
  const c = ident(f.name);
  if (f.feature.valueType.base !== 'timestamp') return c;
  return f.feature.valueType.list
    ? `arrayMap(x -> toUnixTimestamp64Milli(x), ${c})`
    : `toUnixTimestamp64Milli(${c})`;
}

/**
 * Batch scoring: builds the service's point-in-time frame for the labels (the training-set code),
 * streams it through the model in batches of `batchSize` rows (read by `_row` range, so only one
 * batch is in memory), and writes the label columns plus `score` to the output.
 */
export async function scoreBatch(
  store: OfflineSql,
  request: ScoreBatchRequest,
): Promise<ScoreBatchResult> {
  const batchSize = request.batchSize ?? DEFAULT_SCORE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize <= 0)
    throw userError('CLI_ARG', `batch size ${batchSize} is not a positive integer`, 'e.g. 10000');
  const features = selectFeatures(request.topologies, { service: request.service });
  return runFrameJob(store, request, features, async ({ out, overwrite, phases, scope, frame }) => {
    if (frame.labels.columns.some((c) => c.name === SCORE_COLUMN)) {
      throw userError(
        'LABELS_COLUMN_CONFLICT',
        `the labels have a column '${SCORE_COLUMN}', which is the output's score column`,
        'rename the label column',
      );
    }
    const scores = scope.table('scores');
    await store.command(
      `CREATE TABLE ${store.table(scores)} (${ident(ROW_COLUMN)} UInt64, ${ident(SCORE_COLUMN)} Float64) ENGINE = MergeTree ORDER BY ${ident(ROW_COLUMN)}`,
    );
    const names = features.map((f) => f.name);
    let batches = 0;
    await phases.run('score', async (progress) => {
      const started = performance.now();
      for (let start = 0; start < frame.rows; start += batchSize) {
        phases.checkAborted();
        const end = Math.min(frame.rows, start + batchSize);
        const page = await store.queryCompact(
          `SELECT ${features.map(modelExpr).join(', ')} FROM ${store.table(frame.table)}
WHERE ${ident(ROW_COLUMN)} >= ${start} AND ${ident(ROW_COLUMN)} < ${end} ORDER BY ${ident(ROW_COLUMN)}
SETTINGS output_format_json_quote_64bit_integers = 0`,
        );
        const rows = page.rows as FeatureValue[][];
        let result: unknown;
        try {
          result = await request.model({ features: [...names], rows });
        } catch (err) {
          throw userError(
            'MODEL_FAILED',
            `the model threw on rows ${start + 1}–${end}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''}`,
            'fix the model',
          );
        }
        if (!Array.isArray(result) || result.length !== rows.length) {
          throw userError(
            'MODEL_OUTPUT',
            `the model returned ${Array.isArray(result) ? `${result.length} scores` : typeof result} for a batch of ${rows.length} rows`,
            'return one number per row, in row order',
          );
        }
        const bad = result.findIndex((s) => typeof s !== 'number' || !Number.isFinite(s));
        if (bad >= 0) {
          throw userError(
            'MODEL_OUTPUT',
            `the model returned ${JSON.stringify(result[bad]) ?? 'undefined'} for row ${start + bad + 1}, not a finite number`,
            'return one finite number per row',
          );
        }
        await store.insertRows(
          store.table(scores),
          (result as number[]).map((score, i) => ({
            [ROW_COLUMN]: start + i,
            [SCORE_COLUMN]: score,
          })),
        );
        batches++;
        progress({
          elapsedMs: performance.now() - started,
          rows: end,
          totalOutputRows: frame.rows,
        });
      }
    });
    const result = scope.table('result');
    await phases.run('write', async () => {
      const cols = frame.labels.columns.map((c) => `l.${ident(c.name)} AS ${ident(c.name)}`);
      await store.command(
        `CREATE TABLE ${store.table(result)} ENGINE = MergeTree ORDER BY ${ident(ROW_COLUMN)} AS
SELECT l.${ident(ROW_COLUMN)} AS ${ident(ROW_COLUMN)}, ${cols.join(', ')}, s.${ident(SCORE_COLUMN)} AS ${ident(SCORE_COLUMN)}
FROM ${store.table(frame.table)} AS l INNER JOIN ${store.table(scores)} AS s ON l.${ident(ROW_COLUMN)} = s.${ident(ROW_COLUMN)}`,
      );
      await publish(store, scope, result, out, overwrite);
    });
    return { out, rows: frame.rows, batches, features: names, phases: phases.timings };
  });
}
