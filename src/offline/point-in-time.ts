import { ident, str } from './sql-text.js';

/** One view version joined to the labels. */
export interface HistoryJoin {
  /** Qualified `features_{view}` table. */
  readonly table: string;
  readonly version: string;
  /**
   * Filter the history to the labels' entities first (`keys IN (SELECT … FROM labels)`). Worth it
   * when the labels touch a small part of the history; when they cover much of it, the
   * membership test costs more than it saves (default true).
   */
  readonly narrowToLabelKeys?: boolean;
  /** Label column ↔ history key column, for each entity key of the view. */
  readonly keys: readonly { readonly label: string; readonly history: string }[];
  /**
   * Feature columns and their output names; `empty` is a SQL expression for labels before the
   * entity's first row, when ClickHouse's default for the column type is not the empty value.
   */
  readonly features: readonly {
    readonly column: string;
    readonly as: string;
    readonly empty?: string;
  }[];
}

export interface LabelsRef {
  /** Qualified typed labels table with `_row`. */
  readonly table: string;
  /** Label columns copied to the output, in order. */
  readonly columns: readonly string[];
  /** The label time column (DateTime64(3, 'UTC')). */
  readonly time: string;
}

const MATCHED = '_fs_matched';

/**
 * The point-in-time join: for each label, every view's history row with the greatest
 * `as_of ≤ label time` (ASOF LEFT JOIN on the entity keys), deduplicated with FINAL and filtered to
 * the pinned version. A label before the entity's first row gets the empty-window values:
 * ClickHouse's defaults for unmatched rows with join_use_nulls = 0 (0, '', [], false, and NULL for
 * Nullable columns), or `empty` where the feature says otherwise. The history side is narrowed to
 * the labels' entities and to rows not after the latest label, so only rows that can match are
 * read into the join (the entity filter only where `narrowToLabelKeys`). Output: `_row`, the label columns, then the features.
 */
export function pointInTimeSelect(labels: LabelsRef, joins: readonly HistoryJoin[]): string {
  const l = 'l';
  const select = [
    `${l}.${ident('_row')} AS ${ident('_row')}`,
    ...labels.columns.map((c) => `${l}.${ident(c)} AS ${ident(c)}`),
  ];
  const from = [`${labels.table} AS ${l}`];
  joins.forEach((j, i) => {
    const a = `f${i}`;
    const needsMatch = j.features.some((f) => f.empty !== undefined);
    for (const f of j.features) {
      const col = `${a}.${ident(f.column)}`;
      select.push(
        `${f.empty === undefined ? col : `if(${a}.${MATCHED} = 1, ${col}, ${f.empty})`} AS ${ident(f.as)}`,
      );
    }
    const hk = j.keys.map((k) => ident(k.history));
    const lk = j.keys.map((k) => ident(k.label));
    const tuple = (xs: string[]): string =>
      xs.length === 1 ? (xs[0] ?? '') : `(${xs.join(', ')})`;
    const cols = [
      ...hk,
      ident('as_of'),
      ...(needsMatch ? [`toUInt8(1) AS ${MATCHED}`] : []),
      ...j.features.map((f) => ident(f.column)),
    ];
    from.push(`ASOF LEFT JOIN (
  SELECT ${cols.join(', ')}
  FROM ${j.table} FINAL
  WHERE ${ident('version')} = ${str(j.version)}
    ${
      j.narrowToLabelKeys === false
        ? ''
        : `AND ${tuple(hk)} IN (SELECT ${lk.join(', ')} FROM ${labels.table})
    `
    }AND ${ident('as_of')} <= (SELECT max(${ident(labels.time)}) FROM ${labels.table})
) AS ${a} ON ${j.keys.map((k) => `${l}.${ident(k.label)} = ${a}.${ident(k.history)}`).join(' AND ')} AND ${l}.${ident(labels.time)} >= ${a}.${ident('as_of')}`);
  });
  return `SELECT ${select.join(',\n  ')}
FROM ${from.join('\n')}
SETTINGS join_use_nulls = 0`;
}
