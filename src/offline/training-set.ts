import type { OfflineSql } from '../ports/offline-sql.js';
import { selectFeatures } from './feature-selection.js';
import type { FeatureSelectionRequest, Topologies } from './feature-selection.js';
import { buildFrame } from './frame.js';
import { parseLabelSource } from './labels.js';
import type { LabelSource } from './labels.js';
import { checkOutput, parseOutputTarget, publish } from './output.js';
import type { OutputTarget } from './output.js';
import { Phases } from './progress.js';
import type { PhaseTiming, ProgressFn } from './progress.js';
import { TempScope } from './temp-scope.js';

export interface TrainingSetRequest extends FeatureSelectionRequest {
  /** The loaded topologies (views and feature services). */
  readonly topologies: Topologies;
  /** A table (`name`, `db.name`), a `.csv` or a `.parquet` file, or a parsed source. */
  readonly labels: LabelSource | string;
  /** label column → entity key, for label columns named differently from the keys. */
  readonly keys?: Readonly<Record<string, string>>;
  /** The label time column (default `ts`): epoch ms, ISO-8601 text or Date/DateTime. */
  readonly at?: string;
  /** A table, a `.parquet` or `.csv` path, or a parsed target. */
  readonly out: OutputTarget | string;
  /** Replace an existing output table or file (default: refuse). */
  readonly overwrite?: boolean;
  readonly onProgress?: ProgressFn;
  /** Stops between phases (temporary tables and files are removed). */
  readonly signal?: AbortSignal;
}

export interface TrainingSetResult {
  readonly out: OutputTarget;
  readonly rows: number;
  /** Output columns: the label columns, then the features (a table also has `_row` first). */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly labelColumns: readonly string[];
  readonly features: readonly string[];
  readonly phases: readonly PhaseTiming[];
  /** The point-in-time SELECT that computed the frame. */
  readonly sql: string;
}

/**
 * Builds a point-in-time-correct training set entirely inside ClickHouse: for every label (entity
 * keys + a time t) the value of each selected feature as of t — the history row of the pinned
 * version with the greatest as_of ≤ t, never a value from after t — in label order. The output
 * appears only when complete; on any error every temporary table and file is removed.
 */
export async function buildTrainingSet(
  store: OfflineSql,
  request: TrainingSetRequest,
): Promise<TrainingSetResult> {
  const out = typeof request.out === 'string' ? parseOutputTarget(request.out) : request.out;
  const labels =
    typeof request.labels === 'string' ? parseLabelSource(request.labels) : request.labels;
  const features = selectFeatures(request.topologies, request);
  const overwrite = request.overwrite ?? false;
  await checkOutput(store, out, overwrite);
  const phases = new Phases(request.onProgress, request.signal);
  const scope = new TempScope(store);
  try {
    const frame = await buildFrame(
      store,
      scope,
      {
        labels,
        features,
        ...(request.keys === undefined ? {} : { keys: request.keys }),
        ...(request.at === undefined ? {} : { at: request.at }),
      },
      phases,
    );
    const columns = await store.query<{ name: string; type: string }>(
      `DESCRIBE TABLE ${store.table(frame.table)}`,
    );
    await phases.run('write', () => publish(store, scope, frame.table, out, overwrite));
    return {
      out,
      rows: frame.rows,
      columns: (out.kind === 'table' ? columns : columns.filter((c) => c.name !== '_row')).map(
        (c) => ({ name: c.name, type: c.type }),
      ),
      labelColumns: frame.labels.columns.map((c) => c.name),
      features: features.map((f) => f.name),
      phases: phases.timings,
      sql: frame.sql,
    };
  } finally {
    await scope.cleanup();
  }
}
