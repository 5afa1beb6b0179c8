import { access, rename } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { userError } from '../core/errors.js';
import type { OfflineSql } from '../ports/offline-sql.js';
import { TABLE_NAME } from './labels.js';
import { ident, qualified, str } from './sql-text.js';
import type { TempScope } from './temp-scope.js';

/** Where a training set (or scores) go: a table of the offline store or a local file. */
export type OutputTarget =
  | { readonly kind: 'table'; readonly table: string }
  | { readonly kind: 'file'; readonly path: string; readonly format: 'Parquet' | 'CSVWithNames' };

export function parseOutputTarget(arg: string): OutputTarget {
  if (/\.parquet$/i.test(arg)) return { kind: 'file', path: arg, format: 'Parquet' };
  if (/\.csv$/i.test(arg)) return { kind: 'file', path: arg, format: 'CSVWithNames' };
  if (TABLE_NAME.test(arg)) return { kind: 'table', table: arg };
  throw userError(
    'CLI_ARG',
    `--out '${arg}' is neither a table name nor a .parquet or .csv file`,
    'pass a table (name or db.name), or a path ending in .parquet or .csv',
  );
}

export function describeTarget(t: OutputTarget): string {
  return t.kind === 'table' ? `table ${t.table}` : t.path;
}

async function tableExists(sql: OfflineSql, table: string): Promise<boolean> {
  const dot = table.indexOf('.');
  const db = dot < 0 ? sql.database : table.slice(0, dot);
  const name = dot < 0 ? table : table.slice(dot + 1);
  const rows = await sql.query(
    `SELECT 1 FROM system.tables WHERE database = ${str(db)} AND name = ${str(name)}`,
  );
  return rows.length > 0;
}

async function fileExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Fails before any work when the output exists (and may not be replaced) or cannot be written. */
export async function checkOutput(
  sql: OfflineSql,
  target: OutputTarget,
  overwrite: boolean,
): Promise<void> {
  if (target.kind === 'table') {
    const dot = target.table.indexOf('.');
    if (dot >= 0) {
      const db = target.table.slice(0, dot);
      const found = await sql.query(`SELECT 1 FROM system.databases WHERE name = ${str(db)}`);
      if (found.length === 0)
        throw userError(
          'OUTPUT_DATABASE',
          `--out ${target.table}: there is no database '${db}'`,
          'create it first, or name a table of the default database (CLICKHOUSE_DATABASE)',
        );
    }
    if (!overwrite && (await tableExists(sql, target.table))) {
      throw userError(
        'OUTPUT_EXISTS',
        `output table ${target.table} already exists`,
        'choose another name, drop it, or pass --overwrite',
      );
    }
    return;
  }
  if (!(await fileExists(dirname(resolve(target.path))))) {
    throw userError(
      'OUTPUT_DIR',
      `the directory of ${target.path} does not exist`,
      'create it first, or write elsewhere',
    );
  }
  if (!overwrite && (await fileExists(target.path))) {
    throw userError(
      'OUTPUT_EXISTS',
      `output file ${target.path} already exists`,
      'choose another path, delete it, or pass --overwrite',
    );
  }
}

/**
 * Puts a finished result in place: `frame` (a temporary MergeTree table ordered by `_row`) becomes
 * the output table by a rename (an existing one is exchanged atomically with --overwrite), or is
 * written, ordered by `_row` and without it, to a temporary file beside the output path that is
 * then renamed over it. Nothing appears at the output path before the result is complete.
 */
export async function publish(
  sql: OfflineSql,
  scope: TempScope,
  frame: string,
  target: OutputTarget,
  overwrite: boolean,
): Promise<void> {
  if (target.kind === 'table') {
    const dest = qualified(sql.database, target.table);
    if (await tableExists(sql, target.table)) {
      if (!overwrite)
        throw userError('OUTPUT_EXISTS', `output table ${target.table} already exists`);
      try {
        // Atomic databases swap both names in one step; `frame` then names the replaced table,
        // which the scope drops.
        await sql.command(`EXCHANGE TABLES ${sql.table(frame)} AND ${dest}`);
        return;
      } catch {
        // Ordinary databases cannot exchange: drop, then rename (a brief gap without the table).
        await sql.command(`DROP TABLE ${dest}`);
      }
    }
    await sql.command(`RENAME TABLE ${sql.table(frame)} TO ${dest}`);
    scope.release(frame);
    return;
  }
  const tmp = scope.fileBeside(resolve(target.path));
  const csv = target.format === 'CSVWithNames' ? ", format_csv_null_representation = ''" : '';
  await sql.writeFile(
    `SELECT * EXCEPT (${ident('_row')}) FROM ${sql.table(frame)} ORDER BY ${ident('_row')}
SETTINGS output_format_parquet_string_as_string = 1${csv}`,
    tmp,
    target.format,
  );
  if (!overwrite && (await fileExists(target.path)))
    throw userError('OUTPUT_EXISTS', `output file ${target.path} already exists`);
  await rename(tmp, resolve(target.path));
  scope.release(tmp);
}
