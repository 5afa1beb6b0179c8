import { describe, expect, it } from 'vitest';
import {
  encodeHistoryCompact,
  historyInsertColumns,
} from '../../../src/adapters/clickhouse/history-encoding.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { entity, featureView, field, source } from '../../../src/index.js';

describe('encodeHistoryCompact (history rows encoded by worker threads)', () => {
  const store = entity('store', { keys: ['region', 'shop'] });
  const sales = source('enc_sales', {
    topic: 'enc_sales',
    schema: {
      region: field.string(),
      shop: field.long(),
      amount: field.double(),
      note: field.string().optional(),
      at: field.timestamp(),
    },
    eventTime: 'at',
    key: ['region', 'shop'],
  });
  const view = compileView(
    featureView('enc_view', {
      entity: store,
      source: sales,
      features: (f) => ({
        n: f.count().over('1m'),
        mean: f.mean('amount').over('1m'),
        note: f.last('note').lifetime(),
        recent: f.lastN('amount', 2).lifetime(),
      }),
    }),
  ).ir;

  it('writes one JSON array per row: keys (split, typed), version, as-of, values, written-at', () => {
    const text = encodeHistoryCompact(
      view,
      [
        { key: 'eu\\|west|42', asOf: 1_000, values: [3, 1.5, 'a "quoted"\nnote', [2.5, 1]] },
        { key: 'us|7', asOf: 2_000, values: [0, null, null, []] },
      ],
      99,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toEqual([
      'eu|west',
      42,
      view.version,
      1_000,
      3,
      1.5,
      'a "quoted"\nnote',
      [2.5, 1],
      99,
    ]);
    expect(JSON.parse(lines[1] ?? '')).toEqual([
      'us',
      7,
      view.version,
      2_000,
      0,
      null,
      null,
      [],
      99,
    ]);
    expect(historyInsertColumns(view)).toBe(
      '`region`, `shop`, `version`, `as_of`, `n`, `mean`, `note`, `recent`, `_written_at`',
    );
    expect(encodeHistoryCompact(view, [], 1)).toBe('');
  });
});
