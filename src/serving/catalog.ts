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

/** A known current version: when it was read, and the re-read running since `readSince`. */
interface Current {
  readonly version: string;
  at: number;
  reading: Promise<string> | undefined;
  readSince: number;
}

function current(version: string, at: number): Current {
  return { version, at, reading: undefined, readSince: Number.NaN };
}
/** Older than this, a current version is re-read before it is served (see `currentOf`). */
const CURRENT_MAX_STALE_MS = 5_000;
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
  private readonly currents = new Map<string, Current>();

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
   * The current version of a view or service. Read from the store once, then served from memory;
   * once `CURRENT_TTL_MS` old it is re-read in the background while requests are answered from
   * memory — unless it is older than `CURRENT_MAX_STALE_MS` (after quiet traffic), when a request
   * waits for the re-read (at most `CURRENT_TTL_MS`, then the known version). So a switch of the
   * current version (rollback, `--make-current`) is seen within about a second under traffic, and
   * by the first request after a quiet spell. A failed re-read keeps the known version and is
   * retried a second later; one that never answers is replaced after `CURRENT_MAX_STALE_MS`.
   */
  private async currentOf(
    kind: 'view' | 'service',
    name: string,
    fallback: string | undefined,
  ): Promise<string | undefined> {
    const id = `${kind}:${name}`;
    const hit = this.currents.get(id);
    if (hit === undefined) {
      const v = (await this.online.current(kind, name)) ?? fallback;
      if (v !== undefined) this.currents.set(id, current(v, this.clock()));
      return v;
    }
    const now = this.clock();
    const age = now - hit.at;
    if (age < CURRENT_TTL_MS) return hit.version;
    let read = hit.reading;
    if (read === undefined || now - hit.readSince >= CURRENT_MAX_STALE_MS)
      read = this.reread(id, kind, name, fallback, hit);
    if (age < CURRENT_MAX_STALE_MS) return hit.version;
    let timer: NodeJS.Timeout | undefined;
    const known = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(hit.version), CURRENT_TTL_MS);
    });
    return Promise.race([read, known]).finally(() => clearTimeout(timer));
  }

  /** Re-reads a current pointer; resolves to the version to serve (the known one on failure). */
  private reread(
    id: string,
    kind: 'view' | 'service',
    name: string,
    fallback: string | undefined,
    hit: Current,
  ): Promise<string> {
    hit.readSince = this.clock();
    const read = Promise.resolve()
      .then(() => this.online.current(kind, name))
      .then(
        (v) => {
          const version = v ?? fallback ?? hit.version;
          if (this.currents.get(id) === hit) this.currents.set(id, current(version, this.clock()));
          return version;
        },
        // Store unreachable: keep serving the known version, and try again a second later.
        () => {
          if (hit.reading === read) {
            hit.at = this.clock();
            hit.reading = undefined;
          }
          return hit.version;
        },
      );
    hit.reading = read;
    return read;
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
    // texts) serves repeated `?features=` requests too. Bounded per view: at most 256 lists, each
    // no longer than the view's feature list (a longer one repeats names and is not kept).
    let known = selections.get(view);
    if (known === undefined)
      selections.set(view, (known = new Map<string, readonly FeatureIR[]>()));
    const cacheable = features.length <= view.features.length;
    const id = cacheable ? JSON.stringify(features) : '';
    const hit = cacheable ? known.get(id) : undefined;
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
    if (cacheable) {
      if (known.size >= MAX_SELECTIONS_PER_VIEW) known.clear();
      known.set(id, selected);
    }
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
