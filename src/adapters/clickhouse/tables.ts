import type { FeatureIR, FieldIR, ValueTypeIR, ViewIR } from '../../core/topology/ir.js';
import { EVENT_TIME_COLUMN } from '../../core/topology/reserved-columns.js';

/**
 * The ClickHouse layout (README "ClickHouse layout"): one source of truth for table and column
 * names and types (the columns the DSL keeps users from naming — event time, archive coordinates,
 * history columns — are in core/topology/reserved-columns.ts). SQL here runs unchanged on the
 * embedded engine and on a current server.
 */

export function eventsTable(source: string): string {
  return `events_${source}`;
}

export function featuresTable(view: string): string {
  return `features_${view}`;
}

export function quoteIdent(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

const TS = "DateTime64(3, 'UTC')";

export function fieldType(f: Pick<FieldIR, 'type' | 'nullable'>): string {
  const base = {
    string: 'String',
    int: 'Int32',
    long: 'Int64',
    double: 'Float64',
    boolean: 'Bool',
    timestamp: TS,
  }[f.type];
  return f.nullable ? `Nullable(${base})` : base;
}

export function keyType(f: Pick<FieldIR, 'type'>): string {
  return f.type === 'string' ? 'String' : 'Int64';
}

export function valueColumnType(t: ValueTypeIR): string {
  const base = {
    int64: 'Int64',
    float64: 'Float64',
    string: 'String',
    boolean: 'Bool',
    timestamp: TS,
  }[t.base];
  if (t.list) return `Array(${base})`;
  return t.nullable ? `Nullable(${base})` : base;
}

export function createEventsTable(db: string, source: ViewIR['source']): string {
  const cols = source.schema.map((f) => `${quoteIdent(f.name)} ${fieldType(f)}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(eventsTable(source.name))} (
  ${[
    ...cols,
    `${EVENT_TIME_COLUMN} ${TS}`,
    '_topic LowCardinality(String)',
    '_partition UInt32',
    '_offset UInt64',
    '_late UInt8',
    `_ingested_at ${TS}`,
  ].join(',\n  ')}
) ENGINE = ReplacingMergeTree(_ingested_at)
PARTITION BY toYYYYMM(${EVENT_TIME_COLUMN})
ORDER BY (_topic, _partition, _offset)`;
}

export function keyFields(view: ViewIR): FieldIR[] {
  const all = [...view.source.schema, ...view.derive];
  return view.entity.keys.map(
    (k) => all.find((f) => f.name === k) ?? { name: k, type: 'string', nullable: false },
  );
}

export function featureColumns(view: ViewIR): { name: string; type: string; feature: FeatureIR }[] {
  return view.features.map((f) => ({
    name: f.name,
    type: valueColumnType(f.valueType),
    feature: f,
  }));
}

export function createFeaturesTable(db: string, view: ViewIR): string {
  const keys = keyFields(view);
  const cols = [
    ...keys.map((k) => `${quoteIdent(k.name)} ${keyType(k)}`),
    'version LowCardinality(String)',
    `as_of ${TS}`,
    ...featureColumns(view).map((c) => `${quoteIdent(c.name)} ${c.type}`),
    `_written_at ${TS}`,
  ];
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(featuresTable(view.name))} (
  ${cols.join(',\n  ')}
) ENGINE = ReplacingMergeTree(_written_at)
ORDER BY (version, ${keys.map((k) => quoteIdent(k.name)).join(', ')}, as_of)`;
}
