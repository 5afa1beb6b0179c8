import { FeatureStreamError } from '../core/errors.js';
import type { SqlProgress } from '../ports/offline-sql.js';

/** The phases of offline commands, in the order they run. */
export type OfflinePhase = 'labels' | 'join' | 'write' | 'score' | 'sample' | 'compare';

/** A progress report: a phase starts, runs (about once a second) or is done. */
export interface OfflineProgress {
  readonly phase: OfflinePhase;
  readonly state: 'start' | 'running' | 'done';
  readonly elapsedMs: number;
  /** Rows read so far / the engine's estimate of all rows to read (servers report these). */
  readonly readRows?: number;
  readonly totalRows?: number;
  /** Rows handled so far (batch scoring) or produced (done). */
  readonly rows?: number;
  readonly totalOutputRows?: number;
}

export type ProgressFn = (p: OfflineProgress) => void;

export interface PhaseTiming {
  readonly phase: OfflinePhase;
  readonly ms: number;
}

/** Runs phases one after another, reports them and keeps their timings. */
export class Phases {
  private readonly done: PhaseTiming[] = [];

  constructor(
    private readonly onProgress: ProgressFn | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {}

  get timings(): readonly PhaseTiming[] {
    return this.done;
  }

  /** Throws when the caller asked to stop (between phases and batches). */
  checkAborted(): void {
    if (this.signal?.aborted === true)
      throw new FeatureStreamError('INTERRUPTED', 'interrupted', { domain: 'user' });
  }

  async run<T>(
    phase: OfflinePhase,
    fn: (
      progress: (p: SqlProgress & { rows?: number; totalOutputRows?: number }) => void,
    ) => Promise<T>,
  ): Promise<T> {
    this.checkAborted();
    const started = performance.now();
    this.onProgress?.({ phase, state: 'start', elapsedMs: 0 });
    const result = await fn((p) =>
      this.onProgress?.({ ...p, phase, state: 'running', elapsedMs: performance.now() - started }),
    );
    const ms = performance.now() - started;
    this.done.push({ phase, ms });
    this.onProgress?.({ phase, state: 'done', elapsedMs: ms });
    return result;
  }
}
