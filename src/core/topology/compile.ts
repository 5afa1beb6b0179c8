import { RESERVED_FIELD_NAMES, RESERVED_VIEW_NAMES } from './reserved-columns.js';
import type { AggOp, Aggregator, FeatureValue } from '../aggregation/aggregator.js';
import { createAggregator } from '../aggregation/index.js';
import { canonicalJson, sha256Hex } from '../encoding/sha256.js';
import { FeatureStreamError, userError } from '../errors.js';
import { formatMillis, toMillis } from '../time/duration.js';
import { TILE_SIZES_MS, checkTile, defaultTileMs } from '../windowing/resolution.js';
import { EVENT_TIME, featureBuilder } from './feature-spec.js';
import { normalizeFunctionSource } from './function-source.js';
import type { FeatureSpec } from './feature-spec.js';
import type { FeatureViewDef } from './feature-view.js';
import { IR_VERSION } from './ir.js';
import type { FeatureIR, FieldIR, ValueTypeIR, ViewIR, WindowIR } from './ir.js';
import { NUMERIC_TYPES } from './schema.js';
import type { FieldType } from './schema.js';

/** Defaults of a view's options; one source of truth (docs/topology-dsl.md quotes them). */
export const VIEW_DEFAULTS = {
  allowedLatenessMs: 5_000,
  idleTimeoutMs: 30_000,
  onlineTtlMs: 7 * 86_400_000,
} as const;

const NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

export type Row = Record<string, unknown>;

export interface CompiledFeature {
  readonly index: number;
  readonly name: string;
  readonly ir: FeatureIR;
  readonly aggregator: Aggregator;
  /** Event field read by the aggregation (`$time` = event time), or null for count(). */
  readonly field: string | null;
  readonly map: ((value: FeatureValue) => FeatureValue) | undefined;
}

/** A validated view: its canonical IR plus the functions the runtime calls. */
export interface CompiledView {
  readonly ir: ViewIR;
  readonly name: string;
  readonly version: string;
  readonly keyFields: readonly string[];
  readonly eventTimeField: string | undefined;
  readonly eventTimeFn: ((event: Row) => number) | undefined;
  readonly filter: ((event: Row) => boolean) | undefined;
  /** Derived fields in order, with their declared type (`EventReader` checks each value). */
  readonly derive: readonly {
    readonly name: string;
    readonly type: FieldType;
    readonly nullable: boolean;
    readonly fn: (event: Row) => unknown;
  }[];
  readonly features: readonly CompiledFeature[];
}

