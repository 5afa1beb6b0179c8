import type { CompactResult, OfflineSql } from '../ports/offline-sql.js';

export type QueryFormat = 'table' | 'json' | 'csv';

/** The statement trimmed, without trailing semicolons (one statement per call). */
export function normalizeStatement(text: string): string {
  return text
    .trim()
    .replace(/;+\s*$/, '')
    .trim();
}

/** True for statements that return rows (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN, EXISTS …). */
export function returnsRows(text: string): boolean {
  const body = text.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*\s*/, '');
  return /^(\(|SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS|CHECK|VALUES)\b/i.test(body);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** A plain-text table: a header, a rule, the rows (numbers right-aligned), a row count. */
export function formatTable(r: CompactResult, maxRows: number): string {
  const shown = r.rows.slice(0, maxRows);
  const numeric = r.columns.map((c) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(c.type));
  const cells = shown.map((row) => r.columns.map((_, i) => cell(row[i]).replace(/\n/g, '\\n')));
  const widths = r.columns.map((c, i) =>
    Math.min(60, Math.max(c.name.length, ...cells.map((row) => (row[i] ?? '').length))),
  );
  const fit = (s: string, i: number): string => {
    const w = widths[i] ?? 0;
    const t = s.length > w ? `${s.slice(0, w - 1)}…` : s;
    return numeric[i] === true ? t.padStart(w) : t.padEnd(w);
  };
  const lines = [
    r.columns.map((c, i) => fit(c.name, i)).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...cells.map((row) => row.map((s, i) => fit(s, i)).join('  ')),
  ];
  const more = r.rows.length - shown.length;
  lines.push(
    more > 0
      ? `… ${more.toLocaleString('en-US')} more row(s) not shown (${r.rows.length.toLocaleString('en-US')} in total; --format csv prints all)`
      : `(${r.rows.length.toLocaleString('en-US')} row${r.rows.length === 1 ? '' : 's'})`,
  );
  return `${lines.map((l) => l.trimEnd()).join('\n')}\n`;
}

/**
 * Runs one analyst statement on the offline store and writes its result to `out`: a table, JSON
 * lines or CSV with a header (streamed); statements without rows print `ok`.
 */
export async function runAnalystQuery(
  sql: OfflineSql,
  text: string,
  format: QueryFormat,
  out: NodeJS.WritableStream,
  maxRows = 1000,
): Promise<void> {
  const stmt = normalizeStatement(text);
  if (!returnsRows(stmt)) {
    await sql.command(stmt);
    out.write('ok\n');
    return;
  }
  if (format === 'table') {
    out.write(formatTable(await sql.queryCompact(stmt), maxRows));
    return;
  }
  await sql.streamTo(stmt, format === 'csv' ? 'CSVWithNames' : 'JSONEachRow', out);
}
