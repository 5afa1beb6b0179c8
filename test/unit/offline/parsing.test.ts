import { describe, expect, it } from 'vitest';
import {
  normalizeStatement,
  returnsRows,
  formatTable,
} from '../../../src/offline/analyst-query.js';
import { parseCsvRecord } from '../../../src/offline/csv-header.js';
import { parseLabelSource } from '../../../src/offline/labels.js';
import { parseOutputTarget } from '../../../src/offline/output.js';
import { isJoinDefault, qualified, str, valueLiteral } from '../../../src/offline/sql-text.js';

describe('offline argument and text parsing', () => {
  it('labels and outputs: files by extension, tables by name', () => {
    expect(parseLabelSource('labels.csv')).toEqual({ kind: 'csv', path: 'labels.csv' });
    expect(parseLabelSource('/x/L.PARQUET')).toEqual({ kind: 'parquet', path: '/x/L.PARQUET' });
    expect(parseLabelSource('db.labels')).toEqual({ kind: 'table', table: 'db.labels' });
    expect(() => parseLabelSource('dir/labels.json')).toThrow(
      /neither a table name nor a \.csv or \.parquet file/,
    );
    expect(parseOutputTarget('out.parquet')).toEqual({
      kind: 'file',
      path: 'out.parquet',
      format: 'Parquet',
    });
    expect(parseOutputTarget('out.csv')).toEqual({
      kind: 'file',
      path: 'out.csv',
      format: 'CSVWithNames',
    });
    expect(parseOutputTarget('training_2025')).toEqual({ kind: 'table', table: 'training_2025' });
    expect(() => parseOutputTarget('a.b.c')).toThrow(/--out 'a\.b\.c'/);
  });

  it('CSV records with quotes', () => {
    expect(parseCsvRecord('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });

  it('statements: rows or not, trailing semicolons', () => {
    expect(returnsRows('  -- latest\nSELECT 1')).toBe(true);
    expect(returnsRows('WITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(returnsRows('show tables')).toBe(true);
    expect(returnsRows('CREATE TABLE t (a Int8) ENGINE = Memory')).toBe(false);
    expect(normalizeStatement(' SELECT 1;; ')).toBe('SELECT 1');
  });

  it('tables: aligned columns, NULL, JSON arrays, a row count and a cut-off', () => {
    const r = {
      columns: [
        { name: 'card_id', type: 'String' },
        { name: 'n', type: 'UInt64' },
        { name: 'xs', type: 'Array(Int64)' },
      ],
      rows: [
        ['c-1', 12, [1, 2]],
        ['card-0002', null, []],
      ],
    };
    expect(formatTable(r, 10).split('\n')).toEqual([
      'card_id       n  xs',
      '─────────  ────  ─────',
      'c-1          12  [1,2]',
      'card-0002  NULL  []',
      '(2 rows)',
      '',
    ]);
    expect(formatTable(r, 1)).toMatch(
      /… 1 more row\(s\) not shown \(2 in total; --format csv prints all\)\n$/,
    );
  });

  it('SQL literals', () => {
    expect(str("it's \\")).toBe("'it\\'s \\\\'");
    expect(qualified('fs', 'labels')).toBe('`fs`.`labels`');
    expect(qualified('fs', 'other.labels')).toBe('`other`.`labels`');
    const f = { base: 'float64', list: false, nullable: true } as const;
    expect(valueLiteral(1, f, 'Nullable(Float64)')).toBe('CAST(1 AS Nullable(Float64))');
    expect(valueLiteral(null, f, 'Nullable(Float64)')).toBe('CAST(NULL AS Nullable(Float64))');
    expect(
      valueLiteral(['a'], { base: 'string', list: true, nullable: false }, 'Array(String)'),
    ).toBe("CAST(['a'] AS Array(String))");
    expect(
      valueLiteral(
        5,
        { base: 'timestamp', list: false, nullable: true },
        "Nullable(DateTime64(3, 'UTC'))",
      ),
    ).toBe("CAST(fromUnixTimestamp64Milli(toInt64(5), 'UTC') AS Nullable(DateTime64(3, 'UTC')))");
    expect(isJoinDefault(null, f)).toBe(true);
    expect(isJoinDefault(1, f)).toBe(false);
    expect(isJoinDefault(0, { base: 'int64', list: false, nullable: false })).toBe(true);
    expect(isJoinDefault([], { base: 'string', list: true, nullable: false })).toBe(true);
  });
});
