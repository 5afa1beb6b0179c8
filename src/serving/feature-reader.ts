import { joinKey } from '../core/topology/event-reader.js';
import type { CompiledService } from '../core/topology/feature-service.js';
import type { FeatureIR } from '../core/topology/ir.js';
import { fieldValueJson } from '../core/values/field-value.js';
import type { OnlineStore, StoredVector } from '../ports/online-store.js';
import { badRequest, Catalog } from './catalog.js';
import type { ServedView } from './catalog.js';

export interface ViewRequest {
  readonly view: string;
  readonly entities: readonly string[];
  readonly features?: readonly string[] | undefined;
  readonly version?: string | undefined;
}

/** A service response's fixed parts: its opening text, and per view what to read. */
interface ServicePlan {
  readonly head: string;
  readonly groups: readonly {
    readonly view: ServedView;
    /** The view's features the service reads (each once). */
    readonly features: readonly FeatureIR[];
    /** Per ref of the view: its place in the vector and its index in `features`. */
    readonly columns: readonly { readonly at: number; readonly feature: number }[];
  }[];
  /** A vector before its columns are written (all null). */
  readonly empty: readonly string[];
}

const servicePlans = new WeakMap<CompiledService, ServicePlan>();

/**
 * A selection of a view's features (the view's own list, or one from `?features=`) and what
 * reading a stored vector for it needs: each feature's position by name, and the JSON text of
 * `"name":` for responses written without objects. Cached per selection array: a view keeps its
 * list, `Catalog.select` returns the same array for the same `?features=` list, and a service
 * plan keeps one per view it reads.
 */
class Selection {
  readonly positions: ReadonlyMap<string, number>;
  readonly keyTexts: readonly string[];
  /** Filled by `read` (one request at a time: JavaScript runs one at a time). */
  readonly raw: (string | undefined)[];
  asOf: string | undefined;
  updated: string | undefined;

  constructor(readonly features: readonly FeatureIR[]) {
    this.positions = new Map(features.map((f, i) => [f.name, i]));
    this.keyTexts = features.map((f) => `${JSON.stringify(f.name)}:`);
    this.raw = new Array<string | undefined>(features.length);
  }

  /** One pass over the stored pairs: each selected feature's text at its position. */
  read(hash: StoredVector | null): void {
    const raw = this.raw;
    raw.fill(undefined);
    this.asOf = undefined;
    this.updated = undefined;
    if (hash === null) return;
    const pos = this.positions;
    const p = hash.pairs;
    for (let i = 0; i + 1 < p.length; i += 2) {
      const field = p[i] as string;
      if (field === '_asof') this.asOf = p[i + 1];
      else if (field === '_updated') this.updated = p[i + 1];
      else {
        const j = pos.get(field);
        if (j !== undefined) raw[j] = p[i + 1];
      }
    }
  }
}

const selections = new WeakMap<readonly FeatureIR[], Selection>();

function selectionOf(features: readonly FeatureIR[]): Selection {
  let s = selections.get(features);
  if (s === undefined) {
    s = new Selection(features);
    selections.set(features, s);
  }
  return s;
}

export const MAX_ENTITY_BYTES = 1_024;
export const MAX_ENTITIES_PER_CALL = 1_000;

export function checkEntity(entity: unknown): string {
  if (typeof entity !== 'string' || entity.length === 0) {
    throw badRequest('BAD_ENTITY', 'entity ids must be non-empty strings');
  }
  if (entity.length > MAX_ENTITY_BYTES || Buffer.byteLength(entity) > MAX_ENTITY_BYTES) {
    throw badRequest('BAD_ENTITY', `entity id longer than ${MAX_ENTITY_BYTES} bytes`);
  }
  return entity;
}

/**
 * Reads feature vectors from the online store: one store round trip per call (pipelined), values
 * decoded to JSON types, results in request order.
 */
/** Told the duration (seconds) of each online-store read a request makes (one round trip). */
export type StoreReadObserver = (seconds: number) => void;

