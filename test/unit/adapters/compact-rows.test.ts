import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureValue } from '../../../src/core/aggregation/aggregator.js';
import type { HistoryRow } from '../../../src/core/windowing/partition-runtime.js';
import {
  encodeEventsCompact,
  encodeHistoryCompact,
  eventsInsertColumns,
  historyInsertColumns,
} from '../../../src/adapters/clickhouse/compact-rows.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { entity, featureView, field, source } from '../../../src/index.js';

const utf8 = new TextDecoder();
/** The encoders' bytes as text (they write UTF-8). */
const historyText = (...args: Parameters<typeof encodeHistoryCompact>): string =>
  utf8.decode(encodeHistoryCompact(...args));
const eventsText = (...args: Parameters<typeof encodeEventsCompact>): string =>
  utf8.decode(encodeEventsCompact(...args));

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
    const text = historyText(
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
    expect(historyText(view, [], 1)).toBe('');
  });

  it('equals one JSON.stringify per row, also when rows of an entity share values', () => {
    const naive = (rows: readonly HistoryRow[], writtenAt: number): string =>
      rows
        .map((r) => {
          const [region = '', shop = ''] = r.key.split('|');
          return `${JSON.stringify([region, Number(shop), view.version, r.asOf, ...r.values, writtenAt])}\n`;
        })
        .join('');
    const value = fc.oneof(
      fc.constant(null),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0.1, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21),
    );
    const rowsArb = fc.array(
      fc.record({
        entity: fc.integer({ min: 0, max: 2 }),
        // Which of the previous row's values to reuse (the windowing reuses unchanged values).
        reuse: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        fresh: fc.tuple(
          value,
          value,
          // ASCII, escapes, UTF-8 of 2, 3 and 4 bytes, a lone surrogate (escaped by JSON).
          fc.constantFrom(null, 'x', 'y\n"z"', 'é', '日本\u{1F600}', '\ud800'),
          fc.array(value, { maxLength: 2 }),
        ),
      }),
      { maxLength: 30 },
    );
    // Event times of any sign and size (the encoder writes non-negative integers itself).
    const base = fc.oneof(
      fc.integer({ min: -5e12, max: 5e12 }),
      fc.constantFrom(0, 9, 10, Number.MAX_SAFE_INTEGER - 40, 1.5),
    );
    fc.assert(
      fc.property(rowsArb, base, (specs, t0) => {
        let prev: FeatureValue[] | undefined;
        const rows: HistoryRow[] = specs.map((spec, i) => {
          const fresh = spec.fresh.map((v) =>
            Array.isArray(v) ? v.filter((x) => x !== null) : v,
          ) as FeatureValue[];
          const values = fresh.map((v, j) =>
            prev !== undefined && spec.reuse[j] === true ? (prev[j] ?? null) : v,
          );
          prev = values;
          return { key: `r${spec.entity}|${spec.entity * 10}`, asOf: t0 + i, values };
        });
        expect(historyText(view, rows, 5)).toBe(rows.length === 0 ? '' : naive(rows, 5));
      }),
      { numRuns: 300 },
    );
  });

  it('writes one JSON array per archived event: time, coordinates, ingest time, fields', () => {
    const text = eventsText(
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
    expect(eventsText(view.source, [], 1)).toBe('');
  });
});
