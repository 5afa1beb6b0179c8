import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { FeatureStreamError } from '../../core/errors.js';
import { joinKey } from '../../core/topology/event-reader.js';
import type { FeatureValue } from '../../core/aggregation/aggregator.js';
import type { ViewIR } from '../../core/topology/ir.js';
import type { HistoryRow } from '../../core/windowing/partition-runtime.js';
import type {
  ArchiveRow,
  EncodedAppends,
  HistoryStore,
  SourceIR,
} from '../../ports/history-store.js';
import { insertCompact } from './compact-insert.js';
import {
  COMPACT_ROWS_FORMAT,
  encodeEventsCompact,
  encodeHistoryCompact,
  eventsInsertColumns,
  historyInsertColumns,
} from './compact-rows.js';
import {
  createEventsTable,
  createFeaturesTable,
  eventsTable,
  featureColumns,
  featuresTable,
  keyFields,
  quoteIdent,
} from './tables.js';

export interface ClickHouseTarget {
  /** A server URL (with user/password); when absent the embedded engine runs at `path`. */
  readonly url?: string | undefined;
  readonly path: string;
  readonly database: string;
}

/**
 * Creates `dir` level by level (not `recursive: true`, which never returns for some paths such
 * as /proc/x on Node 20) and checks it is writable.
 */
function makeWritableDir(dir: string): void {
  if (!existsSync(dir)) {
    const parent = dirname(dir);
    if (parent !== dir) makeWritableDir(parent);
    mkdirSync(dir);
  }
  accessSync(dir, constants.W_OK);
}

/** Opens ClickHouse: a server through `url`, else the embedded chdb engine in `path`. */
export function openClickHouse(target: ClickHouseTarget): ClickHouseClient {
  if (target.url !== undefined && target.url !== '') {
    return createClient({
      url: target.url,
      // Failures surface as rejected promises the pipeline retries and logs once; the client's
      // own per-request error log would repeat them on every attempt.
      log: { level: ClickHouseLogLevel.OFF },
      request_timeout: 120_000,
      clickhouse_settings: { wait_end_of_query: 1 },
    });
  }
  try {
    makeWritableDir(resolve(target.path));
  } catch (err) {
    throw new FeatureStreamError(
      'CLICKHOUSE_PATH',
      `CLICKHOUSE_PATH=${target.path} is not a writable directory (${err instanceof Error ? err.message : String(err)})`,
      {
        domain: 'user',
        fix: 'point CLICKHOUSE_PATH at a writable directory, or set CLICKHOUSE_URL to a ClickHouse server',
        cause: err,
      },
    );
  }
  // chdb is typed against @clickhouse/client-common; the client accepts it at runtime.
  type ClientConnection = NonNullable<
    NonNullable<Parameters<typeof createClient>[0]>['connection']
  >;
  const connection = createChdbConnection({ path: target.path }) as unknown as ClientConnection;
  return createClient({ connection });
}

/** The offline store on ClickHouse (embedded engine or server). */
export class ClickHouseHistoryStore implements HistoryStore, EncodedAppends {
  readonly kind: string;
  readonly format = COMPACT_ROWS_FORMAT;
  private readonly ensured = new Set<string>();

  private constructor(
    private readonly client: ClickHouseClient,
    private readonly target: ClickHouseTarget,
  ) {
    this.kind =
      target.url === undefined || target.url === '' ? 'clickhouse-embedded' : 'clickhouse';
  }

