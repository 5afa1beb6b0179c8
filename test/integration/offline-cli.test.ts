import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouseHistoryStore } from '../../src/adapters/clickhouse/clickhouse-history-store.js';
import { ClickHouseOfflineSql } from '../../src/adapters/clickhouse/clickhouse-offline-sql.js';
import { startEmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import type { EmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import type { Stores } from '../../src/cli/engine-factory.js';
import type { Config } from '../../src/config/config.js';
import type { FeatureValue } from '../../src/core/aggregation/aggregator.js';
import {
  REPO,
  SRC_INDEX,
  createTopic,
  produce,
  services,
  tempDir,
  testConfig,
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
 * The offline commands as a user runs them — `training-set`, `sql`, `score-batch`,
 * `consistency` in child processes — against a ClickHouse reached over HTTP (the embedded engine
 * behind the HTTP fixture, so the server code paths run: labels streamed by the client, results
 * streamed to local files, progress polled), after the engine ran the golden stream.
 */
describe('offline commands on a ClickHouse server (HTTP)', () => {
  let fixture: EmbeddedClickHouseHttp;
  let config: Config;
  let g: GoldenCase;
  let expected: Expected;
  let applied: Map<string, OracleEvent[]>;
  let stores: Stores;
  let sql: ClickHouseOfflineSql;
  let labels: Label[];
  let dir: string;
  let labelsCsv: string;
  let topologies: string;

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', ...args],
        {
          cwd: REPO,
          env: {
            ...process.env,
            KAFKA_BROKERS: '',
            REDIS_URL: services().REDIS_URL ?? '',
            CLICKHOUSE_URL: fixture.url,
            CLICKHOUSE_DATABASE: config.clickhouseDatabase,
          },
          timeout: 100_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    fixture = await startEmbeddedClickHouseHttp({ path: join(tempDir('ch-offline'), 'data') });
    config = testConfig({ CLICKHOUSE_URL: fixture.url });
    g = await goldenCase(900, 5);
    expected = expectedResults(g.view, g.events);
    applied = appliedEvents(g.events, expected);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    await produce(
      g.topic,
      g.events.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
    );
    stores = await runUntil(config, [g.file], g.events.length);
    sql = ClickHouseOfflineSql.of(stores.history as ClickHouseHistoryStore);
    expect(sql.kind).toBe('server');
    labels = goldenLabels(expected, applied, 1);
    dir = tempDir('offline-cli');
    labelsCsv = join(dir, 'labels.csv');
    writeLabelsCsv(labelsCsv, labels);
    // The golden view and a feature service over it, loaded together with --topologies DIR.
    topologies = dirname(g.file);
    writeFileSync(
      join(topologies, 'service.mts'),
      `import { featureService } from ${JSON.stringify(SRC_INDEX)};
import gold from './${g.view.name}.mts';
export const model = featureService('gold_model', {
  features: [
    { view: gold, feature: 'txn_count_1m' },
    { view: gold, feature: 'txn_count_10s', as: 'txn_count_5m' },
    { view: gold, feature: 'amount_sum_30s', as: 'amount_sum_24h' },
    { view: gold, feature: 'ms_since_prev', as: 'ms_since_prev_txn' },
  ],
});
`,
    );
  });

  afterAll(async () => {
    await stores?.close();
    await fixture?.close();
  });

  it('training-set: labels streamed from CSV, Parquet streamed back; every label equals the oracle', async () => {
    const out = join(dir, 'training.parquet');
    const r = await cli([
      'training-set',
      '--labels',
      labelsCsv,
      '--features',
      `${g.view.name}:*`,
      '--out',
      out,
      '--topologies',
      topologies,
    ]);
    expect(r.stderr).toMatch(/loading labels: done in/);
    expect(r.stderr).toMatch(/point-in-time join: done in/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^training set: ${labels.length.toLocaleString('en-US')} rows × 10 features → ${out} \\(labels .* s · join .* s · write .* s\\)\\n$`,
      ),
    );
    const rows = await sql.query<Record<string, unknown>>(
      `SELECT * FROM file('${out}', 'Parquet') SETTINGS input_format_parquet_preserve_order = 1, max_threads = 1, output_format_json_quote_64bit_integers = 0`,
    );
    expect(rows).toHaveLength(labels.length);
    const problems: string[] = [];
    rows.forEach((row, i) => {
      const l = labels[i];
      if (l === undefined) return;
      if (row.acct !== l.acct || chTime(row.ts) !== l.t)
        problems.push(`row ${i}: ${JSON.stringify(row)}`);
      const got = g.view.features.map((f) => (row[f.name] ?? null) as FeatureValue);
      problems.push(...diffTrainingRow(g.view, applied, expected, l, got));
    });
    expect(problems.slice(0, 20)).toEqual([]);
    // The same through a table, with a service (its order and names).
    const t = await cli([
      'training-set',
      '--labels',
      labelsCsv,
      '--service',
      'gold_model',
      '--out',
      'cli_service_set',
      '--topologies',
      topologies,
      '--quiet',
    ]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    const cols = await sql.query<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = '${config.clickhouseDatabase}' AND table = 'cli_service_set' ORDER BY position`,
    );
    expect(cols.map((c) => c.name)).toEqual([
      '_row',
      'acct',
      'ts',
      'label',
      'note',
      'txn_count_1m',
      'txn_count_5m',
      'amount_sum_24h',
      'ms_since_prev_txn',
    ]);
  });

  it('bad input: one line on stderr, exit 2, no output', async () => {
    const bad = join(dir, 'bad-times.csv');
    writeFileSync(bad, 'acct,ts\nacct-1,1735732800000\nacct-1,not a time\n');
    const nokey = join(dir, 'nokey.csv');
    writeFileSync(nokey, 'card,ts\nacct-1,1735732800000\n');
    const out = join(dir, 'never.csv');
    const cases: [string[], RegExp][] = [
      [
        ['--features', `${g.view.name}:nope`],
        /^featurestream: UNKNOWN_FEATURE: view '.*' has no feature 'nope' \(features: txn_count_10s, .*\) — /,
      ],
      [
        ['--service', 'nope'],
        /^featurestream: UNKNOWN_SERVICE: unknown feature service 'nope' \(loaded: gold_model\)/,
      ],
      [
        ['--features', `${g.view.name}:*`, '--labels', bad],
        /^featurestream: LABELS_BAD_VALUE: labels file bad-times\.csv, line 3: cannot parse 'not a time' in the time column 'ts'/,
      ],
      [
        ['--features', `${g.view.name}:*`, '--labels', nokey],
        /^featurestream: LABELS_MISSING_COLUMN: labels file nokey\.csv has no column 'acct' .* — add the column, or map the label column holding it with --keys COLUMN=acct$/,
      ],
      [
        ['--features', `${g.view.name}:*`, '--labels', join(dir, 'missing.csv')],
        /^featurestream: LABELS_NOT_FOUND: labels file .*missing\.csv cannot be read \(ENOENT\)/,
      ],
    ];
    for (const [args, want] of cases) {
      const r = await cli([
        'training-set',
        '--labels',
        labelsCsv,
        '--out',
        out,
        '--topologies',
        topologies,
        '--quiet',
        ...args,
      ]);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(want);
      expect(existsSync(out)).toBe(false);
    }
    // A correct run with --keys maps a differently named key column.
    const mapped = await cli([
      'training-set',
      '--labels',
      nokey,
      '--keys',
      'card=acct',
      '--features',
      `${g.view.name}:txn_count_1m`,
      '--out',
      out,
      '--topologies',
      topologies,
      '--quiet',
    ]);
    expect(mapped.code, mapped.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('"card","ts","txn_count_1m"');
    const tmp = await sql.query(
      `SELECT name FROM system.tables WHERE database = '${config.clickhouseDatabase}' AND startsWith(name, '_fs_tmp_')`,
    );
    expect(tmp).toEqual([]);
  });

  it('sql prints rows as a table, CSV or JSON; an error is one line', async () => {
    const q = `SELECT acct, count() AS rows FROM features_${g.view.name} FINAL GROUP BY acct ORDER BY acct`;
    const table = await cli(['sql', q]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^acct\s+rows$/);
    expect(lines[2]).toMatch(/^acct-0\s+\d+$/);
    expect(lines[lines.length - 1]).toBe('(12 rows)');
    const csv = await cli(['sql', q, '--format', 'csv']);
    expect(csv.stdout.trimEnd().split('\n')).toHaveLength(13);
    expect(csv.stdout.split('\n')[0]).toBe('"acct","rows"');
    const json = await cli(['sql', `${q};`, '--format', 'json']);
    const parsed = json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { acct: string; rows: string });
    const total = parsed.reduce((a, r) => a + Number(r.rows), 0);
    expect(total).toBe([...expected.rows.values()].reduce((a, r) => a + r.length, 0));
    const err = await cli(['sql', 'SELECT nope FROM nowhere']);
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n')).toHaveLength(1);
    expect(err.stderr).toMatch(/^featurestream: SQL_ERROR: /);
  });

  it('score-batch with the example model writes the labels plus a score', async () => {
    const out = join(dir, 'scores.csv');
    const r = await cli([
      'score-batch',
      '--service',
      'gold_model',
      '--model',
      'examples/fraud-model.ts',
      '--input',
      labelsCsv,
      '--out',
      out,
      '--batch',
      '1000',
      '--topologies',
      topologies,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^scored ${labels.length.toLocaleString('en-US')} rows in ${Math.ceil(labels.length / 1000)} batch\\(es\\) → `,
      ),
    );
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('"acct","ts","label","note","score"');
    expect(lines).toHaveLength(labels.length + 1);
    lines.slice(1).forEach((line, i) => {
      const [acct, , , , score] = line.split(',');
      expect(acct).toBe(`"${labels[i]?.acct ?? ''}"`);
      expect(Number(score)).toBeGreaterThan(0);
      expect(Number(score)).toBeLessThan(1);
    });
  });

  it('consistency reports no mismatch after a run', async () => {
    const r = await cli([
      'consistency',
      '--view',
      g.view.name,
      '--sample',
      '50',
      '--topologies',
      topologies,
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^consistency of ${g.view.name} ${g.view.version}: sampled 12 · compared \\d+`),
    );
    expect(r.stdout).toMatch(/entities with a mismatch 0/);
    const j = await cli([
      'consistency',
      '--view',
      g.view.name,
      '--json',
      '--metrics-file',
      join(dir, 'consistency.prom'),
      '--topologies',
      topologies,
    ]);
    const report = JSON.parse(j.stdout) as { compared: number; features: { mismatches: number }[] };
    expect(report.compared).toBeGreaterThan(0);
    expect(report.features.every((f) => f.mismatches === 0)).toBe(true);
    // The gauge, one series per feature, all 0, in Prometheus text format.
    const prom = readFileSync(join(dir, 'consistency.prom'), 'utf8');
    const series = prom
      .split('\n')
      .filter((l) => l.startsWith('featurestream_consistency_mismatch_ratio{'));
    expect(series).toHaveLength(g.view.ir.features.length);
    for (const f of g.view.ir.features)
      expect(series).toContain(
        `featurestream_consistency_mismatch_ratio{view="${g.view.name}",feature="${f.name}"} 0`,
      );
  });

  it('every offline command has --help', async () => {
    const cmds = ['training-set', 'score-batch', 'consistency', 'sql'];
    const results = await Promise.all(cmds.map((cmd) => cli([cmd, '--help'])));
    results.forEach((r, i) => {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^featurestream ${cmds[i] ?? ''} `));
    });
  });
});
