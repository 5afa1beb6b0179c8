import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { FeatureStreamError } from '../../core/errors.js';
import type {
  CompactResult,
  OfflineLayout,
  OfflineSql,
  OutputFormat,
  SqlProgress,
  SqlRunOptions,
} from '../../ports/offline-sql.js';
import { ClickHouseHistoryStore, openClickHouse } from './clickhouse-history-store.js';
import type { ClickHouseTarget } from './clickhouse-history-store.js';
import { featuresTable, keyFields, keyType, quoteIdent, valueColumnType } from './tables.js';

/** Long offline statements (training sets over months of history) outlive the engine's timeout. */
const OFFLINE_REQUEST_TIMEOUT_MS = 6 * 3_600_000;
const PROGRESS_EVERY_MS = 1_000;

const LAYOUT: OfflineLayout = {
  featuresTable,
  keyColumns: (view) => keyFields(view).map((k) => ({ name: k.name, type: keyType(k) })),
  featureColumnType: (f) => valueColumnType(f.valueType),
};

/** A ClickHouse string literal. */
function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The offline store as a SQL engine on ClickHouse: the embedded engine (chdb) or a server.
 * See the `OfflineSql` port. Statements carry their own SETTINGS clauses; the only per-request
 * setting is `wait_end_of_query` (servers report errors of long statements reliably with it; the
 * embedded engine ignores it).
 */
export class ClickHouseOfflineSql implements OfflineSql {
  readonly layout = LAYOUT;

  private constructor(
    private readonly client: ClickHouseClient,
    readonly kind: 'embedded' | 'server',
    readonly database: string,
    private readonly ownsClient: boolean,
  ) {}

  /** Opens ClickHouse for offline work (a server client with a long request timeout). */
  static async open(target: ClickHouseTarget): Promise<ClickHouseOfflineSql> {
    const server = target.url !== undefined && target.url !== '';
    // Creates the database and reports an unreachable server or a locked path clearly.
    const history = await ClickHouseHistoryStore.open(target);
    if (!server) {
      // Unqualified table names (analyst queries) resolve in the configured database.
      await history.raw.command({ query: `USE ${quoteIdent(target.database)}` });
      return new ClickHouseOfflineSql(history.raw, 'embedded', target.database, true);
    }
    await history.close();
    const client = createClient({
      url: target.url,
      database: target.database,
      log: { level: ClickHouseLogLevel.OFF },
      request_timeout: OFFLINE_REQUEST_TIMEOUT_MS,
    });
    return new ClickHouseOfflineSql(client, 'server', target.database, true);
  }

  /** Offline SQL over the client of an open history store (shared; `close()` leaves it open). */
  static of(store: ClickHouseHistoryStore): ClickHouseOfflineSql {
    return new ClickHouseOfflineSql(
      store.raw,
      store.kind === 'clickhouse' ? 'server' : 'embedded',
      store.database,
      false,
    );
  }

  /** Opens the embedded engine directly (tools and tests). */
  static embedded(target: ClickHouseTarget): ClickHouseOfflineSql {
    return new ClickHouseOfflineSql(openClickHouse(target), 'embedded', target.database, true);
  }

  table(name: string): string {
    return `${quoteIdent(this.database)}.${quoteIdent(name)}`;
  }

  async command(sql: string, options: SqlRunOptions = {}): Promise<void> {
    await this.tracked(options, (query_id) =>
      this.client.command({
        query: sql,
        query_id,
        ...(options.params === undefined ? {} : { query_params: options.params }),
        clickhouse_settings: { wait_end_of_query: 1 },
      }),
    );
  }

  async query<T = Record<string, unknown>>(sql: string, options: SqlRunOptions = {}): Promise<T[]> {
    return this.tracked(options, async (query_id) => {
      const rs = await this.client.query({
        query: sql,
        query_id,
        format: 'JSONEachRow',
        ...(options.params === undefined ? {} : { query_params: options.params }),
      });
      return rs.json<T>();
    });
  }

  async queryCompact(sql: string, options: SqlRunOptions = {}): Promise<CompactResult> {
    return this.tracked(options, async (query_id) => {
      const rs = await this.client.query({
        query: sql,
        query_id,
        format: 'JSONCompact',
        ...(options.params === undefined ? {} : { query_params: options.params }),
      });
      const body = (await rs.json()) as unknown as {
        meta?: { name: string; type: string }[];
        data?: unknown[][];
      };
      return { columns: body.meta ?? [], rows: body.data ?? [] };
    });
  }

