import { splitKey } from '../../core/topology/event-reader.js';
import type { ViewIR } from '../../core/topology/ir.js';
import type { HistoryRow } from '../../core/windowing/partition-runtime.js';
import { keyFields, quoteIdent } from './tables.js';

/**
 * History rows in ClickHouse's JSONCompactEachRow format, for the columns of
 * `historyInsertColumns` (the same values `appendHistory` writes). Pure — no client — so worker
 * threads can encode their own output (backfills) and the main thread only forwards text.
 */
export function encodeHistoryCompact(
  view: ViewIR,
  rows: readonly HistoryRow[],
  writtenAt: number,
): string {
  if (rows.length === 0) return '';
  const keys = keyFields(view);
  const numeric = keys.map((k) => k.type !== 'string');
  const lists = view.features.map((f) => f.valueType.list);
  const nk = keys.length;
  const nf = lists.length;
  const version = view.version;
  // JSON.stringify of one reused array per row: the native serializer is faster than building
  // the line by hand (number → shortest text dominates either way).
  const line: unknown[] = new Array<unknown>(nk + nf + 3);
  const lines: string[] = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as HistoryRow;
    if (nk === 1) line[0] = numeric[0] === true ? Number(row.key) : row.key;
    else {
      const parts = splitKey(row.key, nk);
      for (let i = 0; i < nk; i++) {
        const p = parts[i] ?? '';
        line[i] = numeric[i] === true ? Number(p) : p;
      }
    }
    line[nk] = version;
    line[nk + 1] = row.asOf;
    const values = row.values;
    for (let i = 0; i < nf; i++) {
      const v = values[i];
      line[nk + 2 + i] = v === undefined ? (lists[i] === true ? [] : null) : v;
    }
    line[nk + 2 + nf] = writtenAt;
    lines[r] = JSON.stringify(line);
  }
  return `${lines.join('\n')}\n`;
}

/** The column list of `encodeHistoryCompact` rows (table order may differ after ALTERs). */
export function historyInsertColumns(view: ViewIR): string {
  return [
    ...keyFields(view).map((k) => k.name),
    'version',
    'as_of',
    ...view.features.map((f) => f.name),
    '_written_at',
  ]
    .map(quoteIdent)
    .join(', ');
}
