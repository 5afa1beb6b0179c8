import { ident, str } from './sql-text.js';
import { ROW_COLUMN } from './labels.js';

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
const KEY_HASH = '_fs_kh';
const HIT = '_fs_hit';
const MATCHED_AS_OF = '_fs_as_of';

/** In the message of the error a join raises when two entity keys share a key hash. */
export const KEY_HASH_COLLISION = 'featurestream: entity key hash collision';

/** How entity keys are compared inside the join: by a 64-bit hash (fast), or as themselves. */
export type KeyMatch = 'hash' | 'exact';

export interface PointInTimeOptions {
  /** Default 'hash'; on a KEY_HASH_COLLISION error, run again with 'exact'. */
  readonly keyMatch?: KeyMatch;
  /** The hash of key expressions (tests use a colliding one); default `cityHash64(…)`. */
  readonly keyHash?: (exprs: readonly string[]) => string;
}

const cityHash = (exprs: readonly string[]): string => `cityHash64(${exprs.join(', ')})`;

/** One expression, or a tuple of several. */
const tuple = (xs: readonly string[]): string =>
  xs.length === 1 ? (xs[0] ?? '') : `(${xs.join(', ')})`;

/**
 * The point-in-time join: for each label, every view's history row with the greatest
 * `as_of ≤ label time`, deduplicated (FINAL) and of the pinned version. A label before the
 * entity's first row gets the empty-window values: ClickHouse's defaults for unmatched rows with
 * join_use_nulls = 0 (0, '', [], false, and NULL for Nullable columns), or `empty` where the
 * feature says otherwise.
 *
 * Two joins per view, so the big side never holds the feature columns in memory:
 * 1. an ASOF LEFT JOIN of the labels with the history's keys and `as_of` only finds each label's
 *    matching `as_of` (NULL before the entity's first row);
 * 2. the history's feature columns (FINAL) stream through a RIGHT JOIN on (key, that `as_of`)
 *    whose hash table holds the labels.
 * Keys are compared by a 64-bit hash of the key columns (one fixed-width key instead of strings);
 * every matched row's real keys are checked against the label's, and a mismatch — two entities
 * sharing a hash — stops the query with KEY_HASH_COLLISION, so a hash can never produce a wrong
 * value (the caller then runs the exact-key form). The history side is narrowed to rows not
 * after the latest label (and to the labels' entities where `narrowToLabelKeys`). Views chain:
 * each join's output (labels and the features so far) is the next one's label side.
 * Output: `_row`, the label columns, then the features.
 */
export function pointInTimeSelect(
  labels: LabelsRef,
  joins: readonly HistoryJoin[],
  options: PointInTimeOptions = {},
): string {
  const exact = options.keyMatch === 'exact';
  const hash = options.keyHash ?? cityHash;
  const keyOf = (exprs: string[]): string => (exact ? tuple(exprs) : hash(exprs));
  const time = ident(labels.time);
  const maxTime = `(SELECT max(${time}) FROM ${labels.table})`;
  let carried = [ROW_COLUMN, ...labels.columns];
  let from = labels.table;
  joins.forEach((j, i) => {
    const h = `h${i}`;
    const m = `m${i}`;
    const hk = j.keys.map((k) => ident(k.history));
    const lk = j.keys.map((k) => ident(k.label));
    const where = `${ident('version')} = ${str(j.version)}
      ${
        j.narrowToLabelKeys === false
          ? ''
          : `AND ${tuple(hk)} IN (SELECT ${lk.join(', ')} FROM ${labels.table})
      `
      }AND ${ident('as_of')} <= ${maxTime}`;
    const matches = `(
    SELECT c.*, if(f.${HIT} = 1, f.${ident('as_of')}, NULL) AS ${MATCHED_AS_OF}
    FROM (SELECT *, ${keyOf(lk)} AS ${KEY_HASH} FROM ${from}) AS c
    ASOF LEFT JOIN (
      SELECT ${keyOf(hk)} AS ${KEY_HASH}, ${ident('as_of')}, toUInt8(1) AS ${HIT}
      FROM ${j.table}
      WHERE ${where}
    ) AS f ON c.${KEY_HASH} = f.${KEY_HASH} AND c.${time} >= f.${ident('as_of')}
  )`;
    const select = carried.map((c) => `${m}.${ident(c)} AS ${ident(c)}`);
    for (const f of j.features) {
      const col = `${h}.${ident(f.column)}`;
      select.push(
        `${f.empty === undefined ? col : `if(${h}.${MATCHED} = 1, ${col}, ${f.empty})`} AS ${ident(f.as)}`,
      );
    }
    const keysDiffer = j.keys
      .map((k) => `${h}.${ident(k.history)} != ${m}.${ident(k.label)}`)
      .join(' OR ');
    from = `(
  SELECT ${select.join(',\n    ')}
  FROM (
    SELECT ${[...hk, ident('as_of'), `${keyOf(hk)} AS ${KEY_HASH}`, `toUInt8(1) AS ${MATCHED}`, ...j.features.map((f) => ident(f.column))].join(', ')}
    FROM ${j.table} FINAL
    WHERE ${where}
  ) AS ${h}
  RIGHT JOIN ${matches} AS ${m}
  ON ${h}.${KEY_HASH} = ${m}.${KEY_HASH} AND ${h}.${ident('as_of')} = ${m}.${MATCHED_AS_OF}${
    exact
      ? ''
      : `
  WHERE throwIf(${h}.${MATCHED} = 1 AND (${keysDiffer}), ${str(KEY_HASH_COLLISION)}) = 0`
  }
)`;
    carried = [...carried, ...j.features.map((f) => f.as)];
  });
  return `SELECT ${carried.map(ident).join(', ')}
FROM ${from}
SETTINGS join_use_nulls = 0`;
}
