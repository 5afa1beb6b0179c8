import { describe, expect, it } from 'vitest';
import { composeObservers } from '../../../src/engine/engine-events.js';
import type { EngineObserver } from '../../../src/engine/engine-events.js';
import { EngineMetrics, METRICS } from '../../../src/observability/metrics.js';

interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the Prometheus text exposition (no escaped quotes in our label values). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g))
      labels[k ?? ''] = v ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the sample `name` with exactly `labels`, or undefined when absent. */
function value(
  samples: readonly Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels).sort();
  return samples.find(
    (s) =>
      s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(want),
  )?.value;
}

const T0 = 1_700_000_000_000; // a whole second

function batch(over: Partial<Parameters<NonNullable<EngineObserver['batch']>>[0]> = {}) {
  return {
    topic: 'tx',
    partition: 0,
    counters: {
      records: 10,
      applied: 7,
      late: 1,
      replayed: 0,
      filtered: 1,
      dead: { schema_violation: 1 },
    },
    maxEventTime: T0 - 2_000,
    nextOffset: 10,
    highWatermark: 25,
    historyRows: 4,
    entityWrites: 2,
    entitiesInMemory: 120,
    processMs: 500,
    ...over,
  };
}

describe('EngineMetrics', () => {
  it('turns observer events into the documented metrics', async () => {
    let now = T0;
    const m = new EngineMetrics({ workers: 2, now: () => now });
    const o = m.observer;
    now = T0 + 1_000;
    o.batch?.(batch({ maxEventTime: T0 - 1_000 }));
    o.batch?.(
      batch({
        partition: 1,
        counters: {
          records: 5,
          applied: 3,
          late: 0,
          replayed: 2,
          filtered: 0,
          dead: { schema_violation: 2, missing_key: 1 },
        },
        nextOffset: 100,
        highWatermark: 100,
        maxEventTime: T0 - 5_000,
        entitiesInMemory: 7,
        processMs: 300,
      }),
    );
    o.flush?.({ sink: 'online', ms: 12, items: 2 });
    o.flush?.({ sink: 'history', ms: 1_500, items: 4 });
    o.written?.({
      view: 'card_fraud',
      key: 'a',
      asOf: T0 + 960,
      values: [],
      writtenAt: T0 + 1_000,
    });
    o.written?.({
      view: 'card_fraud',
      key: 'b',
      asOf: T0 - 9_000,
      values: [],
      writtenAt: T0 + 1_000,
    });
    o.written?.({ view: 'customer', key: 'c', asOf: T0 + 999, values: [], writtenAt: T0 + 1_000 });
    o.sinkRetry?.({ sink: 'history', attempt: 0, waitMs: 100, error: 'down' });
    o.workerRestart?.({ index: 1, exitCode: 1 });
    now = T0 + 2_000;

    const s = parse(await m.metrics());
    expect(value(s, METRICS.records, { topic: 'tx' })).toBe(15);
    expect(value(s, METRICS.events, { topic: 'tx', outcome: 'applied' })).toBe(10);
    expect(value(s, METRICS.events, { topic: 'tx', outcome: 'late' })).toBe(1);
    expect(value(s, METRICS.events, { topic: 'tx', outcome: 'replayed' })).toBe(2);
    expect(value(s, METRICS.events, { topic: 'tx', outcome: 'filtered' })).toBe(1);
    expect(value(s, METRICS.events, { topic: 'tx', outcome: 'dead_lettered' })).toBe(4);
    expect(value(s, METRICS.deadLetters, { topic: 'tx', reason: 'schema_violation' })).toBe(3);
    expect(value(s, METRICS.deadLetters, { topic: 'tx', reason: 'missing_key' })).toBe(1);
    expect(value(s, METRICS.consumerLag, { topic: 'tx', partition: '0' })).toBe(15);
    expect(value(s, METRICS.consumerLag, { topic: 'tx', partition: '1' })).toBe(0);
    expect(value(s, METRICS.entitiesInMemory, { topic: 'tx', partition: '0' })).toBe(120);
    expect(value(s, METRICS.entitiesInMemory, { topic: 'tx', partition: '1' })).toBe(7);
    // wall clock (T0 + 2 s) minus the newest event time processed
    expect(value(s, METRICS.eventTimeLag, { topic: 'tx', partition: '0' })).toBe(3);
    expect(value(s, METRICS.eventTimeLag, { topic: 'tx', partition: '1' })).toBe(7);
    expect(value(s, `${METRICS.flush}_count`, { sink: 'online' })).toBe(1);
    expect(value(s, `${METRICS.flush}_sum`, { sink: 'online' })).toBeCloseTo(0.012, 9);
    expect(value(s, `${METRICS.flush}_bucket`, { sink: 'history', le: '1' })).toBe(0);
    expect(value(s, `${METRICS.flush}_bucket`, { sink: 'history', le: '2.5' })).toBe(1);
    expect(value(s, `${METRICS.flush}_count`, { sink: 'archive' })).toBe(0);
    expect(value(s, `${METRICS.freshness}_count`)).toBe(3);
    expect(value(s, `${METRICS.freshness}_bucket`, { le: '0.001' })).toBe(1); // 1 ms
    expect(value(s, `${METRICS.freshness}_bucket`, { le: '0.025' })).toBe(1);
    expect(value(s, `${METRICS.freshness}_bucket`, { le: '0.05' })).toBe(2); // 40 ms
    expect(value(s, `${METRICS.freshness}_bucket`, { le: '10' })).toBe(3); // 10 s
    expect(value(s, `${METRICS.freshness}_bucket`, { le: '5' })).toBe(2);
    expect(value(s, `${METRICS.freshness}_sum`)).toBeCloseTo(10.041, 9);
    // 800 ms of batch processing in 2 s of wall time on 2 workers
    expect(value(s, METRICS.workerBusyRatio)).toBeCloseTo(0.2, 9);
    expect(value(s, METRICS.workerBusySeconds)).toBeCloseTo(0.8, 9);
    expect(value(s, METRICS.workerRestarts)).toBe(1);
    expect(value(s, METRICS.sinkRetries, { sink: 'history' })).toBe(1);
    expect(value(s, METRICS.sinkRetries, { sink: 'online' })).toBe(0);
    expect(value(s, METRICS.historyRows, { topic: 'tx' })).toBe(8);
    expect(value(s, METRICS.entityWrites, { view: 'card_fraud' })).toBe(2);
    expect(value(s, METRICS.entityWrites, { view: 'customer' })).toBe(1);
    // default process metrics, with the prefix
    expect(s.some((x) => x.name === 'featurestream_process_cpu_seconds_total')).toBe(true);
    expect(s.some((x) => x.name.startsWith('featurestream_nodejs_'))).toBe(true);
    // every metric of the engine is named with the prefix
    for (const name of Object.values(METRICS)) expect(name).toMatch(/^featurestream_[a-z_]+$/);
  });

  it('lets the event-time lag grow while a partition is idle and the busy ratio decay', async () => {
    let now = T0;
    const m = new EngineMetrics({ workers: 1, now: () => now, defaultMetrics: false });
    now = T0 + 500;
    m.observer.batch?.(batch({ maxEventTime: T0, processMs: 1_000 }));
    now = T0 + 1_000;
    expect(m.busyRatio()).toBe(1); // 1 s busy in the first second: capped at 1
    now = T0 + 60_000;
    const s = parse(await m.metrics());
    expect(value(s, METRICS.eventTimeLag, { topic: 'tx', partition: '0' })).toBe(60);
    expect(value(s, METRICS.workerBusyRatio)).toBe(0);
    // an empty batch (nextOffset -1) leaves the lag and the event time alone
    m.observer.batch?.(batch({ nextOffset: -1, maxEventTime: -Infinity }));
    const s2 = parse(await m.metrics());
    expect(value(s2, METRICS.consumerLag, { topic: 'tx', partition: '0' })).toBe(15);
    expect(value(s2, METRICS.eventTimeLag, { topic: 'tx', partition: '0' })).toBe(60);
    // a revoked partition's series disappear
    m.observer.revoked?.({ topic: 'tx', partition: 0 });
    const s3 = parse(await m.metrics());
    expect(value(s3, METRICS.consumerLag, { topic: 'tx', partition: '0' })).toBeUndefined();
    expect(value(s3, METRICS.eventTimeLag, { topic: 'tx', partition: '0' })).toBeUndefined();
    expect(value(s3, METRICS.entitiesInMemory, { topic: 'tx', partition: '0' })).toBeUndefined();
  });

  it('serves /metrics and /healthz over HTTP on a free port', async () => {
    const m = new EngineMetrics({ workers: 1 });
    m.observer.batch?.(batch());
    const server = await m.serve(0, '127.0.0.1');
    try {
      expect(server.port).toBeGreaterThan(0);
      const base = `http://127.0.0.1:${server.port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const s = parse(await res.text());
      expect(value(s, METRICS.records, { topic: 'tx' })).toBe(10);
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect((await health.text()).trim()).toBe('ok');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('fails to serve on a port in use', async () => {
    const a = new EngineMetrics({ workers: 1, defaultMetrics: false });
    const server = await a.serve(0, '127.0.0.1');
    try {
      const b = new EngineMetrics({ workers: 1, defaultMetrics: false });
      await expect(b.serve(server.port, '127.0.0.1')).rejects.toMatchObject({
        code: 'EADDRINUSE',
      });
    } finally {
      await server.close();
    }
  });
});

describe('composeObservers', () => {
  it('forwards each event to every observer, isolating one that throws', () => {
    const seen: string[] = [];
    const a: EngineObserver = {
      batch: () => {
        throw new Error('boom');
      },
      workerRestart: (e) => seen.push(`a:${e.index}`),
    };
    const b: EngineObserver = {
      batch: (e) => seen.push(`b:${e.topic}`),
      workerRestart: (e) => seen.push(`b:${e.index}`),
    };
    const o = composeObservers(a, undefined, b);
    o.batch?.(batch());
    o.workerRestart?.({ index: 3, exitCode: 1 });
    expect(seen).toEqual(['b:tx', 'a:3', 'b:3']);
    // nobody listens to `written`: the composite does not either (the pipeline skips the work)
    expect(o.written).toBeUndefined();
    expect(composeObservers()).toEqual({});
  });
});
