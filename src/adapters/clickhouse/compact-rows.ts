import { splitKey } from '../../core/topology/event-reader.js';
import type { ViewIR } from '../../core/topology/ir.js';
import type { FeatureValue } from '../../core/aggregation/aggregator.js';
import type { HistoryRow } from '../../core/windowing/partition-runtime.js';
import type { ArchiveRow, SourceIR } from '../../ports/history-store.js';
import { ARCHIVE_COLUMNS, EVENT_TIME_COLUMN } from '../../core/topology/reserved-columns.js';
import { keyFields, quoteIdent } from './tables.js';
import { TextBytes } from './text-bytes.js';

/*
 * Rows in ClickHouse's JSONCompactEachRow format: one JSON array per line, in the column order
 * of `historyInsertColumns` / `eventsInsertColumns`, as UTF-8 bytes. Pure — no client — so
 * worker threads encode their own output and hand the bytes to the engine's main thread, which
 * only forwards them (the stream writes ≈ 3 history rows and one archive row per event;
 * backfills write millions).
 */

/** Initial bytes of a history writer (sized from its first row) and per archive row. */
const HISTORY_ROW_BYTES = 1_024;
const ARCHIVE_ROW_BYTES = 256;
const NEWLINE = 10;
const COMMA = 44;
const OPEN = 91;

/** Names this encoding (`EncodedAppends.format` / `OfflineEncoders.format`). */
export const COMPACT_ROWS_FORMAT = 'clickhouse/JSONCompactEachRow';

/**
 * History rows (`features_{view}`), as of their `asOf`, written at `writtenAt`.
 *
 * An entity's rows come one after another (settling walks an entity through its times) and most
 * of their values repeat — a decay row changes one window's value, and the windowing reuses the
 * unchanged values themselves — so the text of each feature's previous value is reused while the
 * value is the same (===; the text depends on the value alone): most rows format one or two
 * numbers instead of every feature.
 */
export function encodeHistoryCompact(
  view: ViewIR,
  rows: readonly HistoryRow[],
  writtenAt: number,
): Uint8Array {
  const out = new TextBytes(HISTORY_ROW_BYTES);
  if (rows.length === 0) return out.finish();
  const keys = keyFields(view);
  const numeric = keys.map((k) => k.type !== 'string');
  const lists = view.features.map((f) => f.valueType.list);
  const nk = keys.length;
  const nf = lists.length;
  const middle = `,${JSON.stringify(view.version)},`;
  const tail = `,${JSON.stringify(writtenAt)}]`;
  const texts: string[] = new Array<string>(nf).fill('null');
  const keyParts: unknown[] = new Array<unknown>(nk);
  let prevKey: string | undefined;
  let prevValues: readonly FeatureValue[] | undefined;
  let keyText = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as HistoryRow;
    if (row.key !== prevKey) {
      prevKey = row.key;
      if (nk === 1) keyText = JSON.stringify(numeric[0] === true ? Number(row.key) : row.key);
      else {
        const parts = splitKey(row.key, nk);
        for (let i = 0; i < nk; i++) {
          const p = parts[i] ?? '';
          keyParts[i] = numeric[i] === true ? Number(p) : p;
        }
        keyText = JSON.stringify(keyParts).slice(1, -1);
      }
    }
    out.byte(OPEN);
    out.text(keyText);
    out.text(middle);
    out.number(row.asOf);
    const values = row.values;
    for (let i = 0; i < nf; i++) {
      const v = values[i];
      if (prevValues === undefined || v !== prevValues[i])
        texts[i] = v === undefined ? (lists[i] === true ? '[]' : 'null') : valueText(v);
      out.byte(COMMA);
      out.text(texts[i] as string);
    }
    out.text(tail);
    out.byte(NEWLINE);
    // Size the buffer for all rows from the first one (a little more: later rows reuse texts).
    if (r === 0) out.reserve(Math.ceil(out.length * 1.25) * (rows.length - 1));
    prevValues = values;
  }
  return out.finish();
}

/** A value's JSON text as `JSON.stringify` writes it inside an array (non-finite → null). */
function valueText(v: FeatureValue): string {
  return JSON.stringify(v) ?? 'null';
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
): Uint8Array {
  const out = new TextBytes(rows.length * ARCHIVE_ROW_BYTES);
  const fields = source.schema.map((f) => f.name);
  const nf = fields.length;
  const line: unknown[] = new Array<unknown>(6 + nf);
  for (let r = 0; r < rows.length; r++) {
    const a = rows[r] as ArchiveRow;
    line[0] = a.eventTime;
    line[1] = a.topic;
    line[2] = a.partition;
    line[3] = a.offset;
    line[4] = a.late ? 1 : 0;
    line[5] = ingestedAt;
    for (let i = 0; i < nf; i++) line[6 + i] = a.row[fields[i] as string] ?? null;
    out.text(JSON.stringify(line));
    out.byte(NEWLINE);
  }
  return out.finish();
}

/** The column list of `encodeEventsCompact` rows. */
export function eventsInsertColumns(source: SourceIR): string {
  return [
    quoteIdent(EVENT_TIME_COLUMN),
    ...ARCHIVE_COLUMNS.map(quoteIdent),
    ...source.schema.map((f) => quoteIdent(f.name)),
  ].join(', ');
}