function fail(
  code: string,
  view: string,
  feature: string | undefined,
  message: string,
  fix: string,
): never {
  const where = feature === undefined ? `view '${view}'` : `view '${view}', feature '${feature}'`;
  throw userError(code, `${where}: ${message}`, fix, {
    view,
    ...(feature === undefined ? {} : { feature }),
  });
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

const NUMERIC_OPS: ReadonlySet<AggOp> = new Set(['sum', 'mean', 'variance', 'stddev', 'quantile']);
const ORDERED_OPS: ReadonlySet<AggOp> = new Set(['min', 'max']);

function checkFieldType(
  view: string,
  feature: string,
  op: AggOp,
  field: string,
  type: FieldType,
): void {
  if (NUMERIC_OPS.has(op) && !NUMERIC_TYPES.has(type)) {
    fail(
      'DSL_FIELD_TYPE',
      view,
      feature,
      `\`${op}\` needs a numeric field; \`${field}\` is a ${type}`,
      'aggregate an int, long or double field, or derive one',
    );
  }
  if (ORDERED_OPS.has(op) && !NUMERIC_TYPES.has(type) && type !== 'timestamp') {
    fail(
      'DSL_FIELD_TYPE',
      view,
      feature,
      `\`${op}\` needs a numeric or timestamp field; \`${field}\` is a ${type}`,
      'use first/last for strings, or derive a number',
    );
  }
  if (op === 'distinctCount' && !(type === 'string' || type === 'int' || type === 'long')) {
    fail(
      'DSL_FIELD_TYPE',
      view,
      feature,
      `\`distinctCount\` needs a string or integer field; \`${field}\` is a ${type}`,
      'count distinct identifiers (strings or integers); derive a string if needed',
    );
  }
}

function valueType(op: AggOp, fieldType: FieldType | undefined, mapped: boolean): ValueTypeIR {
  if (mapped) return { base: 'float64', list: false, nullable: true };
  switch (op) {
    case 'count':
    case 'distinctCount':
      return { base: 'int64', list: false, nullable: false };
    case 'sum':
      return { base: 'float64', list: false, nullable: false };
    case 'mean':
    case 'variance':
    case 'stddev':
    case 'quantile':
      return { base: 'float64', list: false, nullable: true };
    case 'min':
    case 'max':
    case 'first':
    case 'last':
    case 'lastN':
      return {
        base: baseOf(fieldType ?? 'double'),
        list: op === 'lastN',
        nullable: op !== 'lastN',
      };
  }
}

function baseOf(type: FieldType): ValueTypeIR['base'] {
  switch (type) {
    case 'int':
    case 'long':
      return 'int64';
    case 'double':
      return 'float64';
    default:
      return type;
  }
}

function compileWindow(view: string, feature: string, spec: FeatureSpec<unknown>): WindowIR {
  const w = spec.window;
  if (w.kind === 'lifetime') return { kind: 'lifetime' };
  const sizeMs = toMillis(w.size, `view '${view}', feature '${feature}': window`);
  if (sizeMs < 1_000) {
    fail(
      'DSL_WINDOW_SIZE',
      view,
      feature,
      `window ${String(w.size)} is shorter than 1s`,
      'use a window of at least 1s',
    );
  }
  if (w.kind === 'tumbling') return { kind: 'tumbling', sizeMs };
  const tileMs =
    w.tile === undefined
      ? defaultTileMs(sizeMs)
      : toMillis(w.tile, `view '${view}', feature '${feature}': tile`);
  try {
    checkTile(sizeMs, tileMs, feature);
  } catch (err) {
    if (err instanceof FeatureStreamError) {
      const message = err.message.replace(/^feature '[^']*': /, '');
      const fix = `pick a tile that divides the window, e.g. { tile: '${formatMillis(dividingTileMs(sizeMs))}' }`;
      fail(err.code, view, feature, message, fix);
    }
    throw err;
  }
  return { kind: 'sliding', sizeMs, tileMs };
}

/**
 * A tile that divides `windowMs`, to suggest when the requested (or default) tile does not: the
 * largest standard tile ≤ W/60 that divides W, else the largest standard tile that divides W,
 * else the greatest common divisor of W and 1s.
 */
function dividingTileMs(windowMs: number): number {
  const divides = TILE_SIZES_MS.filter((r) => r <= windowMs && windowMs % r === 0);
  const fine = divides.filter((r) => r <= windowMs / 60);
  const best = fine[fine.length - 1] ?? divides[divides.length - 1];
  if (best !== undefined) return best;
  let [a, b] = [windowMs, 1_000];
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Validates a view definition and compiles it to its IR and runtime functions. */
export function compileView(def: FeatureViewDef): CompiledView {
  const view = String(def.name);
  if (!NAME.test(view)) {
    fail(
      'DSL_BAD_NAME',
      view,
      undefined,
      'the view name must be snake_case (a-z, 0-9, _), at most 63 characters',
      "rename it, e.g. 'card_velocity'",
    );
  }
  const src = def.source;
  if (!TOPIC.test(src.topic)) {
    fail(
      'DSL_BAD_TOPIC',
      view,
      undefined,
      `source '${src.name}': '${src.topic}' is not a valid Kafka topic name`,
      'use letters, digits, ".", "_" or "-" (at most 249 characters)',
    );
  }

  const fields = new Map<string, FieldIR>();
  const schema: FieldIR[] = [];
  for (const [name, spec] of Object.entries(src.schema)) {
    if (!FIELD_NAME.test(name)) {
      fail(
        'DSL_BAD_NAME',
        view,
        undefined,
        `source '${src.name}': field '${name}' is not a valid column name`,
        'use letters, digits and _ (not starting with a digit)',
      );
    }
    if (RESERVED_FIELD_NAMES.has(name)) {
      fail(
        'DSL_BAD_NAME',
        view,
        undefined,
        `source '${src.name}': field '${name}' is reserved (the event archive's own columns are ${[...RESERVED_FIELD_NAMES].join(', ')})`,
        `rename the field in the schema, e.g. '${name.replace(/^_+/, '')}_at_source'`,
      );
    }
    const f: FieldIR = {
      name,
      type: spec.type,
      nullable: spec.nullable,
      ...(spec.doc === undefined ? {} : { doc: spec.doc }),
    };
    schema.push(f);
    fields.set(name, f);
  }
  const derive: (FieldIR & { fn: string })[] = [];
  const deriveFns: {
    name: string;
    type: FieldType;
    nullable: boolean;
    fn: (event: Row) => unknown;
  }[] = [];
  for (const [name, spec] of Object.entries(def.derive)) {
    if (fields.has(name)) {
      fail(
        'DSL_DUPLICATE_FIELD',
        view,
        undefined,
        `derived field '${name}' already exists in source '${src.name}'`,
        'give the derived field another name',
      );
    }
    if (!FIELD_NAME.test(name)) {
      fail(
        'DSL_BAD_NAME',
        view,
        undefined,
        `derived field '${name}' is not a valid column name`,
        'use letters, digits and _',
      );
    }
    const f = {
      name,
      type: spec.type,
      nullable: spec.nullable,
      fn: normalizeFunctionSource(spec.fn),
    };
    derive.push(f);
    fields.set(name, f);
    deriveFns.push({
      name,
      type: f.type,
      nullable: f.nullable,
      fn: spec.fn as (event: Row) => unknown,
    });
  }
  const known = [...fields.keys()];
  const unknownField = (name: string, feature: string | undefined, role: string): never => {
    const hint = closest(name, known);
    return fail(
      'DSL_UNKNOWN_FIELD',
      view,
      feature,
      `${role} '${name}' is not a field of source '${src.name}'`,
      hint === undefined ? `use one of: ${known.join(', ')}` : `did you mean '${hint}'?`,
    );
  };

  const keys = def.entity.keys;
  if (keys.length === 0) {
    fail(
      'DSL_NO_KEYS',
      view,
      undefined,
      `entity '${def.entity.name}' has no key fields`,
      'give the entity at least one key field',
    );
  }
  for (const key of keys) {
    const f = fields.get(key);
    if (f === undefined) unknownField(key, undefined, `entity key`);
    else if (RESERVED_VIEW_NAMES.has(key)) {
      fail(
        'DSL_BAD_NAME',
        view,
        undefined,
        `entity key '${key}' is reserved (feature history has its own ${[...RESERVED_VIEW_NAMES].join(', ')} columns)`,
        `key the entity by a field with another name (derive one if needed, e.g. derive: { ${key}_id: … })`,
      );
    } else if (f.type === 'double' || f.type === 'boolean') {
      fail(
        'DSL_FIELD_TYPE',
        view,
        undefined,
        `entity key '${key}' is a ${f.type}`,
        'key entities by strings or integers',
      );
    }
  }
  for (const k of src.key) {
    if (!keys.includes(k)) {
      fail(
        'DSL_KEY_MISMATCH',
        view,
        undefined,
        `source '${src.name}' is keyed by '${src.key.join(', ')}', which is not part of entity '${def.entity.name}' (${keys.join(', ')})`,
        `key the topic by the entity's keys so one partition holds all events of an entity, or use another source`,
      );
    }
  }

  let eventTime: ViewIR['source']['eventTime'];
  let eventTimeField: string | undefined;
  let eventTimeFn: ((event: Row) => number) | undefined;
  if (typeof src.eventTime === 'function') {
    eventTime = { fn: normalizeFunctionSource(src.eventTime) };
    eventTimeFn = src.eventTime as unknown as (event: Row) => number;
  } else {
    const f = fields.get(src.eventTime);
    if (f === undefined) unknownField(src.eventTime, undefined, 'event-time field');
    else if (!schema.includes(f)) {
      fail(
        'DSL_EVENT_TIME',
        view,
        undefined,
        `event-time field '${f.name}' is a derived field; the event time is read before derivations run`,
        'use a timestamp field of the source, or make eventTime a function of the raw event',
      );
    } else if (f.type !== 'timestamp' && f.type !== 'long') {
      fail(
        'DSL_EVENT_TIME',
        view,
        undefined,
        `event-time field '${f.name}' is a ${f.type}`,
        'declare it with field.timestamp() (epoch ms or ISO-8601), or pass a function returning epoch ms',
      );
    }
    eventTime = { field: src.eventTime };
    eventTimeField = src.eventTime;
  }

  let specs: Readonly<Record<string, FeatureSpec<unknown>>>;
  try {
    specs = def.features(featureBuilder<never>());
  } catch (err) {
    if (err instanceof FeatureStreamError) throw err;
    return fail(
      'DSL_FEATURES_THREW',
      view,
      undefined,
      `the features function threw: ${String(err)}`,
      'fix the features function',
    );
  }
  const entries = Object.entries(specs ?? {});
  if (entries.length === 0) {
    fail(
      'DSL_NO_FEATURES',
      view,
      undefined,
      'no features are defined',
      'return at least one feature from `features: (f) => ({ ... })`',
    );
  }

  const features: FeatureIR[] = [];
  const compiled: CompiledFeature[] = [];
  for (const [name, spec] of entries) {
    if (spec?.kind !== 'feature') {
      fail(
        'DSL_NOT_A_FEATURE',
        view,
        name,
        'this entry is not a feature (did you forget .over(), .every() or .lifetime()?)',
        "finish the aggregation with a window, e.g. f.count().over('5m')",
      );
    }
    if (!NAME.test(name) || RESERVED_VIEW_NAMES.has(name) || keys.includes(name)) {
      fail(
        'DSL_BAD_NAME',
        view,
        name,
        `feature names must be snake_case, not reserved (${[...RESERVED_VIEW_NAMES].join(', ')}) and not a key`,
        "rename the feature, e.g. 'txn_count_5m'",
      );
    }
    const { op, field, params } = spec.agg;
    let fieldType: FieldType | undefined;
    if (field !== null) {
      if (field === EVENT_TIME) fieldType = 'timestamp';
      else {
        const f = fields.get(field);
        if (f === undefined) unknownField(field, name, `field`);
        else fieldType = f.type;
      }
      if (fieldType !== undefined) checkFieldType(view, name, op, field, fieldType);
    }
    const window = compileWindow(view, name, spec);
    let aggregator: Aggregator;
    try {
      aggregator = createAggregator(op, params);
    } catch (err) {
      if (err instanceof FeatureStreamError)
        fail('DSL_BAD_PARAM', view, name, err.message, err.fix ?? 'fix the parameter');
      throw err;
    }
    const ir: FeatureIR = {
      name,
      op,
      field,
      params: { ...params },
      window,
      map: spec.mapFn === undefined ? null : normalizeFunctionSource(spec.mapFn),
      valueType: valueType(op, fieldType, spec.mapFn !== undefined),
      ...(spec.doc === undefined ? {} : { doc: spec.doc }),
    };
    features.push(ir);
    compiled.push({
      index: compiled.length,
      name,
      ir,
      aggregator,
      field,
      map: spec.mapFn as ((value: FeatureValue) => FeatureValue) | undefined,
    });
  }

  const toMs = (d: FeatureViewDef['onlineTtl'], fallback: number, what: string): number =>
    d === undefined ? fallback : toMillis(d, `view '${view}': ${what}`);
  const base = {
    irVersion: IR_VERSION,
    name: view,
    entity: { name: def.entity.name, keys: [...keys] },
    source: {
      name: src.name,
      topic: src.topic,
      format: src.format,
      schema,
      eventTime,
      key: [...src.key],
    },
    filter: def.filter === undefined ? null : normalizeFunctionSource(def.filter),
    derive,
    features,
    allowedLatenessMs: toMs(
      def.allowedLateness,
      VIEW_DEFAULTS.allowedLatenessMs,
      'allowedLateness',
    ),
    idleTimeoutMs: toMs(def.idleTimeout, VIEW_DEFAULTS.idleTimeoutMs, 'idleTimeout'),
    onlineTtlMs: toMs(def.onlineTtl, VIEW_DEFAULTS.onlineTtlMs, 'onlineTtl'),
    metadata: {
      owner: def.owner ?? null,
      description: def.description ?? null,
      tags: [...def.tags],
    },
  } as const;
  const ir: ViewIR = { ...base, version: versionOf(base) };
  return {
    ir,
    name: view,
    version: ir.version,
    keyFields: keys,
    eventTimeField,
    eventTimeFn,
    filter: def.filter as ((event: Row) => boolean) | undefined,
    derive: deriveFns,
    features: compiled,
  };
}

/**
 * The parts of a view that change what its values mean. Description, owner, tags, TTL, the
 * idle timeout and feature docs are left out: changing them keeps the version.
 */
export function semanticPart(ir: Omit<ViewIR, 'version'>): unknown {
  return {
    irVersion: ir.irVersion,
    name: ir.name,
    keys: ir.entity.keys,
    source: {
      topic: ir.source.topic,
      format: ir.source.format,
      schema: ir.source.schema.map(({ name, type, nullable }) => ({ name, type, nullable })),
      eventTime: ir.source.eventTime,
    },
    filter: ir.filter,
    derive: ir.derive.map(({ name, type, nullable, fn }) => ({ name, type, nullable, fn })),
    features: ir.features.map(({ name, op, field, params, window, map }) => ({
      name,
      op,
      field,
      params,
      window,
      map,
    })),
    allowedLatenessMs: ir.allowedLatenessMs,
  };
}

/** The version: the first 12 hex digits of SHA-256 over the canonical semantic part. */
export function versionOf(ir: Omit<ViewIR, 'version'>): string {
  return sha256Hex(canonicalJson(semanticPart(ir))).slice(0, 12);
}
