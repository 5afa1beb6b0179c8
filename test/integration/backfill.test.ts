import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ClickHouseHistoryStore } from '../../src/adapters/clickhouse/clickhouse-history-store.js';
import { startEmbeddedClickHouseHttp } from '../../src/adapters/clickhouse/embedded-http-server.js';
import { backfillWithConfig } from '../../src/cli/commands/backfill.js';
import { loadConfig } from '../../src/config/config.js';
import { decodeFieldValue } from '../../src/core/values/field-value.js';
import { silentLogger } from '../../src/ports/logger.js';
import type { ArchiveRow } from '../../src/ports/history-store.js';
import {
  createTopic,
  kafka,
  produce,
  REPO,
  services,
  tempDir,
  testConfig,
  uniqueName,
  waitFor,
} from '../support/e2e.js';
import { diffValues, expectedResults } from '../support/expected.js';
import { GOLDEN_PARTITIONS, goldenCase, goldenEvents } from '../support/golden.js';
import { runUntil, startEngine } from '../support/run-engine.js';
import { expectHistoryMatches, expectRedisMatches } from '../support/verify.js';

/** REDIS_URL of the test services with another logical database (a separate keyspace). */
function redisDb(db: number): string {
  const u = new URL(services().REDIS_URL ?? '');
  u.pathname = `/${db}`;
  return u.toString();
}

/** Runs the CLI; resolves with its exit code and output. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'backfill', ...args],
      {
        cwd: REPO,
        env: { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', CLICKHOUSE_URL: '', ...env },
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Backfill (docs/offline.md "Backfill"): the archive replayed with the stream's code gives the
 * stream's history and final online values, and the stream continues from the backfill's offsets;
 * a backfill killed with SIGKILL and run again ends with identical history.
 */