export class FeatureReader {
  constructor(
    private readonly online: OnlineStore,
    readonly catalog: Catalog,
    private readonly clock: () => number = Date.now,
    private readonly onRead?: StoreReadObserver,
  ) {}

  private readDone(started: number): void {
    this.onRead?.((performance.now() - started) / 1000);
  }

  /**
   * One entity's response (`GET /v1/features/{view}/{entity}`) as JSON text —
   * `{ view, version, entity, found, asOf, updatedAt, stalenessMs, features }` (the client's
   * `EntityFeatures`) — written straight from the stored pairs: no values object, entity object
   * or merged copy per request (the GET path allocated about 28 KB per request, and its
   * collections set the API's latency tail).
   */
  async oneJson(
    viewName: string,
    entity: string,
    features?: readonly string[],
    version?: string,
  ): Promise<string> {
    const view = await this.catalog.view(viewName, version);
    const selected = this.catalog.select(view, features);
    const key = checkEntity(entity);
    const started = performance.now();
    const [hash] = await this.online.readVectors(view.name, view.version, [key]);
    this.readDone(started);
    const head = `{"view":${JSON.stringify(view.name)},"version":${JSON.stringify(view.version)},`;
    return `${head}${this.entityFields(selected, entity, hash ?? null, this.clock())}}`;
  }

  /**
   * The members of one entity's JSON object (without the braces), written from its stored
   * pairs; features in selection order, values as `fieldValueJson` writes them.
   */
  private entityFields(
    selected: readonly FeatureIR[],
    entity: string,
    hash: StoredVector | null,
    now: number,
  ): string {
    const sel = selectionOf(selected);
    sel.read(hash);
    let text = `"entity":${JSON.stringify(entity)}`;
    if (hash === null) {
      text += ',"found":false,"asOf":null,"updatedAt":null,"stalenessMs":null,"features":{';
    } else {
      const asOf = Number(sel.asOf);
      text += `,"found":true,"asOf":${JSON.stringify(asOf)},"updatedAt":${JSON.stringify(Number(sel.updated))},"stalenessMs":${JSON.stringify(now - asOf)},"features":{`;
    }
    for (let i = 0; i < selected.length; i++) {
      const f = selected[i] as FeatureIR;
      if (i > 0) text += ',';
      text += (sel.keyTexts[i] as string) + fieldValueJson(f.valueType, sel.raw[i]);
    }
    return `${text}}`;
  }

  /** Resolves a batch's views and selections and reads its vectors (one round trip). */
  private async readBatch(requests: readonly ViewRequest[]): Promise<{
    plans: { view: ServedView; selected: readonly FeatureIR[]; entities: readonly string[] }[];
    hashes: (StoredVector | null)[][];
  }> {
    let total = 0;
    const plans: {
      view: ServedView;
      selected: readonly FeatureIR[];
      entities: readonly string[];
    }[] = [];
    for (const r of requests) {
      total += r.entities.length;
      if (total > MAX_ENTITIES_PER_CALL)
        throw badRequest('TOO_MANY_ENTITIES', `at most ${MAX_ENTITIES_PER_CALL} entities per call`);
      const view = await this.catalog.view(r.view, r.version);
      plans.push({
        view,
        selected: this.catalog.select(view, r.features),
        entities: r.entities.map(checkEntity),
      });
    }
    const started = performance.now();
    const hashes = await this.online.readMany(
      plans.map((p) => ({ view: p.view.name, version: p.view.version, keys: p.entities })),
    );
    this.readDone(started);
    return { plans, hashes };
  }

  /**
   * `POST /v1/features`'s response as JSON text — `{ results: [{ view, version, entities }] }`,
   * results in request order — written from the stored pairs like `oneJson`.
   */
  async batchJson(requests: readonly ViewRequest[]): Promise<string> {
    const { plans, hashes } = await this.readBatch(requests);
    const now = this.clock();
    let text = '{"results":[';
    plans.forEach((p, i) => {
      if (i > 0) text += ',';
      text += `{"view":${JSON.stringify(p.view.name)},"version":${JSON.stringify(p.view.version)},"entities":[`;
      p.entities.forEach((e, j) => {
        if (j > 0) text += ',';
        text += `{${this.entityFields(p.selected, e, hashes[i]?.[j] ?? null, now)}}`;
      });
      text += ']}';
    });
    return `${text}]}`;
  }

