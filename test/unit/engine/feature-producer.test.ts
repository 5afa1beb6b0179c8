import { describe, expect, it } from 'vitest';
import { AvroCodec } from '../../../src/adapters/avro/avro-codec.js';
import { codecFor } from '../../../src/adapters/codecs.js';
import { MemoryEventProducer, MemoryLog } from '../../../src/adapters/memory/memory-log.js';
import { compileView } from '../../../src/core/topology/compile.js';
import { splitKey } from '../../../src/core/topology/event-reader.js';
import { FeatureProducer } from '../../../src/engine/feature-producer.js';
import { entity, featureView, field, source } from '../../../src/index.js';

const NOW = Date.UTC(2026, 0, 1);

function setup(format: 'json' | 'avro') {
  const store = entity('store', { keys: ['region', 'shop'] });
  const sales = source('sales', {
    topic: `sales_${format}`,
    format,
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
    featureView('store_sales', {
      entity: store,
      source: sales,
      features: (f) => ({ n: f.count().over('1m') }),
    }),
  );
  const log = new MemoryLog(4);
  const codec = codecFor(view.ir.source);
  const fp = new FeatureProducer(view.ir.source, codec, new MemoryEventProducer(log), {
    view,
    bounds: { minEventTime: Date.UTC(2000, 0, 1), maxFutureMs: 60_000 },
    now: () => NOW,
  });
  return { fp, log, codec, topic: view.ir.source.topic };
}

describe('FeatureProducer', () => {
  it('validates, keys (composite keys joined like entity keys) and sends in order', async () => {
    const { fp, log, codec, topic } = setup('json');
    const { sent, rejected } = await fp.send([
      { region: 'eu|west', shop: 7, amount: 1.5, at: NOW - 1_000 },
      { region: 'eu', shop: 7, amount: 'x', at: NOW },
      { region: '', shop: 7, amount: 1, at: NOW },
      'not an object',
      { region: 'us', shop: 1, amount: 2, at: new Date(NOW - 5).toISOString(), extra: true },
      { region: 'us', shop: 1, amount: 3, at: Date.UTC(1999, 0, 1) },
      { region: 'us', shop: 1, amount: 4, at: NOW + 120_000 },
    ]);
    expect(sent).toBe(2);
    expect(rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'schema_violation'],
      [2, 'missing_key'],
      [3, 'schema_violation'],
      [5, 'absurd_timestamp'],
      [6, 'absurd_timestamp'],
    ]);
    expect(rejected[0]?.detail).toMatch(/field 'amount' should be a double/);
    const records = log.log(topic).flat();
    expect(records).toHaveLength(2);
    const keys = records.map((r) => new TextDecoder().decode(r.key ?? new Uint8Array()));
    expect(keys.sort()).toEqual(['eu\\|west|7', 'us|1']);
    expect(splitKey('eu\\|west|7', 2)).toEqual(['eu|west', '7']);
    const rows = records.map((r) => {
      const d = codec.decode(r.value ?? new Uint8Array());
      if (!d.ok) throw new Error(d.detail);
      return d.row;
    });
    expect(rows).toContainEqual({ region: 'us', shop: 1, amount: 2, note: null, at: NOW - 5 });
  });

  it('frames Avro in the Confluent wire format', () => {
    const { fp } = setup('avro');
    const r = fp.encode({ region: 'eu', shop: 7, amount: 1.5, note: 'hi', at: NOW });
    if (!r.ok) throw new Error(r.detail);
    const buf = Buffer.from(r.record.value);
    expect(buf[0]).toBe(0);
    expect(buf.readUInt32BE(1)).toBe(1);
    const avro = new AvroCodec('sales', setup('avro').fp.source.schema);
    expect(avro.decode(r.record.value)).toEqual({
      ok: true,
      row: { region: 'eu', shop: 7, amount: 1.5, note: 'hi', at: NOW },
    });
  });
});
