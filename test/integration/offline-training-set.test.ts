import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseHistoryStore } from '../../src/adapters/clickhouse/clickhouse-history-store.js';
import { ClickHouseOfflineSql } from '../../src/adapters/clickhouse/clickhouse-offline-sql.js';
import type { Stores } from '../../src/cli/engine-factory.js';
import type { FeatureValue } from '../../src/core/aggregation/aggregator.js';
import { FeatureStreamError } from '../../src/core/errors.js';
import { compileService, featureService } from '../../src/core/topology/feature-service.js';
import { compileView } from '../../src/core/topology/compile.js';
import type { FeatureViewDef } from '../../src/core/topology/feature-view.js';
import { scoreBatch } from '../../src/offline/batch-scoring.js';
import { measureConsistency } from '../../src/offline/consistency.js';
import type { OfflineProgress } from '../../src/offline/progress.js';
import { buildFrame } from '../../src/offline/frame.js';
import { selectFeatures } from '../../src/offline/feature-selection.js';
import { parseLabelSource } from '../../src/offline/labels.js';
import { KEY_HASH_COLLISION } from '../../src/offline/point-in-time.js';
import { Phases } from '../../src/offline/progress.js';
import { TempScope } from '../../src/offline/temp-scope.js';
import type { OfflineSql, SqlRunOptions } from '../../src/ports/offline-sql.js';
import { buildTrainingSet } from '../../src/offline/training-set.js';
import type { TrainingSetRequest } from '../../src/offline/training-set.js';
import exampleModel from '../../examples/fraud-model.js';
import {
  createTopic,
  produce,
  services,
  tempDir,
  testConfig,
  uniqueName,
  writeTopology,
} from '../support/e2e.js';
import { expectedResults } from '../support/expected.js';
import type { Expected } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenCase } from '../support/golden.js';
import type { GoldenCase } from '../support/golden.js';
import type { OracleEvent } from '../support/oracle.js';
import { runUntil } from '../support/run-engine.js';
import {
  appliedEvents,
  chTime,
  diffTrainingRow,
  goldenLabels,
  writeLabelsCsv,
} from '../support/training.js';
import type { Label } from '../support/training.js';

/**
 * Training sets, batch scoring and consistency on the embedded ClickHouse engine, after the
 * engine ran the golden stream through real Kafka and Redis: every label's features equal the
 * oracle "as of t" (no value from after t), the outputs agree, bad input leaves nothing behind.
 */
