import { describe, expect, it } from 'vitest';
import {
  COMPACT_ROWS_FORMAT,
  encodeEventsCompact,
  encodeHistoryCompact,
} from '../../../src/adapters/clickhouse/compact-rows.js';
import { JsonCodec } from '../../../src/adapters/json/json-codec.js';
import { compileView } from '../../../src/core/topology/compile.js';
import type { BatchOutput } from '../../../src/engine/source-processor.js';
import { WorkerService } from '../../../src/engine/worker-service.js';
import type { WorkerRequest } from '../../../src/engine/worker-protocol.js';
import { entity, featureView, field, source } from '../../../src/index.js';

const view = compileView(
  featureView('ws_view', {
    entity: entity('acct', { keys: ['acct'] }),
    source: source('ws_src', {
      topic: 'ws_topic',
      schema: { acct: field.string(), amount: field.double(), ts: field.timestamp() },
      eventTime: 'ts',
      key: ['acct'],
    }),
    allowedLateness: '0s',
    features: (f) => ({ n: f.count().over('10s'), total: f.sum('amount').lifetime() }),
  }),
);
const T0 = Date.UTC(2025, 0, 1, 12);
const NOW = T0 + 60_000;
const enc = new TextEncoder();
const records = [0, 1_500, 3_000, 12_000, 30_000].map((dt, i) => ({
  offset: i,
  key: null,
  value: enc.encode(JSON.stringify({ acct: `a${i % 2}`, amount: i + 0.5, ts: T0 + dt })),
  timestamp: T0 + dt,
}));
const encoders = {
  format: COMPACT_ROWS_FORMAT,
  history: encodeHistoryCompact,
  events: encodeEventsCompact,
};

async function runBatch(encodeOffline: string | undefined): Promise<BatchOutput> {
  const service = new WorkerService(
    () => Promise.resolve([view]),
    (src) => new JsonCodec(src.schema),
    encoders,
  );
  const send = async (req: WorkerRequest): Promise<unknown> => {
    const reply = await service.handle(req);
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.value;
  };
  await send({
    type: 'init',
    id: 1,
    files: [],
    bounds: { minEventTime: 0, maxFutureMs: 86_400_000 },
    ...(encodeOffline === undefined ? {} : { encodeOffline }),
  });
  return (await send({
    type: 'batch',
    id: 2,
    topic: 'ws_topic',
    partition: 0,
    records,
    nowMs: NOW,
  })) as BatchOutput;
}

describe('WorkerService: offline rows encoded in the worker', () => {
  it('returns archive and history rows as the store text, equal to encoding the objects', async () => {
    const plain = await runBatch(undefined);
    expect(plain.encoded).toBeUndefined();
    expect(plain.archive).toHaveLength(5);
    // One clock per batch: what events were judged against is their ingest and write time.
    expect(plain.nowMs).toBe(NOW);
    const rows = plain.views[0]?.rows ?? [];
    expect(rows.length).toBeGreaterThan(0);

    const out = await runBatch(COMPACT_ROWS_FORMAT);
    expect(out.archive).toEqual([]);
    expect(out.views[0]?.rows).toEqual([]);
    // Online writes are unchanged: only the offline rows travel as text.
    expect(out.views[0]?.writes.map((w) => [w.key, w.asOf, w.values])).toEqual(
      plain.views[0]?.writes.map((w) => [w.key, w.asOf, w.values]),
    );
    expect(out.encoded).toEqual({
      archive: encodeEventsCompact(view.ir.source, plain.archive, NOW),
      archiveRows: 5,
      history: [encodeHistoryCompact(view.ir, rows, NOW)],
      historyRows: [rows.length],
    });
  });

  it('keeps objects when the store asks for a format its encoders do not write', async () => {
    const out = await runBatch('some/other-format');
    expect(out.encoded).toBeUndefined();
    expect(out.archive).toHaveLength(5);
  });
});
