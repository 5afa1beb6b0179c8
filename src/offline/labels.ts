import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { FeatureStreamError, userError } from '../core/errors.js';
import type { OfflineSql } from '../ports/offline-sql.js';
import { readCsvHeader } from './csv-header.js';
import { ident, qualified, str } from './sql-text.js';
import type { TempScope } from './temp-scope.js';

/** Where labels come from: a table of the offline store, or a local CSV / Parquet file. */
export type LabelSource =
  | { readonly kind: 'table'; readonly table: string }
  | { readonly kind: 'csv' | 'parquet'; readonly path: string };

export const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** The output order column (`_row`): a label source may carry one (a previous output); it is replaced. */
export const ROW_COLUMN = '_row';
const ERROR_COLUMN = '_fs_error';
/** Prefix of the staging and join's internal column names; label columns must not use it. */
const INTERNAL_PREFIX = '_fs_';

/** `file.csv` / `file.parquet` → a file; `name` or `db.name` → a table. */
export function parseLabelSource(arg: string): LabelSource {
  if (/\.csv$/i.test(arg)) return { kind: 'csv', path: arg };
  if (/\.parquet$/i.test(arg)) return { kind: 'parquet', path: arg };
  if (TABLE_NAME.test(arg) && !existsSync(arg)) return { kind: 'table', table: arg };
  throw userError(
    'CLI_ARG',
    `labels '${arg}' are neither a table name nor a .csv or .parquet file`,
    'pass a table (name or db.name), a .csv file with a header line, or a .parquet file',
  );
}

/** An entity key the labels must carry: its type in the history and the views that need it. */
export interface KeyNeed {
  readonly key: string;
  readonly type: string;
  readonly views: readonly string[];
}

export interface LabelSpec {
  /** The label time column (epoch ms, ISO-8601 text or a Date/DateTime column). */
  readonly time: string;
  /** label column → entity key (when the names differ). */
  readonly keyMap: Readonly<Record<string, string>>;
  readonly needs: readonly KeyNeed[];
  /** Output column names the labels must not use (the selected features). */
  readonly reserved: readonly string[];
}

/** The labels, typed, numbered in their order, in a temporary table. */
export interface StagedLabels {
  /** Unqualified name of the typed labels table (`_row` + the label columns). */
  readonly table: string;
  /** The label columns in source order (without `_row`), with their types. */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly time: string;
  /** entity key → the label column holding it. */
  readonly keyColumn: ReadonlyMap<string, string>;
  readonly rows: number;
}

export function describeSource(s: LabelSource): string {
  return s.kind === 'table' ? `labels table ${s.table}` : `labels file ${basename(s.path)}`;
}

/** The label column for each needed key (mapped with keyMap, else the key's own name). */
function keyColumns(spec: LabelSpec): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const [col, key] of Object.entries(spec.keyMap)) {
    if (!spec.needs.some((n) => n.key === key)) {
      throw userError(
        'CLI_ARG',
        `--keys maps column '${col}' to '${key}', which is not an entity key of the selected features (keys: ${spec.needs.map((n) => n.key).join(', ')})`,
        'map label columns to the entity keys of the selected views',
      );
    }
    byKey.set(key, col);
  }
  for (const n of spec.needs) if (!byKey.has(n.key)) byKey.set(n.key, n.key);
  return byKey;
}

function bare(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (m === null) return t;
    t = m[2] ?? t;
  }
}

const INTEGER = /^U?Int(8|16|32|64|128|256)$/;