  /**
   * `POST /v1/feature-services/{name}`'s response as JSON text for the service as the catalog
   * resolved it (`Catalog.service`) — `{ service, version, features, vectors }` (the client's
   * `ServiceResult`), one vector per entity row in the service's ref order — written from the
   * stored pairs like `oneJson`: each view's vector is read once per row (one pass over its
   * pairs), not searched once per ref.
   */
  async serviceJson(
    svc: CompiledService,
    rows: readonly Record<string, unknown>[],
  ): Promise<string> {
    if (rows.length > MAX_ENTITIES_PER_CALL)
      throw badRequest('TOO_MANY_ENTITIES', `at most ${MAX_ENTITIES_PER_CALL} entities per call`);
    const plan = await this.servicePlan(svc);
    const keysOf = plan.groups.map(({ view: v }) =>
      rows.map((row, i) => {
        const parts = v.keys.map((k) => {
          const value = row[k];
          if (typeof value !== 'string' && typeof value !== 'number') {
            throw badRequest(
              'MISSING_KEY',
              `entity row ${i}: key field '${k}' of view '${v.name}' is missing`,
              `send objects with ${v.keys.join(', ')}`,
            );
          }
          return String(value);
        });
        return checkEntity(joinKey(parts));
      }),
    );
    const started = performance.now();
    const hashes = await this.online.readMany(
      plan.groups.map((g, i) => ({
        view: g.view.name,
        version: g.view.version,
        keys: keysOf[i] ?? [],
      })),
    );
    this.readDone(started);
    const texts = rows.map(() => plan.empty.slice());
    plan.groups.forEach((g, gi) => {
      const sel = selectionOf(g.features);
      for (let r = 0; r < rows.length; r++) {
        sel.read(hashes[gi]?.[r] ?? null);
        const vec = texts[r] as string[];
        for (const c of g.columns) {
          const f = g.features[c.feature] as FeatureIR;
          vec[c.at] = fieldValueJson(f.valueType, sel.raw[c.feature]);
        }
      }
    });
    return `${plan.head}${texts.map((t) => `[${t.join(',')}]`).join(',')}]}`;
  }

  /** How a service's response is written: per view, its features read and where each goes. */
  private async servicePlan(svc: CompiledService): Promise<ServicePlan> {
    const cached = servicePlans.get(svc);
    if (cached !== undefined) return cached;
    const refGroups = [...Catalog.groupRefs(svc.refs).values()];
    const views = await Promise.all(
      refGroups.map((refs) => this.catalog.view(refs[0]?.view ?? '', refs[0]?.version)),
    );
    const position = new Map(svc.refs.map((r, i) => [r, i]));
    const groups = refGroups.map((refs, g) => {
      const view = views[g] as ServedView;
      const features: FeatureIR[] = [];
      const columns: { at: number; feature: number }[] = [];
      for (const ref of refs) {
        const f = view.byName.get(ref.feature);
        if (f === undefined) continue;
        let k = features.indexOf(f);
        if (k < 0) k = features.push(f) - 1;
        columns.push({ at: position.get(ref) ?? 0, feature: k });
      }
      return { view, features, columns };
    });
    // Every column is written for every row; a ref whose view lacks its feature stays null.
    const empty = svc.refs.map(() => 'null');
    const plan: ServicePlan = {
      head: `{"service":${JSON.stringify(svc.name)},"version":${JSON.stringify(svc.version)},"features":${JSON.stringify(svc.refs.map((r) => r.name))},"vectors":[`,
      groups,
      empty,
    };
    servicePlans.set(svc, plan);
    return plan;
  }
}
