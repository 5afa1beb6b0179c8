import { sha256Hex, canonicalJson } from '../encoding/sha256.js';
import { userError } from '../errors.js';
import type { CompiledView } from './compile.js';
import type { FeatureViewDef } from './feature-view.js';

/** A feature reference: a view (its definition or name) and one of its features. */
export interface FeatureRefSpec {
  readonly view: FeatureViewDef | string;
  readonly feature: string;
  /** Pin a view version; default: the version the view compiles to now. */
  readonly version?: string;
  /** Name of the feature in the service vector (default: the feature name). */
  readonly as?: string;
}

/** A named list of features a model reads, in a fixed order (a "feature service"). */
export interface FeatureServiceDef {
  readonly kind: 'featureService';
  readonly name: string;
  readonly features: readonly FeatureRefSpec[];
  readonly owner: string | undefined;
  readonly description: string | undefined;
}

/**
 * Declares a feature service: the vector a model was trained on, in a fixed order.
 *
 * ```ts
 * export const fraudModel = featureService('fraud_model', {
 *   features: [
 *     { view: cardFraud, feature: 'txn_count_5m' },
 *     { view: cardFraud, feature: 'amount_sum_24h' },
 *   ],
 * });
 * ```
 */
export function featureService(
  name: string,
  options: { features: readonly FeatureRefSpec[]; owner?: string; description?: string },
): FeatureServiceDef {
  return {
    kind: 'featureService',
    name,
    features: [...options.features],
    owner: options.owner,
    description: options.description,
  };
}

export function isFeatureServiceDef(value: unknown): value is FeatureServiceDef {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'featureService'
  );
}

/** A resolved reference: view, feature, pinned version, output name. */
export interface FeatureRef {
  readonly view: string;
  readonly feature: string;
  readonly version: string;
  readonly name: string;
}

export interface CompiledService {
  readonly name: string;
  /** Hash of the resolved refs (views, features, versions, names, order). */
  readonly version: string;
  readonly refs: readonly FeatureRef[];
  readonly owner: string | null;
  readonly description: string | null;
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Resolves a service against the compiled views (their current versions unless pinned). */
export function compileService(
  def: FeatureServiceDef,
  views: ReadonlyMap<string, CompiledView>,
): CompiledService {
  if (!NAME.test(def.name)) {
    throw userError(
      'DSL_BAD_NAME',
      `feature service '${def.name}': the name must be snake_case`,
      "rename it, e.g. 'fraud_model'",
    );
  }
  if (def.features.length === 0) {
    throw userError(
      'DSL_NO_FEATURES',
      `feature service '${def.name}' lists no features`,
      'add at least one { view, feature }',
    );
  }
  const names = new Set<string>();
  const refs = def.features.map((spec, i) => {
    const viewName = typeof spec.view === 'string' ? spec.view : spec.view.name;
    const view = views.get(viewName);
    if (view === undefined) {
      throw userError(
        'SERVICE_UNKNOWN_VIEW',
        `feature service '${def.name}', feature #${i + 1}: view '${viewName}' is not loaded`,
        `load the topology that defines '${viewName}' too`,
      );
    }
    if (!view.ir.features.some((f) => f.name === spec.feature)) {
      throw userError(
        'SERVICE_UNKNOWN_FEATURE',
        `feature service '${def.name}': view '${viewName}' has no feature '${spec.feature}'`,
        `use one of: ${view.ir.features.map((f) => f.name).join(', ')}`,
      );
    }
    const name = spec.as ?? spec.feature;
    if (names.has(name)) {
      throw userError(
        'SERVICE_DUPLICATE_NAME',
        `feature service '${def.name}': two features are named '${name}'`,
        "give one of them another name with `as: '…'`",
      );
    }
    names.add(name);
    return { view: viewName, feature: spec.feature, version: spec.version ?? view.version, name };
  });
  return {
    name: def.name,
    version: sha256Hex(canonicalJson({ name: def.name, refs })).slice(0, 12),
    refs,
    owner: def.owner ?? null,
    description: def.description ?? null,
  };
}
