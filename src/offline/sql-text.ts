import type { FeatureValue } from '../core/aggregation/aggregator.js';
import type { ValueTypeIR } from '../core/topology/ir.js';

/** ClickHouse SQL text: identifiers, string literals and typed feature values. */

export function ident(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

export function str(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A qualified table name: `db`.`name` or the name in the default database. */
export function qualified(database: string, table: string): string {
  const dot = table.indexOf('.');
  return dot < 0
    ? `${ident(database)}.${ident(table)}`
    : `${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))}`;
}

function scalarLiteral(v: number | string | boolean, t: ValueTypeIR): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return str(v);
  if (t.base === 'timestamp') return `fromUnixTimestamp64Milli(toInt64(${Math.round(v)}), 'UTC')`;
  return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
}

/** A feature value as a SQL expression of the feature's column type `columnType`. */
export function valueLiteral(v: FeatureValue, t: ValueTypeIR, columnType: string): string {
  if (v === null) return `CAST(NULL AS ${columnType})`;
  if (Array.isArray(v)) {
    return `CAST([${(v as readonly (number | string | boolean)[]).map((x) => scalarLiteral(x, t)).join(', ')}] AS ${columnType})`;
  }
  return `CAST(${scalarLiteral(v as number | string | boolean, t)} AS ${columnType})`;
}

/** True when `v` is what ClickHouse puts in a column of type `t` for an unmatched join row. */
export function isJoinDefault(v: FeatureValue, t: ValueTypeIR): boolean {
  if (t.list) return Array.isArray(v) && v.length === 0;
  if (t.nullable) return v === null;
  return v === 0 || v === '' || v === false;
}
