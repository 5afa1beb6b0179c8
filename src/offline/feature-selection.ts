import type { FeatureValue } from '../core/aggregation/aggregator.js';
import { userError } from '../core/errors.js';
import type { CompiledView } from '../core/topology/compile.js';
import type { CompiledService } from '../core/topology/feature-service.js';
import type { FeatureIR } from '../core/topology/ir.js';
import { emptyValue } from './empty-values.js';

/** One feature of a training set: where it comes from and its output column name. */
export interface SelectedFeature {
  readonly view: CompiledView;
  readonly feature: FeatureIR;
  /** The pinned version of the view whose history rows are read. */
  readonly version: string;
  /** Output column name (a feature service's `as`, else the feature name). */
  readonly name: string;
  /**
   * The value for a label before the entity's first history row. Undefined when unknown (a
   * mapped feature of another version than the loaded one): ClickHouse's default is used.
   */
  readonly empty: FeatureValue | undefined;
}

/** What to select: `view:feature` references (`view:*` = all) or a feature service by name. */
export interface FeatureSelectionRequest {
  readonly features?: readonly string[];
  readonly service?: string;
  /** view → version pinned (not with a service, which pins its own). */
  readonly versions?: Readonly<Record<string, string>>;
}

export interface Topologies {
  readonly views: readonly CompiledView[];
  readonly services: readonly CompiledService[];
}

function viewByName(t: Topologies, name: string): CompiledView {
  const v = t.views.find((x) => x.name === name);
  if (v !== undefined) return v;
  throw userError(
    'UNKNOWN_VIEW',
    `unknown view '${name}' (loaded: ${t.views.map((x) => x.name).join(', ') || 'none'})`,
    'use a view of the loaded topologies, or --topologies PATH to the files that define it',
  );
}

function featureOf(view: CompiledView, name: string): FeatureIR {
  const f = view.ir.features.find((x) => x.name === name);
  if (f !== undefined) return f;
  throw userError(
    'UNKNOWN_FEATURE',
    `view '${view.name}' has no feature '${name}' (features: ${view.ir.features.map((x) => x.name).join(', ')})`,
    'use one of the listed features',
  );
}

function selected(view: CompiledView, feature: FeatureIR, version: string, name: string) {
  const compiled = view.features.find((f) => f.name === feature.name);
  const empty =
    compiled === undefined
      ? undefined
      : version === view.version || compiled.map === undefined
        ? emptyValue(compiled)
        : undefined;
  return { view, feature, version, name, empty };
}

/**
 * Resolves the requested features against the loaded topologies: known views and features, the
 * pinned versions (default: the version each view compiles to now; a service's own pins), and
 * unique output names. Errors are one line naming the unknown thing and what exists.
 */
export function selectFeatures(t: Topologies, req: FeatureSelectionRequest): SelectedFeature[] {
  const hasFeatures = req.features !== undefined && req.features.length > 0;
  if (hasFeatures === (req.service !== undefined)) {
    throw userError(
      'CLI_ARG',
      'give exactly one of --features view:feature,… and --service NAME',
      'e.g. --features card_fraud:txn_count_5m,card_fraud:amount_sum_24h or --service fraud_model',
    );
  }
  const versions = req.versions ?? {};
  let out: SelectedFeature[];
  if (req.service !== undefined) {
    if (Object.keys(versions).length > 0) {
      throw userError(
        'CLI_ARG',
        `--version cannot be combined with --service: feature service '${req.service}' pins its versions`,
        'pin versions in the feature service definition, or use --features',
      );
    }
    const svc = t.services.find((s) => s.name === req.service);
    if (svc === undefined) {
      throw userError(
        'UNKNOWN_SERVICE',
        `unknown feature service '${req.service}' (loaded: ${t.services.map((s) => s.name).join(', ') || 'none'})`,
        'use a feature service exported by the topologies, or --topologies PATH to its file',
      );
    }
    out = svc.refs.map((r) => {
      const view = viewByName(t, r.view);
      return selected(view, featureOf(view, r.feature), r.version, r.name);
    });
  } else {
    for (const v of Object.keys(versions)) viewByName(t, v);
    out = [];
    for (const ref of req.features ?? []) {
      const m = /^([^:\s]+):([^:\s]+)$/.exec(ref.trim());
      if (m === null) {
        throw userError(
          'CLI_ARG',
          `feature reference '${ref}' is not view:feature`,
          'e.g. card_fraud:txn_count_5m (or card_fraud:* for all features of a view)',
        );
      }
      const view = viewByName(t, m[1] ?? '');
      const version = versions[view.name] ?? view.version;
      const names = m[2] === '*' ? view.ir.features.map((f) => f.name) : [m[2] ?? ''];
      for (const n of names) out.push(selected(view, featureOf(view, n), version, n));
    }
    for (const v of Object.keys(versions)) {
      if (!out.some((f) => f.view.name === v)) {
        throw userError(
          'CLI_ARG',
          `--version pins view '${v}', but no selected feature comes from it`,
          'drop the pin or select a feature of that view',
        );
      }
    }
  }
  const seen = new Map<string, SelectedFeature>();
  for (const f of out) {
    const other = seen.get(f.name);
    if (other !== undefined) {
      throw userError(
        'DUPLICATE_FEATURE_NAME',
        `two selected features are named '${f.name}' (${other.view.name}:${other.feature.name} and ${f.view.name}:${f.feature.name})`,
        'select each feature once; for equal names in two views, use a feature service with `as`',
      );
    }
    seen.set(f.name, f);
  }
  return out;
}

/** The selected features grouped by (view, version): one point-in-time join each. */
export function groupByViewVersion(
  features: readonly SelectedFeature[],
): { view: CompiledView; version: string; features: SelectedFeature[] }[] {
  const groups = new Map<
    string,
    { view: CompiledView; version: string; features: SelectedFeature[] }
  >();
  for (const f of features) {
    const id = `${f.view.name}\u0000${f.version}`;
    let g = groups.get(id);
    if (g === undefined) groups.set(id, (g = { view: f.view, version: f.version, features: [] }));
    g.features.push(f);
  }
  return [...groups.values()];
}