  static async open(target: ClickHouseTarget): Promise<ClickHouseHistoryStore> {
    const client = openClickHouse(target);
    const store = new ClickHouseHistoryStore(client, target);
    try {
      await client.command({
        query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(target.database)}`,
      });
    } catch (err) {
      await client.close().catch(() => undefined);
      const where =
        store.kind === 'clickhouse'
          ? `CLICKHOUSE_URL=${redact(target.url ?? '')}`
          : `CLICKHOUSE_PATH=${target.path}`;
      throw new FeatureStreamError(
        'CLICKHOUSE_UNAVAILABLE',
        `cannot use ClickHouse at ${where}: ${firstLine(err)}`,
        {
          domain: 'external',
          retriable: true,
          fix:
            store.kind === 'clickhouse'
              ? 'check the server URL, user and password, or unset CLICKHOUSE_URL to use the embedded engine'
              : 'check that no other process uses this CLICKHOUSE_PATH (one process owns an embedded engine)',
          cause: err,
        },
      );
    }
    return store;
  }

  get database(): string {
    return this.target.database;
  }

  get raw(): ClickHouseClient {
    return this.client;
  }

  private table(name: string): string {
    return `${quoteIdent(this.target.database)}.${quoteIdent(name)}`;
  }

  async ensureSource(source: SourceIR): Promise<void> {
    const id = `events:${source.name}`;
    if (this.ensured.has(id)) return;
    await this.client.command({ query: createEventsTable(this.target.database, source) });
    this.ensured.add(id);
  }

  async ensureView(view: ViewIR): Promise<void> {
    const id = `features:${view.name}:${view.version}`;
    if (this.ensured.has(id)) return;
    await this.client.command({ query: createFeaturesTable(this.target.database, view) });
    const existing = new Map(
      (
        await this.query<{ name: string; type: string }>(
          'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}',
          { db: this.target.database, t: featuresTable(view.name) },
        )
      ).map((c) => [c.name, c.type]),
    );
    for (const col of featureColumns(view)) {
      const have = existing.get(col.name);
      if (have === undefined) {
        await this.client.command({
          query: `ALTER TABLE ${this.table(featuresTable(view.name))} ADD COLUMN IF NOT EXISTS ${quoteIdent(col.name)} ${col.type} AFTER as_of`,
        });
      } else if (normalizeType(have) !== normalizeType(col.type)) {
        throw new FeatureStreamError(
          'CLICKHOUSE_COLUMN_TYPE',
          `column ${featuresTable(view.name)}.${col.name} is ${have} but version ${view.version} writes ${col.type}`,
          {
            domain: 'user',
            fix: 'give the changed feature a new name (a feature name keeps one type across versions)',
          },
        );
      }
    }
    this.ensured.add(id);
  }

  /**
   * Rows go as JSONCompactEachRow text (compact-rows.ts), the same encoding worker threads apply
   * to their own output (`encoded`); the client does not serialize them again.
   */
  appendHistory(view: ViewIR, rows: readonly HistoryRow[], writtenAt: number): Promise<void> {
    return this.appendEncodedHistory(view, encodeHistoryCompact(view, rows, writtenAt));
  }

  appendEvents(source: SourceIR, rows: readonly ArchiveRow[], ingestedAt: number): Promise<void> {
    return this.appendEncodedEvents(source, encodeEventsCompact(source, rows, ingestedAt));
  }

  get encoded(): EncodedAppends {
    return this;
  }

  appendEncodedHistory(view: ViewIR, encoded: Uint8Array): Promise<void> {
    const table = this.table(featuresTable(view.name));
    return insertCompact(this.client, table, historyInsertColumns(view), encoded);
  }

  appendEncodedEvents(source: SourceIR, encoded: Uint8Array): Promise<void> {
    const table = this.table(eventsTable(source.name));
    return insertCompact(this.client, table, eventsInsertColumns(source), encoded);
  }

  async readHistory(
    view: ViewIR,
    options: { keys?: readonly string[] } = {},
  ): Promise<HistoryRow[]> {
    const keys = keyFields(view);
    const keyCols = keys.map((k) => quoteIdent(k.name));
    const featureCols = view.features.map((f) =>
      f.valueType.base === 'timestamp' && !f.valueType.list
        ? `toUnixTimestamp64Milli(${quoteIdent(f.name)}) AS ${quoteIdent(f.name)}`
        : quoteIdent(f.name),
    );
    const filter =
      options.keys === undefined || keys.length !== 1
        ? ''
        : ` AND ${keyCols[0] ?? ''} IN {keys:Array(String)}`;
    const sql = `SELECT ${keyCols.join(', ')}, toUnixTimestamp64Milli(as_of) AS _as_of, ${featureCols.join(', ')}
FROM ${this.table(featuresTable(view.name))} FINAL
WHERE version = {version:String}${filter}
ORDER BY ${keyCols.join(', ')}, as_of`;
    const rs = await this.client.query({
      query: sql,
      query_params: {
        version: view.version,
        ...(options.keys === undefined ? {} : { keys: options.keys }),
      },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await rs.json<Record<string, unknown>>();
    return rows.map((r) => ({
      key: joinKey(keys.map((k) => String(r[k.name]))),
      asOf: Number(r._as_of),
      values: view.features.map(
        (f) => (r[f.name] ?? (f.valueType.list ? [] : null)) as FeatureValue,
      ),
    }));
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params: Record<string, unknown> = {},
  ): Promise<T[]> {
    const rs = await this.client.query({ query: sql, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function normalizeType(t: string): string {
  return t.replace(/\s+/g, '').replace(/"/g, "'");
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
