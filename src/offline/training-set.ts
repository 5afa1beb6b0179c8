import type { OfflineSql } from '../ports/offline-sql.js';
import { selectFeatures } from './feature-selection.js';
import type { FeatureSelectionRequest, Topologies } from './feature-selection.js';
import { runFrameJob } from './frame-job.js';
import type { FrameJobRequest } from './frame-job.js';
import { publish } from './output.js';
import type { OutputTarget } from './output.js';
import type { PhaseTiming } from './progress.js';

export interface TrainingSetRequest extends FeatureSelectionRequest, FrameJobRequest {
  /** The loaded topologies (views and feature services). */
  readonly topologies: Topologies;
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
  const features = selectFeatures(request.topologies, request);
  return runFrameJob(store, request, features, async ({ out, overwrite, phases, scope, frame }) => {
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
  });
}
