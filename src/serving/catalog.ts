import { FeatureStreamError } from '../core/errors.js';
import type { CompiledService, FeatureRef } from '../core/topology/feature-service.js';
import type { FeatureIR, ViewIR } from '../core/topology/ir.js';
import type { OnlineStore } from '../ports/online-store.js';

export function notFound(code: string, message: string, fix?: string): FeatureStreamError {
  return new FeatureStreamError(code, message, {
    domain: 'user',
    ...(fix === undefined ? {} : { fix }),
    details: { status: 404 },
  });
}

export function badRequest(code: string, message: string, fix?: string): FeatureStreamError {
  return new FeatureStreamError(code, message, {
    domain: 'user',
    ...(fix === undefined ? {} : { fix }),
    details: { status: 400 },
  });
}

/** One version of a view as serving needs it. */
export interface ServedView {
  readonly name: string;
  readonly version: string;
  readonly keys: readonly string[];
  readonly features: readonly FeatureIR[];
  readonly byName: ReadonlyMap<string, FeatureIR>;
}

function served(ir: ViewIR): ServedView {
  return {
    name: ir.name,
    version: ir.version,
    keys: ir.entity.keys,
    features: ir.features,
    byName: new Map(ir.features.map((f) => [f.name, f])),
  };
}

const CURRENT_TTL_MS = 1_000;
/** Distinct `?features=` lists remembered per view version (then forgotten all at once). */
const MAX_SELECTIONS_PER_VIEW = 256;
const selections = new WeakMap<ServedView, Map<string, readonly FeatureIR[]>>();

/**
 * What serving knows: the views and feature services of the loaded topologies, plus every
 * version registered in the online store (so pinned older versions resolve), and the current
 * version pointers (cached for a second).
 */
export class Catalog {
  private readonly views = new Map<string, Map<string, ServedView>>();
  private readonly services = new Map<string, Map<string, CompiledService>>();
  private readonly currents = new Map<
    string,
    { version: string; at: number; refreshing: boolean }
  >();

  constructor(
    private readonly online: OnlineStore,
    views: readonly ViewIR[],
    services: readonly CompiledService[],
    private readonly clock: () => number = Date.now,
  ) {
    for (const v of views) this.addView(v);
    for (const s of services) this.addService(s);
  }

  private addView(ir: ViewIR): void {
    let m = this.views.get(ir.name);
    if (m === undefined) this.views.set(ir.name, (m = new Map<string, ServedView>()));
    m.set(ir.version, served(ir));
  }

  private addService(s: CompiledService): void {
    let m = this.services.get(s.name);
    if (m === undefined) this.services.set(s.name, (m = new Map<string, CompiledService>()));
    m.set(s.version, s);
  }

  viewNames(): string[] {
    return [...this.views.keys()];
  }

  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  /** Registers the loaded feature services (their current versions) in the online store. */
  async registerServices(): Promise<void> {
    for (const m of this.services.values()) {
      for (const s of m.values()) await this.online.register('service', s.name, s.version, s, true);
    }
  }

  /**
   * The current version of a view or service: read from the store once, then served from memory
   * and re-read in the background once it is `CURRENT_TTL_MS` old — a request never waits for the
   * registry after the first, and a switch of the current version (rollback, `--make-current`)
   * is seen within about a second.
   */
  private async currentOf(
    kind: 'view' | 'service',
    name: string,
    fallback: string | undefined,
  ): Promise<string | undefined> {
    const id = `${kind}:${name}`;
    const hit = this.currents.get(id);
    if (hit !== undefined) {
      if (!hit.refreshing && this.clock() - hit.at >= CURRENT_TTL_MS) {
        hit.refreshing = true;
        this.online.current(kind, name).then(
          (v) =>
            this.currents.set(id, {
              version: v ?? fallback ?? hit.version,
              at: this.clock(),
              refreshing: false,
            }),
          // Store unreachable: keep serving the known version; the next request retries.
          () => {
            hit.refreshing = false;
          },
        );
      }
      return hit.version;
    }
    const v = (await this.online.current(kind, name)) ?? fallback;
    if (v !== undefined) this.currents.set(id, { version: v, at: this.clock(), refreshing: false });
    return v;
  }

  /** The view at `version` (default: current). 404 for an unknown view or version. */
  async view(name: string, version?: string): Promise<ServedView> {
    const known = this.views.get(name);
    if (known === undefined) {
      throw notFound(
        'UNKNOWN_VIEW',
        `unknown view '${name}'`,
        `known views: ${this.viewNames().join(', ')}`,
      );
    }
    const v = version ?? (await this.currentOf('view', name, known.keys().next().value));
    if (v === undefined) throw notFound('UNKNOWN_VERSION', `view '${name}' has no current version`);
    let found = known.get(v);
    if (found === undefined) {
      const registered = (await this.online.versions('view', name)).get(v) as ViewIR | undefined;
      if (registered === undefined) {
        throw notFound(
          'UNKNOWN_VERSION',
          `view '${name}' has no version '${v}'`,
          `known versions: ${[...known.keys()].join(', ')}`,
        );
      }
      this.addView(registered);
      found = served(registered);
    }
    return found;
  }

  /** The feature service at `version` (default: current). */
  async service(name: string, version?: string): Promise<CompiledService> {
    const known = this.services.get(name);
    const v = version ?? (await this.currentOf('service', name, known?.keys().next().value));
    if (v === undefined) {
      throw notFound(
        'UNKNOWN_SERVICE',
        `unknown feature service '${name}'`,
        `known services: ${this.serviceNames().join(', ')}`,
      );
    }
    let found = known?.get(v);
    if (found === undefined) {
      const registered = (await this.online.versions('service', name)).get(v) as
        CompiledService | undefined;
      if (registered === undefined) {
        throw notFound(
          known === undefined ? 'UNKNOWN_SERVICE' : 'UNKNOWN_VERSION',
          `feature service '${name}' has no version '${v}'`,
        );
      }
      this.addService(registered);
      found = registered;
    }
    return found;
  }

  /** Validates a feature selection against a view version (404 names the unknown feature). */
  select(view: ServedView, features: readonly string[] | undefined): readonly FeatureIR[] {
    if (features === undefined || features.length === 0) return view.features;
    // The same list gives the same array, so the reader's per-selection cache (positions, key
    // texts) serves repeated `?features=` requests too; bounded per view.
    let known = selections.get(view);
    if (known === undefined)
      selections.set(view, (known = new Map<string, readonly FeatureIR[]>()));
    const id = features.join('\u0000');
    const hit = known.get(id);
    if (hit !== undefined) return hit;
    // A name asked twice is answered once (a JSON object has one member per name).
    const selected = [...new Set(features)].map((name) => {
      const f = view.byName.get(name);
      if (f === undefined) {
        throw notFound(
          'UNKNOWN_FEATURE',
          `view '${view.name}' (version ${view.version}) has no feature '${name}'`,
          `features: ${view.features.map((x) => x.name).join(', ')}`,
        );
      }
      return f;
    });
    if (known.size >= MAX_SELECTIONS_PER_VIEW) known.clear();
    known.set(id, selected);
    return selected;
  }

  /** The refs of a service grouped by view version (for one pipelined read). */
  static groupRefs(refs: readonly FeatureRef[]): Map<string, FeatureRef[]> {
    const m = new Map<string, FeatureRef[]>();
    for (const r of refs) {
      const id = `${r.view}\u0000${r.version}`;
      const list = m.get(id) ?? [];
      list.push(r);
      m.set(id, list);
    }
    return m;
  }
}