describe('backfill from the event archive', () => {
  const redis0 = new Redis(services().REDIS_URL ?? '');
  const redis1 = new Redis(redisDb(1));
  afterAll(async () => {
    await redis0.quit();
    await redis1.quit();
  });

  it('equals the stream and the oracle; seeded online state lets a stream of the version continue', async () => {
    const g = await goldenCase(1_500, 23);
    const first = g.events.slice(0, 1_000);
    const rest = g.events.slice(1_000);
    await createTopic(g.topic, GOLDEN_PARTITIONS);
    await produce(
      g.topic,
      first.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
    );
    // The stream: its history and Redis values (db 0), its archive in ClickHouse.
    const config = testConfig();
    const stores = await runUntil(config, [g.file], first.length);
    const expectedFirst = expectedResults(g.view, first);
    expect(expectedFirst.late.size).toBeGreaterThan(0);
    const target = uniqueName('bf').toLowerCase();
    const group = uniqueName('resume');
    const bfConfig = loadConfig({
      ...services(),
      REDIS_URL: redisDb(1),
      CLICKHOUSE_PATH: config.clickhousePath,
      CLICKHOUSE_DATABASE: config.clickhouseDatabase,
      FS_WORKERS: '2',
      FS_MIN_EVENT_TIME: '2000-01-01T00:00:00Z',
    });
    const targetHistory = await ClickHouseHistoryStore.open({
      path: config.clickhousePath,
      database: target,
    });
    try {
      const result = await backfillWithConfig(bfConfig, {
        view: g.view.name,
        topologies: [g.file],
        targetDatabase: target,
        seedOnline: true,
        commitGroup: group,
        logger: silentLogger,
      });
      expect(result.version).toBe(g.view.version);
      expect(result.events).toBe(first.length);
      expect(result.partitions.reduce((n, p) => n + p.late, 0)).toBe(expectedFirst.late.size);

      // History: the very rows the stream wrote (after dedup), and the oracle's.
      const streamRows = await stores.history.readHistory(g.view.ir);
      const backfillRows = await targetHistory.readHistory(g.view.ir);
      expect(streamRows.length).toBeGreaterThan(500);
      expect(backfillRows).toEqual(streamRows);
      await expectHistoryMatches(targetHistory, g.view, expectedFirst);

      // Online: the same final values (and as-of) the stream left in Redis, the oracle's.
      const problems: string[] = [];
      for (const [key, want] of expectedFirst.online) {
        const s = await redis0.hgetall(`fs:${g.view.name}:${g.view.version}:${key}`);
        const b = await redis1.hgetall(`fs:${g.view.name}:${g.view.version}:${key}`);
        expect(b._asof, key).toBe(s._asof);
        expect(Number(b._asof)).toBe(want.asOf);
        const got = g.view.ir.features.map((f) => decodeFieldValue(f.valueType, b[f.name]));
        const streamed = g.view.ir.features.map((f) => decodeFieldValue(f.valueType, s[f.name]));
        problems.push(...diffValues(g.view, expectedFirst, key, want.asOf, got, want.values));
        problems.push(...diffValues(g.view, expectedFirst, key, want.asOf, got, streamed));
      }
      expect(problems.slice(0, 20)).toEqual([]);
      // Registered, not current.
      expect(await redis1.get(`fs:${g.view.name}:current`)).toBeNull();

      // The resume point: next offset and partition clock per partition, in the group's commits.
      const admin = kafka().admin();
      await admin.connect();
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [g.topic] });
      await admin.disconnect();
      for (let p = 0; p < GOLDEN_PARTITIONS; p++) {
        const evs = first.filter((e) => e.partition === p);
        const c = committed?.partitions.find((x) => x.partition === p);
        expect(Number(c?.offset), `partition ${p}`).toBe(evs.length);
        expect(JSON.parse(c?.metadata ?? '{}')).toEqual({
          v: 1,
          maxEventTime: Math.max(...evs.map((e) => e.t)),
        });
      }

      // A stream of this version in that group, on the seeded state, takes over: the rest of
      // the events give the oracle's values over all of them.
      await produce(
        g.topic,
        rest.map((e) => ({ partition: e.partition, key: e.key, value: e.json })),
      );
      const next = await startEngine(
        loadConfig({
          ...services(),
          REDIS_URL: redisDb(1),
          CLICKHOUSE_PATH: config.clickhousePath,
          CLICKHOUSE_DATABASE: target,
          FS_GROUP_ID: group,
          FS_WORKERS: '2',
          FS_MIN_EVENT_TIME: '2000-01-01T00:00:00Z',
        }),
        [g.file],
      );
      try {
        await waitFor('the rest consumed', () => next.records() >= rest.length, 60_000);
        expect(next.records()).toBe(rest.length);
      } finally {
        await next.stop();
      }
      const expectedAll = expectedResults(g.view, g.events);
      await expectRedisMatches(redis1, g.view, expectedAll);
      await expectHistoryMatches(targetHistory, g.view, expectedAll);
    } finally {
      await targetHistory.close();
      await stores.close();
    }
  });

  it('interrupted (Ctrl-C, then SIGKILL mid-way) and run again: identical history', async () => {
    const g = await goldenCase(0, 41);
    const ch = await startEmbeddedClickHouseHttp({ path: join(tempDir('ch-bf'), 'data') });
    const database = uniqueName('fs').toLowerCase();
    try {
      // An archive as a stream leaves it, written directly: 3 partitions in arrival order,
      // with replayed duplicates (the first 5,000 records archived twice).
      const events = goldenEvents(60_000, 41);
      const offsets = new Map<number, number>();
      const rows: ArchiveRow[] = events.map((e) => {
        const offset = offsets.get(e.partition) ?? 0;
        offsets.set(e.partition, offset + 1);
        return {
          row: e.fields,
          eventTime: e.t,
          topic: g.topic,
          partition: e.partition,
          offset,
          late: false,
        };
      });
      const archive = await ClickHouseHistoryStore.open({ url: ch.url, path: '', database });
      await archive.ensureSource(g.view.ir.source);
      for (let i = 0; i < rows.length; i += 20_000)
        await archive.appendEvents(g.view.ir.source, rows.slice(i, i + 20_000), Date.now());
      await archive.appendEvents(g.view.ir.source, rows.slice(0, 5_000), Date.now() + 1);

      const env = { CLICKHOUSE_URL: ch.url, CLICKHOUSE_DATABASE: database };
      const args = [g.view.name, '--topologies', g.file, '--target-database', `${database}_a`];
      const start = () => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            'src/cli/main.ts',
            'backfill',
            ...args,
            '--workers',
            '1',
            '--page',
            '1000',
            '--batch-rows',
            '2000',
          ],
          { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const out = { err: '' };
        child.stderr.on('data', (d: Buffer) => (out.err += d.toString()));
        const exited = new Promise<number | null>((resolve) =>
          child.once('exit', (code) => resolve(code)),
        );
        return { child, out, exited };
      };
      /** The last progress line: events done, total, the partitions part. */
      const progress = (err: string) => {
        const last = [...err.matchAll(/: ([\d,]+)\/([\d,]+) events .*?· (p0 .*)$/gm)].at(-1);
        if (last === undefined) return undefined;
        return {
          done: Number(last[1]?.replace(/,/g, '')),
          total: Number(last[2]?.replace(/,/g, '')),
          parts: last[3] ?? '',
        };
      };

      // Ctrl-C once progress shows: it stops at the next page and exits 130.
      const first = start();
      await waitFor(
        `progress (stderr so far: ${first.out.err.slice(-500)})`,
        () => (progress(first.out.err)?.done ?? 0) > 0 || first.child.exitCode !== null,
        90_000,
      );
      first.child.kill('SIGINT');
      expect(await first.exited, first.out.err.slice(-2000)).toBe(130);
      expect(first.out.err).toMatch(/backfill interrupted — run the same command again to resume/);

      // SIGKILL once a partition is finished and the next one is part-way.
      const second = start();
      const partly = (): boolean => {
        const p = progress(second.out.err);
        return (
          p !== undefined &&
          p.parts.includes('✓') &&
          p.done > 0 &&
          p.done < p.total &&
          /\d%/.test(p.parts)
        );
      };
      await waitFor(
        `progress (stderr so far: ${second.out.err.slice(-500)})`,
        () => partly() || second.child.exitCode !== null,
        90_000,
      );
      expect(second.child.exitCode, second.out.err.slice(-2000)).toBeNull();
      second.child.kill('SIGKILL');
      await second.exited;
      const before = await archive.query<{ n: string }>(
        `SELECT count() AS n FROM ${database}_a.features_${g.view.name}`,
      );
      expect(Number(before[0]?.n), 'rows written before the kill').toBeGreaterThan(0);

      // Run again to completion: the finished partition is skipped, the others replayed.
      const again = await cli([...args, '--workers', '2', '--json', '--quiet'], env);
      expect(again.code, again.stderr).toBe(0);
      const result = JSON.parse(again.stdout) as {
        partitions: { partition: number; skipped: boolean; events: number }[];
      };
      expect(result.partitions.filter((p) => p.skipped).length).toBeGreaterThanOrEqual(1);
      expect(result.partitions.filter((p) => !p.skipped).length).toBeGreaterThanOrEqual(1);
      expect(result.partitions.reduce((n, p) => n + p.events, 0)).toBe(events.length);

      // The reference: one uninterrupted backfill into another database.
      const reference = await backfillWithConfig(
        loadConfig({ CLICKHOUSE_URL: ch.url, CLICKHOUSE_DATABASE: database, FS_WORKERS: '2' }),
        {
          view: g.view.name,
          topologies: [g.file],
          targetDatabase: `${database}_b`,
          logger: silentLogger,
        },
      );
      expect(reference.events).toBe(events.length);
      const a = await ClickHouseHistoryStore.open({
        url: ch.url,
        path: '',
        database: `${database}_a`,
      });
      const b = await ClickHouseHistoryStore.open({
        url: ch.url,
        path: '',
        database: `${database}_b`,
      });
      try {
        const rowsA = await a.readHistory(g.view.ir);
        const rowsB = await b.readHistory(g.view.ir);
        expect(rowsA.length).toBeGreaterThan(10_000);
        expect(rowsA.length).toBe(rowsB.length);
        expect(rowsA).toEqual(rowsB);
      } finally {
        await a.close();
        await b.close();
      }
      await archive.close();
    } finally {
      await ch.close();
    }
  });

  it('bad input: one-line errors for an unknown view and an empty archive', async () => {
    const g = await goldenCase(0, 3);
    const env = { CLICKHOUSE_PATH: join(tempDir('ch-empty'), 'data') };
    const unknown = await cli(['no_such_view', '--topologies', g.file], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(
      new RegExp(`UNKNOWN_VIEW: no view 'no_such_view' in .* \\(known: ${g.view.name}\\)`),
    );
    const empty = await cli([g.view.name, '--topologies', g.file, '--quiet'], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr.trim().split('\n')).toHaveLength(1);
    expect(empty.stderr).toMatch(
      new RegExp(
        `ARCHIVE_EMPTY: the event archive of source '${g.view.ir.source.name}'.* has no events`,
      ),
    );
    const seedless = await cli([g.view.name, '--topologies', g.file, '--seed-online'], env);
    expect(seedless.code).toBe(2);
    expect(seedless.stderr).toMatch(/BACKFILL_NO_ONLINE: --seed-online needs REDIS_URL/);
  });
});
