import { splitKey } from '../../core/topology/event-reader.js';
import type { ViewIR } from '../../core/topology/ir.js';
import type { HistoryRow } from '../../core/windowing/partition-runtime.js';
import type { ArchiveRow, SourceIR } from '../../ports/history-store.js';
import { ARCHIVE_COLUMNS, EVENT_TIME_COLUMN, keyFields, quoteIdent } from './tables.js';

/*
 * Rows in ClickHouse's JSONCompactEachRow format: one JSON array per line, in the column order
 * of `historyInsertColumns` / `eventsInsertColumns`. Pure — no client — so worker threads encode
 * their own output and the engine's main thread only forwards text (the stream writes ≈ 3
 * history rows and one archive row per event; backfills write millions).
 *
 * JSON.stringify of one reused array per row: the native serializer is faster than building a
 * line by hand (number → shortest text dominates either way).
 */

/** Names this encoding (`EncodedAppends.format` / `OfflineEncoders.format`). */
export const COMPACT_ROWS_FORMAT = 'clickhouse/JSONCompactEachRow';

/** History rows (`features_{view}`), as of their `asOf`, written at `writtenAt`. */
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

/** Raw events for the archive (`events_{source}`), ingested at `ingestedAt`. */
export function encodeEventsCompact(
  source: SourceIR,
  rows: readonly ArchiveRow[],
  ingestedAt: number,
): string {
  if (rows.length === 0) return '';
  const fields = source.schema.map((f) => f.name);
  const nf = fields.length;
  const line: unknown[] = new Array<unknown>(6 + nf);
  const lines: string[] = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const a = rows[r] as ArchiveRow;
    line[0] = a.eventTime;
    line[1] = a.topic;
    line[2] = a.partition;
    line[3] = a.offset;
    line[4] = a.late ? 1 : 0;
    line[5] = ingestedAt;
    for (let i = 0; i < nf; i++) line[6 + i] = a.row[fields[i] as string] ?? null;
    lines[r] = JSON.stringify(line);
  }
  return `${lines.join('\n')}\n`;
}

/** The column list of `encodeEventsCompact` rows. */
export function eventsInsertColumns(source: SourceIR): string {
  return [
    quoteIdent(EVENT_TIME_COLUMN),
    ...ARCHIVE_COLUMNS.map(quoteIdent),
    ...source.schema.map((f) => quoteIdent(f.name)),
  ].join(', ');
}
