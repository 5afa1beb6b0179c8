import type { OfflineSql } from '../ports/offline-sql.js';
import type { SelectedFeature } from './feature-selection.js';
import { buildFrame } from './frame.js';
import type { Frame } from './frame.js';
import { parseLabelSource } from './labels.js';
import type { LabelSource } from './labels.js';
import { checkOutput, parseOutputTarget } from './output.js';
import type { OutputTarget } from './output.js';
import { Phases } from './progress.js';
import type { ProgressFn } from './progress.js';
import { TempScope } from './temp-scope.js';

/** The labels, output and options every frame job (training set, batch scoring) takes. */
export interface FrameJobRequest {
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

/** What a job's body works with: the built frame and the run's output, phases and scope. */
export interface FrameJob {
  readonly out: OutputTarget;
  readonly overwrite: boolean;
  readonly phases: Phases;
  readonly scope: TempScope;
  readonly frame: Frame;
}

/**
 * Checks the output before any work, builds the point-in-time frame of `features` for the
 * labels, runs `body` on it, and removes every temporary table and file whatever happens.
 */
export async function runFrameJob<T>(
  store: OfflineSql,
  request: FrameJobRequest,
  features: readonly SelectedFeature[],
  body: (job: FrameJob) => Promise<T>,
): Promise<T> {
  const out = typeof request.out === 'string' ? parseOutputTarget(request.out) : request.out;
  const labels =
    typeof request.labels === 'string' ? parseLabelSource(request.labels) : request.labels;
  const overwrite = request.overwrite ?? false;
  await checkOutput(store, out, overwrite);
  const phases = new Phases(request.onProgress, request.signal);
  const scope = await TempScope.open(store);
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
    return await body({ out, overwrite, phases, scope, frame });
  } finally {
    await scope.cleanup();
  }
}