describe('offline: training sets, scoring and consistency (embedded ClickHouse)', () => {
  const redis = new Redis(services().REDIS_URL ?? '');
  let g: GoldenCase;
  let expected: Expected;
  let applied: Map<string, OracleEvent[]>;
  let stores: Stores;
  let sql: ClickHouseOfflineSql;
  let labels: Label[];
  let dir: string;
  let labelsCsv: string;
  let featureRefs: string[];
  const db = (): string => sql.database;

  beforeAll(async () => {
    g = await goldenCase(1_500);
    expected = expectedResults(g.view, g.events);
    applied = appliedEvents(g.events, expected);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    await produce(
      g.topic,
      g.events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
    );
    stores = await runUntil(testConfig(), [g.file], g.events.length);
    sql = ClickHouseOfflineSql.of(stores.history as ClickHouseHistoryStore);
    expect(sql.kind).toBe('embedded');
    labels = goldenLabels(expected, applied);
    dir = tempDir('training');
    labelsCsv = join(dir, 'labels.csv');
    writeLabelsCsv(labelsCsv, labels);
    featureRefs = [`${g.view.name}:*`];
  });

  afterAll(async () => {
    await stores?.close();
    await redis.quit();
  });

  const request = (over: Partial<TrainingSetRequest>): TrainingSetRequest => ({
    topologies: { views: [g.view], services: [] },
    labels: labelsCsv,
    features: featureRefs,
    out: 'unused',
    ...over,
  });

  const tempTables = async (): Promise<string[]> =>
    (
      await sql.query<{ name: string }>(
        `SELECT name FROM system.tables WHERE database = '${db()}' AND startsWith(name, '_fs_tmp_')`,
      )
    ).map((r) => r.name);

  const featureValues = (row: Record<string, unknown>): FeatureValue[] =>
    g.view.features.map((f) => (row[f.name] ?? null) as FeatureValue);

  it('leakage: every label (±1 ms around emissions and tile boundaries) equals the oracle as of its time', async () => {
    expect(labels.length).toBeGreaterThan(10_000);
    const progress: OfflineProgress[] = [];
    const t0 = performance.now();
    const res = await buildTrainingSet(
      sql,
      request({ out: 'ts_leakage', onProgress: (p) => progress.push(p) }),
    );
    const ms = performance.now() - t0;
    expect(res.rows).toBe(labels.length);
    expect(res.features).toEqual(g.view.features.map((f) => f.name));
    expect(res.labelColumns).toEqual(['acct', 'ts', 'label', 'note']);
    expect(res.columns.find((c) => c.name === 'ts')?.type).toBe("DateTime64(3, 'UTC')");
    expect(res.columns.find((c) => c.name === 'label')?.type).toBe('Int64');
    expect(res.columns.find((c) => c.name === 'note')?.type).toBe('String');
    expect(progress.filter((p) => p.state === 'done').map((p) => p.phase)).toEqual([
      'labels',
      'join',
      'write',
    ]);
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT * FROM ${db()}.ts_leakage ORDER BY _row SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    expect(rows).toHaveLength(labels.length);
    const problems: string[] = [];
    let before = 0;
    let beyond = 0;
    rows.forEach((r, i) => {
      const l = labels[i];
      if (l === undefined) return;
      expect(Number(r._row)).toBe(i);
      if (r.acct !== l.acct || chTime(r.ts) !== l.t || r.label !== l.label || r.note !== l.note)
        problems.push(`row ${i}: label columns ${JSON.stringify(r)} ≠ ${JSON.stringify(l)}`);
      problems.push(...diffTrainingRow(g.view, applied, expected, l, featureValues(r)));
      const hist = expected.rows.get(l.acct) ?? [];
      if (hist.length === 0 || l.t < (hist[0]?.asOf ?? 0)) before++;
      if (l.t > (hist[hist.length - 1]?.asOf ?? Infinity)) beyond++;
    });
    expect(problems.slice(0, 20)).toEqual([]);
    // The label set covers the edges: before the first row and after the last settled one.
    expect(before).toBeGreaterThan(12);
    expect(beyond).toBeGreaterThan(12);
    // Empty windows: a label 1 ms before an entity's first event.
    const early = rows.find(
      (_, i) =>
        labels[i]?.t ===
        Math.min(...(applied.get(labels[i]?.acct ?? '') ?? []).map((e) => e.t)) - 1,
    );
    expect(early).toMatchObject({
      txn_count_10s: 0,
      amount_sum_30s: 0,
      amount_mean_1m: null,
      merchants_1m: 0,
      last_country: null,
      ms_since_prev: null,
    });
    console.log(`training set of ${labels.length} labels × 10 features: ${ms.toFixed(0)} ms`);
  });

  it('a key hash collision is detected and the join runs again on the keys themselves', async () => {
    // Every entity gets the same "hash": labels then ASOF-match other entities' rows, which the
    // key check must catch (no wrong value can come out), and the exact-key join must follow.
    const errors: string[] = [];
    const spy: OfflineSql = Object.create(sql, {
      command: {
        value: (q: string, o?: SqlRunOptions) =>
          sql.command(q, o).catch((e: unknown) => {
            errors.push(e instanceof Error ? e.message : String(e));
            throw e;
          }),
      },
    }) as OfflineSql;
    const scope = new TempScope(sql);
    try {
      const frame = await buildFrame(
        spy,
        scope,
        {
          labels: parseLabelSource(labelsCsv),
          features: selectFeatures({ views: [g.view], services: [] }, { features: featureRefs }),
        },
        new Phases(undefined, undefined),
        { keyHash: () => 'toUInt64(0)' },
      );
      expect(errors.some((m) => m.includes(KEY_HASH_COLLISION))).toBe(true);
      expect(frame.sql).not.toContain('throwIf');
      const digest = async (table: string): Promise<unknown> =>
        (
          await sql.query<{ d: string }>(
            `SELECT toString(groupBitXor(cityHash64(*))) AS d, toString(count()) AS n FROM (SELECT * FROM ${table})`,
          )
        )[0];
      // ts_leakage is the hashed (normal) run's output of the same labels and features.
      expect(await digest(sql.table(frame.table))).toEqual(await digest(`${db()}.ts_leakage`));
    } finally {
      await scope.cleanup();
    }
  });

  it("a killed run's temporary tables are swept once stale; a running job's (younger) are kept", async () => {
    const stale = '_fs_tmp_sweeptest_stale';
    const young = '_fs_tmp_sweeptest_young';
    await sql.command(`CREATE TABLE ${db()}.${stale} (x UInt8) ENGINE = MergeTree ORDER BY x`);
    await new Promise((r) => setTimeout(r, 2_100));
    await sql.command(`CREATE TABLE ${db()}.${young} (x UInt8) ENGINE = MergeTree ORDER BY x`);
    expect(await TempScope.sweepStale(sql, 1_000)).toEqual([stale]);
    expect(await tempTables()).toEqual([young]);
    // The default age (a day) keeps both kinds of fresh tables.
    expect(await TempScope.sweepStale(sql)).toEqual([]);
    await sql.command(`DROP TABLE ${db()}.${young}`);
  });

  it('writes the same rows in the same order to a table, a CSV file and a Parquet file', async () => {
    const parquet = join(dir, 'out.parquet');
    const csv = join(dir, 'out.csv');
    await buildTrainingSet(sql, request({ out: 'ts_same' }));
    const p = await buildTrainingSet(sql, request({ out: parquet }));
    await buildTrainingSet(sql, request({ out: csv }));
    expect(p.columns.map((c) => c.name)).toEqual([
      'acct',
      'ts',
      'label',
      'note',
      ...g.view.features.map((f) => f.name),
    ]);
    const structure = p.columns
      .map((c) => `\`${c.name}\` ${c.type}`)
      .join(', ')
      .replace(/'/g, "\\'");
    const q = (from: string): Promise<unknown[][]> =>
      sql
        .queryCompact(
          `SELECT * FROM ${from} SETTINGS input_format_parquet_preserve_order = 1, max_threads = 1, output_format_json_quote_64bit_integers = 0`,
        )
        .then((r) => r.rows.map((row) => [...row]));
    const table = await q(`(SELECT * EXCEPT (_row) FROM ${db()}.ts_same ORDER BY _row)`);
    const fromParquet = await q(`file('${parquet}', 'Parquet')`);
    const fromCsv = await q(`file('${csv}', 'CSVWithNames', '${structure}')`);
    expect(table).toHaveLength(labels.length);
    expect(fromParquet).toEqual(table);
    expect(fromCsv).toEqual(table);
    // Labels can come from Parquet (a DateTime64 time column) and from a table (its _row is
    // replaced): same features.
    const labelsParquet = join(dir, 'labels.parquet');
    await sql.command(
      `INSERT INTO FUNCTION file('${labelsParquet}', 'Parquet') SELECT acct, ts, label, note FROM ${db()}.ts_same ORDER BY _row`,
    );
    await sql.command(
      `CREATE TABLE ${db()}.labels_table ENGINE = MergeTree ORDER BY _row AS SELECT _row, acct, ts, label, note FROM ${db()}.ts_same`,
    );
    await buildTrainingSet(sql, request({ labels: labelsParquet, out: 'ts_from_parquet' }));
    await buildTrainingSet(sql, request({ labels: 'labels_table', out: 'ts_from_table' }));
    expect(await q(`(SELECT * EXCEPT (_row) FROM ${db()}.ts_from_parquet ORDER BY _row)`)).toEqual(
      table,
    );
    expect(await q(`(SELECT * EXCEPT (_row) FROM ${db()}.ts_from_table ORDER BY _row)`)).toEqual(
      table,
    );
    // An existing output is refused without --overwrite, replaced with it.
    await expect(buildTrainingSet(sql, request({ out: parquet }))).rejects.toThrow(
      /OUTPUT_EXISTS|already exists/,
    );
    await buildTrainingSet(
      sql,
      request({ out: 'ts_same', overwrite: true, features: [`${g.view.name}:txn_count_1m`] }),
    );
    const [cols] = await sql.query<{ n: number }>(
      `SELECT count() AS n FROM system.columns WHERE database = '${db()}' AND table = 'ts_same'`,
    );
    expect(Number(cols?.n)).toBe(6);
    expect(await tempTables()).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('bad input fails with one clear error and leaves no output and no temporary table', async () => {
    const cases: {
      name: string;
      req: Partial<TrainingSetRequest>;
      code: string;
      message: RegExp;
    }[] = [];
    const file = (name: string, body: string): string => {
      const p = join(dir, name);
      writeFileSync(p, body);
      return p;
    };
    cases.push(
      {
        name: 'unknown feature',
        req: { features: [`${g.view.name}:txn_count_1h`] },
        code: 'UNKNOWN_FEATURE',
        message: new RegExp(`view '${g.view.name}' has no feature 'txn_count_1h'`),
      },
      {
        name: 'unknown view',
        req: { features: ['nope:txn_count_1m'] },
        code: 'UNKNOWN_VIEW',
        message: /unknown view 'nope'/,
      },
      {
        name: 'unknown service',
        req: { features: [], service: 'nope' },
        code: 'UNKNOWN_SERVICE',
        message: /unknown feature service 'nope'/,
      },
      {
        name: 'unknown version',
        req: { versions: { [g.view.name]: '000000000000' } },
        code: 'NO_HISTORY',
        message: new RegExp(
          `no rows of version 000000000000 \\(versions with history: ${g.view.version}\\)`,
        ),
      },
      {
        name: 'labels without the key column',
        req: { labels: file('nokey.csv', 'account,ts\nacct-1,1735732800000\n') },
        code: 'LABELS_MISSING_COLUMN',
        message:
          /labels file nokey\.csv has no column 'acct' \(entity key 'acct' of view .*; columns: account, ts\)/,
      },
      {
        name: 'labels without the time column',
        req: { labels: file('notime.csv', 'acct,when\nacct-1,1735732800000\n') },
        code: 'LABELS_MISSING_COLUMN',
        message: /has no column 'ts' \(the label time column/,
      },
      {
        name: 'unparsable timestamps',
        req: {
          labels: file(
            'badtime.csv',
            'acct,ts\nacct-1,1735732800000\nacct-2,2025-01-01T12:00:00Z\nacct-3,yesterday\nacct-4,\n',
          ),
        },
        code: 'LABELS_BAD_VALUE',
        message:
          /labels file badtime\.csv, line 4: cannot parse 'yesterday' in the time column 'ts'.* \(2 bad rows in total\)/,
      },
      {
        name: 'empty labels',
        req: { labels: file('empty.csv', 'acct,ts\n') },
        code: 'LABELS_EMPTY',
        message: /labels file empty\.csv has no rows/,
      },
      {
        name: 'empty label file',
        req: { labels: file('blank.csv', '') },
        code: 'LABELS_EMPTY',
        message: /is empty/,
      },
      {
        name: 'a label column named like a feature',
        req: { labels: file('clash.csv', 'acct,ts,txn_count_1m\nacct-1,1,2\n') },
        code: 'LABELS_COLUMN_CONFLICT',
        message: /column 'txn_count_1m', which is also the name of a selected feature/,
      },
      {
        name: 'a label column named like an internal column of the join',
        req: { labels: file('internal.csv', 'acct,ts,_fs_kh\nacct-1,1,2\n') },
        code: 'LABELS_COLUMN_CONFLICT',
        message: /column '_fs_kh': names starting with '_fs_' are reserved/,
      },
      {
        name: 'missing label table',
        req: { labels: 'no_such_labels' },
        code: 'LABELS_NOT_FOUND',
        message: /labels table no_such_labels cannot be read/,
      },
    );
    for (const c of cases) {
      for (const out of ['ts_bad_output', join(dir, 'bad.parquet'), join(dir, 'bad.csv')]) {
        const err = await buildTrainingSet(sql, request({ ...c.req, out })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, c.name).toBeInstanceOf(FeatureStreamError);
        const fe = err as FeatureStreamError;
        expect(fe.code, `${c.name}: ${fe.message}`).toBe(c.code);
        expect(fe.domain).toBe('user');
        expect(fe.message, c.name).toMatch(c.message);
        expect(fe.toLine().split('\n'), c.name).toHaveLength(1);
      }
      expect(existsSync(join(dir, 'bad.parquet')), c.name).toBe(false);
      expect(existsSync(join(dir, 'bad.csv')), c.name).toBe(false);
      expect(
        await sql.query(
          `SELECT 1 FROM system.tables WHERE database = '${db()}' AND name = 'ts_bad_output'`,
        ),
        c.name,
      ).toEqual([]);
      expect(await tempTables(), c.name).toEqual([]);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('score-batch streams the service frame through the example model in batches', async () => {
    const svc = compileService(
      featureService('gold_model', {
        features: [
          { view: g.view.name, feature: 'txn_count_1m' },
          { view: g.view.name, feature: 'txn_count_10s', as: 'txn_count_5m' },
          { view: g.view.name, feature: 'amount_sum_30s', as: 'amount_sum_24h' },
          { view: g.view.name, feature: 'amount_max_30s', as: 'amount_max_24h' },
          { view: g.view.name, feature: 'merchants_1m', as: 'distinct_countries_24h' },
          { view: g.view.name, feature: 'ms_since_prev', as: 'ms_since_prev_txn' },
        ],
      }),
      new Map([[g.view.name, g.view]]),
    );
    const topologies = { views: [g.view], services: [svc] };
    const seen: number[] = [];
    const res = await scoreBatch(sql, {
      topologies,
      service: 'gold_model',
      model: (batch) => {
        seen.push(batch.rows.length);
        expect(batch.features).toEqual([
          'txn_count_1m',
          'txn_count_5m',
          'amount_sum_24h',
          'amount_max_24h',
          'distinct_countries_24h',
          'ms_since_prev_txn',
        ]);
        return exampleModel(batch);
      },
      labels: labelsCsv,
      out: 'scores',
      batchSize: 4_000,
    });
    expect(res.rows).toBe(labels.length);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(labels.length);
    expect(Math.max(...seen)).toBe(4_000);
    expect(res.batches).toBe(Math.ceil(labels.length / 4_000));
    // The scores equal the model applied to the service's training set, row for row.
    await buildTrainingSet(sql, {
      topologies,
      labels: labelsCsv,
      service: 'gold_model',
      out: 'svc_frame',
    });
    const frame = await sql.queryCompact(
      `SELECT txn_count_1m, txn_count_5m, amount_sum_24h, amount_max_24h, distinct_countries_24h, ms_since_prev_txn
FROM ${db()}.svc_frame ORDER BY _row SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    const want = exampleModel({
      features: frame.columns.map((c) => c.name),
      rows: frame.rows as FeatureValue[][],
    });
    const scored = await sql.query<{ acct: string; ts: string; label: number; score: number }>(
      `SELECT * EXCEPT (_row) FROM ${db()}.scores ORDER BY _row SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    expect(scored.map((r) => r.score)).toEqual(want);
    expect(scored.map((r) => [r.acct, chTime(r.ts), r.label])).toEqual(
      labels.map((l) => [l.acct, l.t, l.label]),
    );
    expect(new Set(want).size).toBeGreaterThan(10);
    expect(await tempTables()).toEqual([]);
    // A model returning the wrong number of scores: one clear error, nothing written.
    await expect(
      scoreBatch(sql, {
        topologies,
        service: 'gold_model',
        model: () => [1],
        labels: labelsCsv,
        out: 'scores_bad',
      }),
    ).rejects.toThrow(/MODEL_OUTPUT|returned 1 scores for a batch of 10000 rows/);
    expect(
      await sql.query(
        `SELECT 1 FROM system.tables WHERE database = '${db()}' AND name = 'scores_bad'`,
      ),
    ).toEqual([]);
    expect(await tempTables()).toEqual([]);
  });

  it('mapped, list and timestamp features: empty values before the first row; models get epoch ms', async () => {
    const name = uniqueName('mapped').toLowerCase();
    const file = writeTopology(
      name,
      `const k = entity('k', { keys: ['k'] });
export const src = source('${name}_src', {
  topic: '${name}',
  schema: { k: field.string(), m: field.string(), ts: field.timestamp() },
  eventTime: 'ts',
  key: ['k'],
});
export default featureView('${name}', {
  entity: k,
  source: src,
  features: (f) => ({
    plus_one: f.count().over('10s').map((c) => c + 1),
    recent: f.lastN('m', 3).over('1m'),
    first_ts: f.min('ts').lifetime(),
  }),
});`,
    );
    const view = compileView(((await import(file)) as { default: FeatureViewDef }).default);
    await stores.history.ensureView(view.ir);
    await stores.history.appendHistory(
      view.ir,
      [
        { key: 'k1', asOf: 10_000, values: [2, ['a'], 10_000] },
        { key: 'k1', asOf: 20_000, values: [1, ['b', 'a'], 10_000] },
      ],
      Date.now(),
    );
    const csv = join(dir, 'mapped.csv');
    writeFileSync(csv, 'k,ts\nk1,9999\nk1,10000\nk1,15000\nk1,20001\nk2,15000\n');
    const topologies = {
      views: [view],
      services: [
        compileService(
          featureService('mapped_model', {
            features: ['first_ts', 'plus_one', 'recent'].map((feature) => ({
              view: name,
              feature,
            })),
          }),
          new Map([[name, view]]),
        ),
      ],
    };
    const res = await buildTrainingSet(sql, {
      topologies,
      labels: csv,
      features: [`${name}:*`],
      out: `${name}_set`,
    });
    // map(count of an empty window) = 1 is not ClickHouse's default for the column: the SQL
    // substitutes it for unmatched labels.
    expect(res.sql).toMatch(
      /if\(h0\._fs_matched = 1, h0\.`plus_one`, CAST\(1 AS Nullable\(Float64\)\)\)/,
    );
    const rows = await sql.queryCompact(
      `SELECT k, toUnixTimestamp64Milli(ts), plus_one, recent, toUnixTimestamp64Milli(first_ts)
FROM ${db()}.${name}_set ORDER BY _row SETTINGS output_format_json_quote_64bit_integers = 0`,
    );
    expect(rows.rows).toEqual([
      ['k1', 9_999, 1, [], null],
      ['k1', 10_000, 2, ['a'], 10_000],
      ['k1', 15_000, 2, ['a'], 10_000],
      ['k1', 20_001, 1, ['b', 'a'], 10_000],
      ['k2', 15_000, 1, [], null],
    ]);
    const batches: FeatureValue[][][] = [];
    await scoreBatch(sql, {
      topologies,
      service: 'mapped_model',
      model: ({ rows: r }) => {
        batches.push(r);
        return r.map(() => 0.5);
      },
      labels: csv,
      out: join(dir, 'mapped-scores.parquet'),
    });
    expect(batches).toEqual([
      [
        [null, 1, []],
        [10_000, 2, ['a']],
        [10_000, 2, ['a']],
        [10_000, 1, ['b', 'a']],
        [null, 1, []],
      ],
    ]);
  });

  it('consistency: 0 mismatches after a run; a corrupted Redis field is a mismatch', async () => {
    const report = await measureConsistency(stores.online, sql, { view: g.view.ir, sample: 100 });
    expect(report.version).toBe(g.view.version);
    expect(report.sampled).toBe(12);
    expect(report.compared + report.notSettled + report.missingOnline).toBe(12);
    expect(report.compared).toBeGreaterThan(0);
    expect(report.features.map((f) => [f.feature, f.mismatches])).toEqual(
      g.view.features.map((f) => [f.name, 0]),
    );
    expect(report.mismatchedEntities).toBe(0);
    // Corrupt one settled entity's count in Redis.
    const settled = [...expected.online].find(([key, o]) => {
      const rows = expected.rows.get(key) ?? [];
      return rows[rows.length - 1]?.asOf === o.asOf;
    });
    expect(settled).toBeDefined();
    const [key, online] = settled ?? ['', { asOf: 0, values: [] }];
    const redisKey = `fs:${g.view.name}:${g.view.version}:${key}`;
    const original = await redis.hget(redisKey, 'txn_count_1m');
    await redis.hset(redisKey, 'txn_count_1m', String(Number(original ?? 0) + 1));
    try {
      const bad = await measureConsistency(stores.online, sql, { view: g.view.ir, sample: 100 });
      const f = bad.features.find((x) => x.feature === 'txn_count_1m');
      expect(f?.mismatches).toBe(1);
      expect(f?.ratio).toBeCloseTo(1 / bad.compared, 12);
      expect(f?.examples[0]).toMatchObject({ entity: key, asOf: online.asOf });
      expect(bad.mismatchedEntities).toBe(1);
      expect(
        bad.features.filter((x) => x.feature !== 'txn_count_1m').every((x) => x.mismatches === 0),
      ).toBe(true);
    } finally {
      if (original === null) await redis.hdel(redisKey, 'txn_count_1m');
      else await redis.hset(redisKey, 'txn_count_1m', original);
    }
    expect(await tempTables()).toEqual([]);
  });
});