/** A Nullable(DateTime64(3, 'UTC')) expression for a label time column of type `type`. */
function timeExpr(col: string, type: string, name: string): string {
  const t = bare(type);
  if (/^(DateTime64|DateTime|Date32|Date)\b/.test(t)) return `toDateTime64(${col}, 3, 'UTC')`;
  if (INTEGER.test(t))
    return `fromUnixTimestamp64Milli(accurateCastOrNull(${col}, 'Int64'), 'UTC')`;
  if (/^(Float32|Float64|Decimal)/.test(t))
    return `fromUnixTimestamp64Milli(accurateCastOrNull(round(${col}), 'Int64'), 'UTC')`;
  if (/^(String|FixedString)/.test(t)) {
    const s = `trimBoth(toString(${col}))`;
    return `if(match(${s}, '^-?[0-9]+$'), fromUnixTimestamp64Milli(toInt64OrNull(${s}), 'UTC'), parseDateTime64BestEffortOrNull(${s}, 3, 'UTC'))`;
  }
  throw userError(
    'LABELS_TIME_TYPE',
    `the label time column '${name}' is ${type}`,
    'give the label time as epoch milliseconds, an ISO-8601 string or a Date/DateTime column',
  );
}

/** An expression of the history key type (`String` or `Int64`), NULL when not convertible. */
function keyExpr(col: string, type: string, target: string): string {
  const t = bare(type);
  if (target === 'String') return `toString(${col})`;
  if (/^(String|FixedString)/.test(t)) return `toInt64OrNull(trimBoth(toString(${col})))`;
  return `accurateCastOrNull(${col}, 'Int64')`;
}

interface CsvColumnStats {
  readonly nonEmpty: number;
  readonly empty: number;
  readonly notInt: number;
  readonly notFloat: number;
  readonly leadingZero: number;
}

/** Numeric-looking CSV columns become Int64/Float64 (Nullable when some values are empty). */
function csvColumnExpr(col: string, s: CsvColumnStats): string {
  const v = `trimBoth(${col})`;
  if (s.nonEmpty === 0 || s.leadingZero > 0) return col;
  if (s.notInt === 0) return s.empty > 0 ? `toInt64OrNull(${v})` : `toInt64(${v})`;
  if (s.notFloat === 0) return s.empty > 0 ? `toFloat64OrNull(${v})` : `toFloat64(${v})`;
  return col;
}