  async streamTo(sql: string, format: OutputFormat, sink: NodeJS.WritableStream): Promise<void> {
    const res = await this.client
      .exec({ query: `${sql}\nFORMAT ${format}` })
      .catch((err: unknown) => {
        throw queryError(err);
      });
    const stream = res.stream;
    for await (const chunk of stream) {
      if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
    }
  }

  async writeFile(sql: string, path: string, format: 'Parquet' | 'CSVWithNames'): Promise<void> {
    if (this.kind === 'embedded') {
      await this.command(
        `INSERT INTO FUNCTION file(${literal(resolve(path))}, ${literal(format)})\n${sql}`,
      );
      return;
    }
    const res = await this.client
      .exec({ query: `${sql}\nFORMAT ${format}` })
      .catch((err: unknown) => {
        throw queryError(err);
      });
    await pipeline(res.stream, createWriteStream(path, { flags: 'wx' }));
  }

  async loadCsv(table: string, path: string, columns: readonly string[]): Promise<void> {
    const cols = columns.map(quoteIdent).join(', ');
    if (this.kind === 'embedded') {
      const structure = columns.map((c) => `${quoteIdent(c)} String`).join(', ');
      await this.command(
        `INSERT INTO ${table} (${cols}) SELECT * FROM file(${literal(resolve(path))}, 'CSVWithNames', ${literal(structure)}) SETTINGS input_format_with_names_use_header = 0, max_threads = 1`,
      );
      return;
    }
    try {
      // Columns by position (the header is skipped), so header spelling cannot drop a column.
      await this.client.insert({
        table,
        values: createReadStream(path),
        format: 'CSVWithNames',
        columns: [...columns] as [string, ...string[]],
        clickhouse_settings: { input_format_with_names_use_header: 0 },
      });
    } catch (err) {
      throw queryError(err);
    }
  }

  async insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table, values: [...rows], format: 'JSONEachRow' });
    } catch (err) {
      throw queryError(err);
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Runs `fn` with a query id and reports progress while it runs. */
  private async tracked<T>(
    options: SqlRunOptions,
    fn: (queryId: string) => Promise<T>,
  ): Promise<T> {
    const queryId = randomUUID();
    const onProgress = options.onProgress;
    const started = performance.now();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    if (onProgress !== undefined) {
      const tick = async (): Promise<void> => {
        const p = await this.poll(queryId, performance.now() - started);
        if (done) return;
        onProgress(p);
        timer = setTimeout(() => void tick(), PROGRESS_EVERY_MS);
      };
      timer = setTimeout(() => void tick(), PROGRESS_EVERY_MS);
    }
    try {
      return await fn(queryId);
    } catch (err) {
      throw queryError(err);
    } finally {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /**
   * The progress of a running statement. A server answers from system.processes; the embedded
   * engine runs one statement at a time (a second query would wait for the first), so it only
   * reports the elapsed time.
   */
  private async poll(queryId: string, elapsedMs: number): Promise<SqlProgress> {
    if (this.kind === 'embedded') return { elapsedMs };
    try {
      const rs = await this.client.query({
        query:
          'SELECT read_rows, total_rows_approx, written_rows FROM system.processes WHERE query_id = {id:String}',
        query_params: { id: queryId },
        format: 'JSONEachRow',
      });
      const [row] = await rs.json<{
        read_rows: string | number;
        total_rows_approx: string | number;
        written_rows: string | number;
      }>();
      if (row === undefined) return { elapsedMs };
      return {
        elapsedMs,
        readRows: Number(row.read_rows),
        totalRows: Number(row.total_rows_approx),
        writtenRows: Number(row.written_rows),
      };
    } catch {
      return { elapsedMs };
    }
  }
}

/** One line of a ClickHouse error, as a FeatureStreamError (already converted errors pass). */
function queryError(err: unknown): FeatureStreamError {
  if (err instanceof FeatureStreamError) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const line = (raw.split('\n')[0] ?? '')
    .replace(/^Code: \d+\. DB::Exception: /, '')
    .replace(/\s*\(version [^)]*\)\s*$/, '')
    .trim();
  const code = (err as { type?: unknown }).type;
  return new FeatureStreamError(
    'CLICKHOUSE_QUERY',
    `${line.length > 400 ? `${line.slice(0, 400)}…` : line}${typeof code === 'string' && !line.includes(code) ? ` (${code})` : ''}`,
    { domain: 'external', cause: err },
  );
}
