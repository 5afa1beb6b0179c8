import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FeatureStreamError, userError } from '../core/errors.js';
import { compileView } from '../core/topology/compile.js';
import type { CompiledView } from '../core/topology/compile.js';
import { isFeatureViewDef } from '../core/topology/feature-view.js';
import type { FeatureViewDef } from '../core/topology/feature-view.js';
import { compileService, isFeatureServiceDef } from '../core/topology/feature-service.js';
import type { CompiledService, FeatureServiceDef } from '../core/topology/feature-service.js';

const TOPOLOGY_FILE = /\.(ts|mts|js|mjs)$/;
const SKIP = /(\.d\.ts|\.test\.[mc]?[jt]s)$/;

/** Topology files named by `paths` (files, or folders searched recursively). */
export function topologyFiles(paths: readonly string[], cwd = process.cwd()): string[] {
  const out: string[] = [];
  const visit = (p: string): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw userError(
        'TOPOLOGY_NOT_FOUND',
        `topology path '${relative(cwd, p) || p}' does not exist`,
        'pass a topology file or a folder of them',
      );
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        const child = join(p, name);
        if (statSync(child).isDirectory() || (TOPOLOGY_FILE.test(name) && !SKIP.test(name)))
          visit(child);
      }
    } else out.push(p);
  };
  for (const p of paths) visit(isAbsolute(p) ? p : resolve(cwd, p));
  return out;
}

/**
 * Imports topology modules (TypeScript loads through tsx, no build step) and compiles every
 * exported feature view. Errors name the file; views are checked for unique names and for a
 * consistent source per topic.
 */
export async function loadViews(
  paths: readonly string[],
  cwd = process.cwd(),
): Promise<CompiledView[]> {
  return (await loadTopologies(paths, cwd)).views;
}

/** Everything the topology files export: compiled views and feature services. */
export interface LoadedTopologies {
  readonly views: CompiledView[];
  readonly services: CompiledService[];
}

export async function loadTopologies(
  paths: readonly string[],
  cwd = process.cwd(),
): Promise<LoadedTopologies> {
  const files = topologyFiles(paths, cwd);
  const seen = new Map<FeatureViewDef, string>();
  const serviceDefs = new Map<FeatureServiceDef, string>();
  for (const file of files) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (err) {
      throw new FeatureStreamError(
        'TOPOLOGY_LOAD',
        `${relative(cwd, file)}: cannot load: ${err instanceof Error ? err.message : String(err)}`,
        {
          domain: 'user',
          fix: 'fix the error in the topology file (run `npm run typecheck` for details)',
          details: { file },
          cause: err,
        },
      );
    }
    for (const value of Object.values(mod)) {
      if (isFeatureViewDef(value) && !seen.has(value)) seen.set(value, file);
      if (isFeatureServiceDef(value) && !serviceDefs.has(value)) serviceDefs.set(value, file);
    }
  }
  const views: CompiledView[] = [];
  const names = new Map<string, string>();
  const sources = new Map<string, CompiledView>();
  for (const [def, file] of seen) {
    let view: CompiledView;
    try {
      view = compileView(def);
    } catch (err) {
      if (err instanceof FeatureStreamError) {
        throw new FeatureStreamError(err.code, `${relative(cwd, file)}: ${err.message}`, {
          domain: err.domain,
          retriable: err.retriable,
          ...(err.fix === undefined ? {} : { fix: err.fix }),
          details: { ...err.details, file },
        });
      }
      throw err;
    }
    const other = names.get(view.name);
    if (other !== undefined) {
      throw userError(
        'DSL_DUPLICATE_VIEW',
        `view '${view.name}' is defined in ${relative(cwd, other)} and ${relative(cwd, file)}`,
        'give each view a unique name',
      );
    }
    names.set(view.name, file);
    const same = sources.get(view.ir.source.topic);
    if (same !== undefined && JSON.stringify(same.ir.source) !== JSON.stringify(view.ir.source)) {
      throw userError(
        'DSL_SOURCE_CONFLICT',
        `views '${same.name}' and '${view.name}' read topic '${view.ir.source.topic}' with different source definitions`,
        'share one `source(...)` definition between views of a topic',
      );
    }
    sources.set(view.ir.source.topic, view);
    views.push(view);
  }
  if (views.length === 0) {
    throw userError(
      'TOPOLOGY_EMPTY',
      `no feature views found in ${paths.join(', ')}`,
      'export a featureView(...) from a topology file',
    );
  }
  const byName = new Map(views.map((v) => [v.name, v]));
  const services: CompiledService[] = [];
  for (const [def, file] of serviceDefs) {
    try {
      const svc = compileService(def, byName);
      if (services.some((x) => x.name === svc.name)) {
        throw userError(
          'DSL_DUPLICATE_SERVICE',
          `feature service '${svc.name}' is defined twice`,
          'give each feature service a unique name',
        );
      }
      services.push(svc);
    } catch (err) {
      if (err instanceof FeatureStreamError) {
        throw new FeatureStreamError(err.code, `${relative(cwd, file)}: ${err.message}`, {
          domain: err.domain,
          ...(err.fix === undefined ? {} : { fix: err.fix }),
          details: { ...err.details, file },
        });
      }
      throw err;
    }
  }
  return { views, services };
}