async function describeQuery(
  sql: OfflineSql,
  from: string,
  source: LabelSource,
): Promise<{ name: string; type: string }[]> {
  try {
    return await sql.query<{ name: string; type: string }>(`DESCRIBE TABLE ${from}`);
  } catch (err) {
    const what = describeSource(source);
    const hint =
      source.kind === 'parquet' && sql.kind === 'server'
        ? 'a ClickHouse server reads Parquet labels itself: the path must be readable by the server (its user_files); else pass a CSV file or a table'
        : source.kind === 'table'
          ? 'check the table name (name or db.name; default database: CLICKHOUSE_DATABASE)'
          : 'check the file';
    throw userError(
      'LABELS_NOT_FOUND',
      `${what} cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      hint,
    );
  }
}

/**
 * Loads, types, numbers and validates the labels inside ClickHouse: a CSV is streamed into a
 * temporary table (all columns text, then typed: keys as the history's key types, the time column
 * as DateTime64(3, 'UTC') from epoch ms or ISO-8601, numeric-looking columns as numbers); Parquet
 * is read by the engine; a table is read directly. Every failure is a one-line user error: a
 * missing column, an unparsable time or key (naming the first bad line), no labels at all.
 */
export async function stageLabels(
  sql: OfflineSql,
  scope: TempScope,
  source: LabelSource,
  spec: LabelSpec,
): Promise<StagedLabels> {
  const keyColumn = keyColumns(spec);
  const what = describeSource(source);
  const required = (cols: readonly string[]): void => {
    const missing = (name: string, why: string, fix: string): never => {
      throw userError(
        'LABELS_MISSING_COLUMN',
        `${what} has no column '${name}' (${why}; columns: ${cols.filter((c) => c !== ROW_COLUMN).join(', ')})`,
        fix,
      );
    };
    if (!cols.includes(spec.time))
      missing(spec.time, 'the label time column', 'name the time column with --at COLUMN');
    for (const n of spec.needs) {
      const col = keyColumn.get(n.key) ?? n.key;
      if (!cols.includes(col))
        missing(
          col,
          `entity key '${n.key}' of view${n.views.length > 1 ? 's' : ''} ${n.views.join(', ')}`,
          `add the column, or map the label column holding it with --keys COLUMN=${n.key}`,
        );
    }
    for (const c of cols) {
      if (c.startsWith(INTERNAL_PREFIX))
        throw userError(
          'LABELS_COLUMN_CONFLICT',
          `${what} has a column '${c}': names starting with '${INTERNAL_PREFIX}' are reserved for the point-in-time join's own columns`,
          'rename the label column',
        );
      if (spec.reserved.includes(c))
        throw userError(
          'LABELS_COLUMN_CONFLICT',
          `${what} has a column '${c}', which is also the name of a selected feature`,
          'rename the label column (or select the feature through a feature service with `as`)',
        );
    }
  };

  let from = '';
  let columns: { name: string; type: string }[] = [];
  if (source.kind === 'csv') {
    const header = await readCsvHeader(source.path);
    required(header);
    const raw = scope.table('raw');
    await sql.command(
      `CREATE TABLE ${sql.table(raw)} (${header.map((c) => `${ident(c)} String`).join(', ')}) ENGINE = StripeLog`,
    );
    try {
      await sql.loadCsv(sql.table(raw), source.path, header);
    } catch (err) {
      throw userError(
        'LABELS_PARSE',
        `${what} cannot be parsed as CSV: ${err instanceof Error ? err.message : String(err)}`,
        'check that every line has as many fields as the header, quoted with " where needed',
      );
    }
    from = sql.table(raw);
    columns = header.map((name) => ({ name, type: 'String' }));
  } else if (source.kind === 'parquet') {
    let path = source.path;
    if (sql.kind === 'embedded') {
      path = resolve(source.path);
      await access(path).catch(() => {
        throw userError('LABELS_NOT_FOUND', `${what} does not exist (${path})`, 'check the path');
      });
    }
    from = `file(${str(path)}, 'Parquet')`;
    columns = await describeQuery(sql, from, source);
    required(columns.map((c) => c.name));
  } else if (source.kind === 'table') {
    from = qualified(sql.database, source.table);
    columns = await describeQuery(sql, from, source);
    required(columns.map((c) => c.name));
  }
  columns = columns.filter((c) => c.name !== ROW_COLUMN);

  const keyTypeOf = new Map<string, { type: string; views: readonly string[] }>();
  for (const n of spec.needs) {
    const col = keyColumn.get(n.key) ?? n.key;
    const prev = keyTypeOf.get(col);
    if (prev !== undefined && prev.type !== n.type) {
      throw userError(
        'LABELS_KEY_TYPE',
        `label column '${col}' is a ${prev.type} key of ${prev.views.join(', ')} and a ${n.type} key of ${n.views.join(', ')}`,
        'give each view its own label column (map them with --keys)',
      );
    }
    keyTypeOf.set(col, { type: n.type, views: n.views });
  }

  // CSV: which text columns are numbers (one pass over the loaded text, inside ClickHouse).
  const stats = new Map<string, CsvColumnStats>();
  const others = columns.filter((c) => c.name !== spec.time && !keyTypeOf.has(c.name));
  if (source.kind === 'csv' && others.length > 0) {
    const parts = others.map((c) => {
      const v = `trimBoth(${ident(c.name)})`;
      return `(countIf(${v} != ''), countIf(${v} = ''), countIf(${v} != '' AND isNull(toInt64OrNull(${v}))), countIf(${v} != '' AND isNull(toFloat64OrNull(${v}))), countIf(match(${v}, '^[-+]?0[0-9]')))`;
    });
    const [row] = await sql.query<{ s: number[][] }>(
      `SELECT [${parts.join(', ')}] AS s FROM ${from} SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    others.forEach((c, i) => {
      const s = row?.s[i] ?? [0, 0, 0, 0, 0];
      stats.set(c.name, {
        nonEmpty: Number(s[0]),
        empty: Number(s[1]),
        notInt: Number(s[2]),
        notFloat: Number(s[3]),
        leadingZero: Number(s[4]),
      });
    });
  }

  const inner: string[] = [`rowNumberInAllBlocks() AS ${ident(ROW_COLUMN)}`];
  const outer: string[] = [ident(ROW_COLUMN)];
  const checks: string[] = [];
  columns.forEach((c, i) => {
    const col = ident(c.name);
    const alias = `_fs_c${i}`;
    const rawAlias = `_fs_r${i}`;
    const shown = `ifNull(toString(${rawAlias}), 'NULL')`;
    if (c.name === spec.time) {
      inner.push(`${timeExpr(col, c.type, c.name)} AS ${alias}`, `${col} AS ${rawAlias}`);
      outer.push(`ifNull(${alias}, toDateTime64(0, 3, 'UTC')) AS ${col}`);
      checks.push(
        `isNull(${alias}), concat('cannot parse ', ${str("'")}, ${shown}, ${str("'")}, ${str(` in the time column '${c.name}' (epoch milliseconds or an ISO-8601 date-time expected)`)})`,
      );
      return;
    }
    const key = keyTypeOf.get(c.name);
    if (key !== undefined) {
      inner.push(`${keyExpr(col, c.type, key.type)} AS ${alias}`, `${col} AS ${rawAlias}`);
      if (key.type === 'String') outer.push(`ifNull(${alias}, '') AS ${col}`);
      else {
        outer.push(`ifNull(${alias}, 0) AS ${col}`);
        checks.push(
          `isNull(${alias}), concat(${str(`key column '${c.name}' (an integer key of ${key.views.join(', ')}): `)}, ${str("'")}, ${shown}, ${str("' is not an integer")})`,
        );
      }
      return;
    }
    const s = stats.get(c.name);
    inner.push(`${s === undefined ? col : csvColumnExpr(col, s)} AS ${alias}`);
    outer.push(`${alias} AS ${col}`);
  });
  outer.push(
    `${checks.length === 0 ? "''" : `multiIf(${checks.join(', ')}, '')`} AS ${ERROR_COLUMN}`,
  );

  const labels = scope.table('labels');
  await sql.command(
    `CREATE TABLE ${sql.table(labels)} ENGINE = MergeTree ORDER BY ${ident(ROW_COLUMN)} AS
SELECT ${outer.join(', ')}
FROM (SELECT ${inner.join(', ')} FROM ${from})
SETTINGS max_threads = 1, input_format_parquet_preserve_order = 1`,
  );

  const [check] = await sql.query<{ n: number; bad: number; msg: string; first: number }>(
    `SELECT count() AS n, countIf(${ERROR_COLUMN} != '') AS bad,
  argMinIf(${ERROR_COLUMN}, ${ident(ROW_COLUMN)}, ${ERROR_COLUMN} != '') AS msg,
  minIf(${ident(ROW_COLUMN)}, ${ERROR_COLUMN} != '') AS first
FROM ${sql.table(labels)} SETTINGS output_format_json_quote_64bit_integers = 0`,
  );
  const n = Number(check?.n ?? 0);
  if (n === 0) {
    throw userError(
      'LABELS_EMPTY',
      `${what} has no rows`,
      'give at least one label (entity keys and a time)',
    );
  }
  const bad = Number(check?.bad ?? 0);
  if (bad > 0) {
    const first = Number(check?.first ?? 0);
    const where = source.kind === 'csv' ? `line ${first + 2}` : `row ${first + 1}`;
    throw new FeatureStreamError(
      'LABELS_BAD_VALUE',
      `${what}, ${where}: ${check?.msg ?? ''}${bad > 1 ? ` (${bad.toLocaleString('en-US')} bad rows in total)` : ''}`,
      { domain: 'user', fix: 'fix or drop the bad rows', details: { line: first } },
    );
  }

  const typed = await sql.query<{ name: string; type: string }>(
    `DESCRIBE TABLE ${sql.table(labels)}`,
  );
  return {
    table: labels,
    columns: typed.filter((c) => c.name !== ROW_COLUMN && c.name !== ERROR_COLUMN),
    time: spec.time,
    keyColumn,
    rows: n,
  };
}
