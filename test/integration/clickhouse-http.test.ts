import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseHistoryStore } from '../../src/adapters/clickhouse/clickhouse-history-store.js';
import { startEmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import type { EmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import type { FeatureIR, ValueTypeIR, ViewIR } from '../../src/core/topology/ir.js';
import type { HistoryRow } from '../../src/core/windowing/partition-runtime.js';
import type { ArchiveRow, SourceIR } from '../../src/ports/history-store.js';
import { retryForever, sleep } from '../../src/engine/retry.js';
import { tempDir } from '../support/e2e.js';

/**
 * The ClickHouse HTTP test fixture (src/adapters/clickhouse/embedded-http-server.ts): the same
 * history-store conformance checks pass against the embedded engine directly and through the
 * fixture; failure injection; two processes writing through one fixture.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const STORE_MODULE = join(REPO, 'src', 'adapters', 'clickhouse', 'clickhouse-history-store.ts');

// ---------------------------------------------------------------------------------------------
// The topology under test, written as IR: one string key, every value column type.

const SOURCE: SourceIR = {
  name: 'conf_src',
  topic: 'conf',
  format: 'json',
  schema: [
    { name: 'card_id', type: 'string', nullable: false },
    { name: 'amount', type: 'double', nullable: false },
    { name: 'country', type: 'string', nullable: true },
    { name: 'n', type: 'long', nullable: false },
    { name: 'ok', type: 'boolean', nullable: false },
    { name: 'ts', type: 'timestamp', nullable: false },
  ],
  eventTime: { field: 'ts' },
  key: ['card_id'],
};

const vt = (base: ValueTypeIR['base'], nullable: boolean, list = false): ValueTypeIR => ({
  base,
  nullable,
  list,
});

const feature = (
  name: string,
  op: FeatureIR['op'],
  field: string | null,
  valueType: ValueTypeIR,
): FeatureIR => ({
  name,
  op,
  field,
  params: op === 'lastN' ? { n: 3 } : {},
  window: { kind: 'lifetime' },
  map: null,
  valueType,
});

const FEATURES_V1: FeatureIR[] = [
  feature('txn_count', 'count', null, vt('int64', false)), // Int64
  feature('amount_mean', 'mean', 'amount', vt('float64', true)), // Nullable(Float64)
  feature('last_country', 'last', 'country', vt('string', false)), // String
  feature('last_ok', 'last', 'ok', vt('boolean', false)), // Bool
  feature('last_seen', 'last', 'ts', vt('timestamp', true)), // Nullable(DateTime64(3))
  feature('recent_countries', 'lastN', 'country', vt('string', false, true)), // Array(String)
];

function view(version: string, features: readonly FeatureIR[]): ViewIR {
  return {
    irVersion: 1,
    name: 'conf_view',
    version,
    entity: { name: 'card', keys: ['card_id'] },
    source: SOURCE,
    filter: null,
    derive: [],
    features,
    allowedLatenessMs: 0,
    idleTimeoutMs: 0,
    onlineTtlMs: 0,
    metadata: { owner: null, description: null, tags: [] },
  };
}

const V1 = view('c0nf00000001', FEATURES_V1);
/** A new version adds a feature: its column is added by ALTER. */
const V2 = view('c0nf00000002', [
  ...FEATURES_V1,
  feature('amount_max', 'max', 'amount', vt('float64', true)),
]);
/** A version that changes an existing feature's type must be refused. */
const V3 = view('c0nf00000003', [feature('txn_count', 'mean', 'amount', vt('float64', true))]);

const T = Date.UTC(2025, 0, 1, 12, 0, 0, 123);
/** Quotes, backslash, tab and newline: escaping must survive every hop. */
const TRICKY = "o'brien\t\\x\n1";

const HISTORY: HistoryRow[] = [
  { key: 'card-b', asOf: T + 1_000, values: [1, 12.5, 'GB', true, T + 1_000, ['GB']] },
  { key: 'card-a', asOf: T + 5, values: [2, 0.30000000000000004, 'DE', true, T + 5, ['DE', 'US']] },
  { key: 'card-a', asOf: T, values: [1, null, 'US', false, null, []] },
  {
    key: TRICKY,
    asOf: T + 2,
    values: [Number.MAX_SAFE_INTEGER, -0.5, 'it\'s "q"\n', false, T + 2, ["a'b", 'c\\d', '']],
  },
];
const byKeyThenTime = (a: HistoryRow, b: HistoryRow): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : a.asOf - b.asOf;

const EVENTS: ArchiveRow[] = [
  { key: 'card-a', amount: 7.25, country: 'US', n: 1, ok: false, t: T },
  { key: 'card-b', amount: 12.5, country: null, n: 2 ** 40, ok: true, t: T + 1_000 },
  { key: TRICKY, amount: -0.5, country: "it's", n: -3, ok: true, t: T + 2 },
].map((e, i) => ({
  row: { card_id: e.key, amount: e.amount, country: e.country, n: e.n, ok: e.ok, ts: e.t },
  eventTime: e.t,
  topic: 'conf',
  partition: 0,
  offset: i,
  late: i === 2,
}));

// ---------------------------------------------------------------------------------------------

/**
 * The history-store checks, run against any ClickHouse the store can open: `open` returns a
 * fresh store on the same target each time. Closes every store it opens.
 */
async function historyStoreConformance(
  open: () => Promise<ClickHouseHistoryStore>,
  db: string,
): Promise<void> {
  const store = await open();
  try {
    // Tables: created once; ensure* is idempotent within a store and across stores.
    await store.ensureSource(SOURCE);
    await store.ensureSource(SOURCE);
    await store.ensureView(V1);
    await store.ensureView(V1);
    const columns = (): Promise<{ name: string; type: string }[]> =>
      store.query(
        'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
        { db, t: 'features_conf_view' },
      );
    const v1Columns = await columns();
    expect(v1Columns).toEqual([
      { name: 'card_id', type: 'String' },
      { name: 'version', type: 'LowCardinality(String)' },
      { name: 'as_of', type: "DateTime64(3, 'UTC')" },
      { name: 'txn_count', type: 'Int64' },
      { name: 'amount_mean', type: 'Nullable(Float64)' },
      { name: 'last_country', type: 'String' },
      { name: 'last_ok', type: 'Bool' },
      { name: 'last_seen', type: "Nullable(DateTime64(3, 'UTC'))" },
      { name: 'recent_countries', type: 'Array(String)' },
      { name: '_written_at', type: "DateTime64(3, 'UTC')" },
    ]);
    const again = await open();
    try {
      await again.ensureSource(SOURCE);
      await again.ensureView(V1);
    } finally {
      await again.close();
    }
    expect(await columns()).toEqual(v1Columns);

    // Archive: appended, replayed, collapsed by FINAL; types and escaping intact.
    const ingestedAt = T + 60_000;
    await store.appendEvents(SOURCE, EVENTS, ingestedAt);
    await store.appendEvents(SOURCE, EVENTS, ingestedAt + 1);
    const archived = await store.query<Record<string, unknown>>(
      `SELECT card_id, amount, country, n, ok, toUnixTimestamp64Milli(ts) AS ts,
              toUnixTimestamp64Milli(event_time) AS et, _topic, _partition, _offset, _late,
              toUnixTimestamp64Milli(_ingested_at) AS ing
       FROM ${db}.events_conf_src FINAL ORDER BY _offset`,
    );
    expect(
      archived.map((r) => ({
        ...r,
        n: Number(r.n),
        ts: Number(r.ts),
        et: Number(r.et),
        _offset: Number(r._offset),
        ing: Number(r.ing),
      })),
    ).toEqual(
      EVENTS.map((e) => ({
        ...e.row,
        et: e.eventTime,
        _topic: e.topic,
        _partition: e.partition,
        _offset: e.offset,
        _late: e.late ? 1 : 0,
        ing: ingestedAt + 1,
      })),
    );

    // History: a batch and its replay (later write time) collapse to one row each.
    await store.appendHistory(V1, HISTORY, T + 10_000);
    await store.appendHistory(V1, HISTORY, T + 20_000);
    const expected = [...HISTORY].sort(byKeyThenTime);
    expect(await store.readHistory(V1)).toEqual(expected);
    expect(await store.readHistory(V1, { keys: [TRICKY, 'card-b'] })).toEqual(
      expected.filter((r) => r.key === TRICKY || r.key === 'card-b'),
    );
    const [finalCount] = await store.query<{ n: unknown }>(
      `SELECT count() AS n FROM ${db}.features_conf_view FINAL WHERE version = {v:String}`,
      { v: V1.version },
    );
    expect(Number(finalCount?.n)).toBe(HISTORY.length);

    // Parameters: strings with quotes/escapes, arrays, integers, NULL.
    const [bound] = await store.query<Record<string, unknown>>(
      `SELECT {s:String} AS s, {a:Array(String)} AS a, {n:Int64} AS n, {x:Nullable(String)} AS x,
              (SELECT count() FROM ${db}.features_conf_view FINAL WHERE card_id = {s:String}) AS c`,
      { s: TRICKY, a: ["a'b", 'c\\d', 'tab\there'], n: -42, x: null },
    );
    expect({ ...bound, n: Number(bound?.n), c: Number(bound?.c) }).toEqual({
      s: TRICKY,
      a: ["a'b", 'c\\d', 'tab\there'],
      n: -42,
      x: null,
      c: 1,
    });

    // A new version adds a column (ALTER); old and new versions read back independently.
    await store.ensureView(V2);
    const v2Columns = await columns();
    expect(v2Columns.map((c) => c.name)).toContain('amount_max');
    expect(v2Columns.find((c) => c.name === 'amount_max')?.type).toBe('Nullable(Float64)');
    const v2Rows: HistoryRow[] = [
      { key: 'card-a', asOf: T + 7, values: [3, 1.5, 'FR', true, T + 7, ['FR'], 99.75] },
      { key: 'card-c', asOf: T + 8, values: [1, null, 'GB', false, null, [], null] },
    ];
    await store.appendHistory(V2, v2Rows, T + 30_000);
    expect(await store.readHistory(V2)).toEqual(v2Rows);
    expect(await store.readHistory(V1)).toEqual(expected);
    await expect(store.ensureView(V3)).rejects.toMatchObject({ code: 'CLICKHOUSE_COLUMN_TYPE' });

    // Errors: a rejected promise carrying the ClickHouse code, type and message.
    await expect(store.query(`SELECT * FROM ${db}.no_such_table`)).rejects.toMatchObject({
      code: '60',
      type: 'UNKNOWN_TABLE',
      message: expect.stringContaining('no_such_table') as unknown,
    });
    await expect(store.query('SELEC 1')).rejects.toMatchObject({
      code: '62',
      type: 'SYNTAX_ERROR',
    });
    await store.ping();
  } finally {
    await store.close();
  }
}

describe('history store conformance: embedded engine directly', () => {
  it('passes the conformance checks', async () => {
    const path = join(tempDir('ch-direct'), 'data');
    await historyStoreConformance(
      () => ClickHouseHistoryStore.open({ path, database: 'fs_direct' }),
      'fs_direct',
    );
  });
});

describe('ClickHouse HTTP test fixture', () => {
  let fixture: EmbeddedClickHouseHttp;
  let store: ClickHouseHistoryStore;
  const clients: ClickHouseClient[] = [];
  const client = (options: Parameters<typeof createClient>[0] = {}): ClickHouseClient => {
    const c = createClient({ url: fixture.url, ...options });
    clients.push(c);
    return c;
  };
  const openStore = (): Promise<ClickHouseHistoryStore> =>
    ClickHouseHistoryStore.open({ url: fixture.url, path: 'unused', database: 'fs_test' });

  beforeAll(async () => {
    fixture = await startEmbeddedClickHouseHttp({ path: join(tempDir('ch-http'), 'data') });
    store = await openStore();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await store?.close();
    await fixture?.close();
  });

  it('passes the same conformance checks through HTTP', async () => {
    expect(fixture.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await historyStoreConformance(openStore, 'fs_test');
  });

  it('serves /ping, compressed requests and responses, multipart parameters', async () => {
    const ping = await fetch(`${fixture.url}/ping`);
    expect([ping.status, await ping.text()]).toEqual([200, 'Ok.\n']);
    expect(await client().ping()).toEqual({ success: true });
    expect(await client().ping({ select: true })).toEqual({ success: true });

    const gz = client({ compression: { request: true, response: true } });
    await gz.command({
      query:
        'CREATE TABLE IF NOT EXISTS fs_test.gz (a Int64, s String) ENGINE = MergeTree ORDER BY a',
    });
    const inserted = await gz.insert({
      table: 'fs_test.gz',
      values: Array.from({ length: 500 }, (_, a) => ({ a, s: `row ${a}` })),
      format: 'JSONEachRow',
    });
    expect(inserted.summary?.written_rows).toBe('500');
    const rs = await gz.query({
      query: 'SELECT count() AS n, sum(a) AS s FROM fs_test.gz',
      format: 'JSONEachRow',
    });
    expect(rs.response_headers['content-encoding']).toBe('gzip');
    expect(await rs.json()).toEqual([{ n: 500, s: (499 * 500) / 2 }]);
    // An insert without rows is a no-op, as on a server.
    await client().insert({ table: 'fs_test.gz', values: [], format: 'JSONEachRow' });

    const multipart = client({ use_multipart_params: true });
    const mp = await multipart.query({
      query: 'SELECT {x:String} AS x, {a:Array(String)} AS a',
      query_params: { x: 'multi\npart', a: ["it's"] },
      format: 'JSONEachRow',
    });
    expect(await mp.json()).toEqual([{ x: 'multi\npart', a: ["it's"] }]);
  });

  it('applies settings to one request only, answers with server headers and statuses', async () => {
    const c = client();
    const quoted = await c.query({
      query: 'SELECT toInt64(5) AS x',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await quoted.json()).toEqual([{ x: '5' }]);
    const plain = await c.query({ query: 'SELECT toInt64(5) AS x', format: 'JSONEachRow' });
    expect(await plain.json()).toEqual([{ x: 5 }]);
    expect(plain.response_headers['x-clickhouse-format']).toBe('JSONEachRow');
    expect(plain.response_headers['x-clickhouse-query-id']).toBe(plain.query_id);
    expect(
      JSON.parse(String(plain.response_headers['x-clickhouse-summary'])) as unknown,
    ).toMatchObject({ result_rows: '1' });

    const missing = await fetch(`${fixture.url}/?query_id=q-404`, {
      method: 'POST',
      body: 'SELECT * FROM fs_test.nope',
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-clickhouse-exception-code')).toBe('60');
    expect(missing.headers.get('x-clickhouse-query-id')).toBe('q-404');
    expect(await missing.text()).toMatch(/^Code: 60\. DB::Exception: .*\(UNKNOWN_TABLE\)/);
    // GET is read-only, as on a server.
    const get = await fetch(
      `${fixture.url}/?query=${encodeURIComponent('CREATE TABLE fs_test.ro (a Int8) ENGINE = Memory')}`,
    );
    expect(get.status).toBe(403);
    const sum = await fetch(`${fixture.url}/?query=${encodeURIComponent('SELECT 1 + 1')}`);
    expect([sum.status, await sum.text()]).toEqual([200, '2\n']);

    // session_id keeps SET state across requests; other requests do not see it.
    const inSession = (sql: string, id?: string): Promise<Response> =>
      fetch(`${fixture.url}/${id === undefined ? '' : `?session_id=${id}`}`, {
        method: 'POST',
        body: sql,
      });
    await inSession("SET log_comment = 'fixture-session'", 's1');
    const seen = await inSession("SELECT getSetting('log_comment')", 's1');
    expect(await seen.text()).toBe('fixture-session\n');
    const unseen = await inSession("SELECT getSetting('log_comment')");
    expect(await unseen.text()).toBe('\n');
  });

  it("'error500' for 1 s fails requests, then they work again; a retrying writer gets through", async () => {
    const before = fixture.requests;
    fixture.injectFailures('error500', 1_000);
    const started = Date.now();
    await expect(store.query('SELECT 1 AS x')).rejects.toMatchObject({
      code: '210',
      message: expect.stringContaining('error500') as unknown,
    });
    expect(fixture.requests).toBe(before + 1);
    let failures = 0;
    const rows = EVENTS.map((e) => ({ ...e, partition: 5 }));
    await retryForever(
      () => store.appendEvents(SOURCE, rows, T),
      () => {
        failures++;
      },
    );
    expect(failures).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await store.query('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    const [n] = await store.query<{ n: unknown }>(
      'SELECT count() AS n FROM fs_test.events_conf_src FINAL WHERE _partition = 5',
    );
    expect(Number(n?.n)).toBe(rows.length);
  });

  it("'reset' for 1 s drops connections, then requests work again", async () => {
    fixture.injectFailures('reset', 1_000);
    await expect(store.query('SELECT 1 AS x')).rejects.toThrow(/socket hang up|ECONNRESET/);
    await sleep(1_100);
    expect(await store.query('SELECT 1 AS x')).toEqual([{ x: 1 }]);
  });

  it("'hang' holds requests until the mode changes", async () => {
    fixture.injectFailures('hang');
    const impatient = client({ request_timeout: 300 });
    await expect(impatient.query({ query: 'SELECT 1' })).rejects.toThrow(/Timeout/i);
    let answered = false;
    const waiting = store.query('SELECT 2 AS x').then((r) => {
      answered = true;
      return r;
    });
    await sleep(300);
    expect(answered).toBe(false);
    fixture.injectFailures('none');
    expect(await waiting).toEqual([{ x: 2 }]);
  });

  it('two processes insert concurrently through one fixture and the totals add up', async () => {
    const writers = 2;
    const batches = 25;
    const perBatch = 40;
    await store.ensureSource(SOURCE);
    // Each child opens the real store on CLICKHOUSE_URL, says "ready", waits for "go", then
    // appends its batches (partition = writer) and prints when it started and finished.
    const child = `
      const { ClickHouseHistoryStore } = await import(process.env.FS_STORE_MODULE);
      const source = JSON.parse(process.env.FS_SOURCE);
      const writer = Number(process.env.FS_WRITER);
      const store = await ClickHouseHistoryStore.open({ url: process.env.CLICKHOUSE_URL, path: 'unused', database: 'fs_test' });
      await store.ensureSource(source);
      process.stdout.write('ready\\n');
      await new Promise((r) => process.stdin.once('data', r));
      const start = Date.now();
      for (let b = 0; b < ${batches}; b++) {
        const rows = [];
        for (let i = 0; i < ${perBatch}; i++) {
          const offset = b * ${perBatch} + i;
          rows.push({ row: { card_id: 'w' + writer + '-' + (offset % 7), amount: offset, country: null, n: offset, ok: true, ts: ${T} + offset },
                      eventTime: ${T} + offset, topic: 'multi', partition: writer, offset, late: false });
        }
        await store.appendEvents(source, rows, Date.now());
      }
      const end = Date.now();
      await store.close();
      process.stdout.write(JSON.stringify({ start, end }) + '\\n');
      process.stdin.destroy();
    `;
    const before = fixture.requests;
    const procs = Array.from({ length: writers }, (_, writer) => {
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child], {
        cwd: REPO,
        env: {
          ...process.env,
          CLICKHOUSE_URL: fixture.url,
          FS_STORE_MODULE: STORE_MODULE,
          FS_SOURCE: JSON.stringify(SOURCE),
          FS_WRITER: String(writer),
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      const ready = new Promise<void>((ok) =>
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready\n')) ok();
        }),
      );
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const done = new Promise<{ start: number; end: number }>((ok, fail) =>
        p.on('exit', (code) => {
          const last = out.trim().split('\n').pop() ?? '';
          if (code === 0) ok(JSON.parse(last) as { start: number; end: number });
          else fail(new Error(`writer ${writer} exited with ${code}: ${err}`));
        }),
      );
      return { p, ready, done };
    });
    await Promise.race([
      Promise.all(procs.map((w) => w.ready)),
      Promise.all(procs.map((w) => w.done)),
    ]);
    for (const w of procs) w.p.stdin.write('go\n');
    const spans = await Promise.all(procs.map((w) => w.done));
    // The writers overlapped in time: their requests were interleaved by the fixture.
    expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(
      Math.min(...spans.map((s) => s.end)),
    );
    expect(fixture.requests - before).toBeGreaterThanOrEqual(writers * batches);

    const total = batches * perBatch;
    const [sums] = await store.query<{ n: unknown; s: unknown; w: unknown }>(
      `SELECT count() AS n, sum(amount) AS s, uniqExact(_partition) AS w
       FROM fs_test.events_conf_src FINAL WHERE _topic = 'multi'`,
    );
    expect(Number(sums?.n)).toBe(writers * total);
    expect(Number(sums?.s)).toBe((writers * (total * (total - 1))) / 2);
    expect(Number(sums?.w)).toBe(writers);
  });
});
