import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FeatureValue } from '../core/aggregation/aggregator.js';
import { userError } from '../core/errors.js';

/** A batch handed to a model: feature names (the service's order) and one row per label. */
export interface ScoreBatch {
  readonly features: string[];
  readonly rows: FeatureValue[][];
}

/** A model: one score per row, in row order. */
export type ScoreFn = (batch: ScoreBatch) => number[] | Promise<number[]>;

/**
 * Imports a model module (`.ts` loads through tsx, like topologies): its default export, or a
 * named export `score`, must be a ScoreFn.
 */
export async function loadModel(path: string): Promise<ScoreFn> {
  const abs = resolve(path);
  await access(abs).catch(() => {
    throw userError('MODEL_NOT_FOUND', `model module ${path} does not exist`, 'check the path');
  });
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw userError(
      'MODEL_LOAD',
      `model module ${path} cannot be loaded: ${(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''}`,
      'fix the module (it is imported like a topology file)',
    );
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.score;
  if (typeof fn !== 'function') {
    throw userError(
      'MODEL_EXPORT',
      `model module ${path} exports no scoring function`,
      'export default (or export `score`) a function ({ features, rows }) => number[]',
    );
  }
  return fn as ScoreFn;
}
