import { describe, expect, it } from 'vitest';
import {
  encodeEventsCompact,
  encodeHistoryCompact,
  eventsInsertColumns,
  historyInsertColumns,
} from '../../../src/adapters/clickhouse/compact-rows.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { entity, featureView, field, source } from '../../../src/index.js';

describe('compact rows (history and archive rows encoded by worker threads)', () => {
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

  it('writes one JSON array per archived event: time, coordinates, ingest time, fields', () => {
    const text = encodeEventsCompact(
      view.source,
      [
        {
          row: { region: 'eu', shop: 42, amount: 2.5, note: 'tab\there', at: 1_500 },
          eventTime: 1_500,
          topic: 'enc_sales',
          partition: 3,
          offset: 17,
          late: false,
        },
        {
          row: { region: 'us', shop: 7, amount: 1, at: 900 },
          eventTime: 900,
          topic: 'enc_sales',
          partition: 3,
          offset: 18,
          late: true,
        },
      ],
      77,
    );
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      [1_500, 'enc_sales', 3, 17, 0, 77, 'eu', 42, 2.5, 'tab\there', 1_500],
      [900, 'enc_sales', 3, 18, 1, 77, 'us', 7, 1, null, 900],
    ]);
    expect(eventsInsertColumns(view.source)).toBe(
      '`event_time`, `_topic`, `_partition`, `_offset`, `_late`, `_ingested_at`, `region`, `shop`, `amount`, `note`, `at`',
    );
    expect(encodeEventsCompact(view.source, [], 1)).toBe('');
  });
});
