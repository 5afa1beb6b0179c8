import type { ClickHouseClient } from '@clickhouse/client';
import type { ViewIR } from '../../core/topology/ir.js';
import type {
  ArchivePage,
  ArchivedPartition,
  BackfillLedger,
  BackfillMark,
  EncodedHistorySink,
  EventArchive,
} from '../../ports/event-archive.js';
import type { SourceIR } from '../../ports/history-store.js';
import { insertCompact } from './compact-insert.js';
import { historyInsertColumns } from './compact-rows.js';
import { eventsTable, featuresTable, quoteIdent } from './tables.js';

/** Settings for reading rows back as the codec produced them (64-bit integers as numbers). */
const READ_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/**
 * The raw event archive `events_{source}` (README "ClickHouse layout") read back for replays:
 * deduplicated with FINAL, one partition at a time in offset order, each event as the codec
 * decoded it (timestamps as epoch ms).
 */
export class ClickHouseEventArchive implements EventArchive {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  private table(source: SourceIR): string {
    return `${quoteIdent(this.database)}.${quoteIdent(eventsTable(source.name))}`;
  }

  async partitions(source: SourceIR): Promise<ArchivedPartition[]> {
    const exists = await this.rows<{ n: number }>(
      'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}',
      { db: this.database, t: eventsTable(source.name) },
    );
    if (Number(exists[0]?.n ?? 0) === 0) return [];
    const rows = await this.rows<{
      partition: number;
      events: number;
      first: number;
      last: number;
    }>(
      `SELECT _partition AS partition, count() AS events, min(_offset) AS first, max(_offset) AS last
FROM ${this.table(source)} FINAL
WHERE _topic = {topic:String}
GROUP BY _partition
ORDER BY _partition`,
      { topic: source.topic },
    );
    return rows.map((r) => ({
      topic: source.topic,
      partition: Number(r.partition),
      events: Number(r.events),
      firstOffset: Number(r.first),
      lastOffset: Number(r.last),
    }));
  }

  /**
   * Events with offsets in (afterOffset, min(lastOffset, afterOffset + limit)] — an offset range,
   * so each page is a primary-key range scan; gaps (records the stream dead-lettered) just make
   * a page smaller. `lastOffset` of the page is the end of the range scanned.
   */
  async readPage(
    source: SourceIR,
    partition: number,
    afterOffset: number,
    lastOffset: number,
    limit: number,
  ): Promise<ArchivePage> {
    const from = afterOffset + 1;
    const through = Math.min(lastOffset, afterOffset + limit);
    if (through < from) return { events: 0, lastOffset: afterOffset, lines: '' };
    const fields = source.schema.map((f) =>
      f.type === 'timestamp' ? `toUnixTimestamp64Milli(${quoteIdent(f.name)})` : quoteIdent(f.name),
    );
    const rs = await this.client.query({
      query: `SELECT _offset, toUnixTimestamp64Milli(_ingested_at), ${fields.join(', ')}
FROM ${this.table(source)} FINAL
WHERE _topic = {topic:String} AND _partition = {partition:UInt32}
  AND _offset >= {from:UInt64} AND _offset <= {through:UInt64}
ORDER BY _offset`,
      query_params: { topic: source.topic, partition, from, through },
      format: 'JSONCompactEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    const lines = await rs.text();
    let events = 0;
    for (let i = lines.indexOf('\n'); i >= 0; i = lines.indexOf('\n', i + 1)) events++;
    if (lines.length > 0 && !lines.endsWith('\n')) events++;
    return { events, lastOffset: through, lines };
  }

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const rs = await this.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    return rs.json<T>();
  }
}

export const BACKFILL_PROGRESS_TABLE = 'backfill_progress';

/** `backfill_progress`: one row per (view, version, as-of range, topic, partition); last wins. */
export function createBackfillProgressTable(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(db)}.${quoteIdent(BACKFILL_PROGRESS_TABLE)} (
  view String,
  version String,
  as_of_range String,
  topic String,
  partition UInt32,
  status LowCardinality(String),
  events UInt64,
  next_offset Int64,
  max_event_time Nullable(Int64),
  history_rows UInt64,
  seeded UInt8,
  updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (view, version, as_of_range, topic, partition)`;
}

/** Backfill progress in ClickHouse (`backfill_progress`, next to the history it describes). */
export class ClickHouseBackfillLedger implements BackfillLedger {
  private lastAt = 0;

  private constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  static async open(client: ClickHouseClient, database: string): Promise<ClickHouseBackfillLedger> {
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}` });
    await client.command({ query: createBackfillProgressTable(database) });
    return new ClickHouseBackfillLedger(client, database);
  }

  async marks(view: string, version: string, range: string): Promise<BackfillMark[]> {
    const rs = await this.client.query({
      query: `SELECT view, version, as_of_range, topic, partition, status, events, next_offset,
  max_event_time, history_rows, seeded
FROM ${quoteIdent(this.database)}.${quoteIdent(BACKFILL_PROGRESS_TABLE)} FINAL
WHERE view = {view:String} AND version = {version:String} AND as_of_range = {range:String}
ORDER BY topic, partition`,
      query_params: { view, version, range },
      format: 'JSONEachRow',
      clickhouse_settings: READ_SETTINGS,
    });
    const rows = await rs.json<Record<string, unknown>>();
    return rows.map((r) => ({
      view: String(r.view),
      version: String(r.version),
      range: String(r.as_of_range),
      topic: String(r.topic),
      partition: Number(r.partition),
      status: r.status === 'done' ? 'done' : 'running',
      events: Number(r.events),
      nextOffset: Number(r.next_offset),
      maxEventTime:
        r.max_event_time === null || r.max_event_time === undefined
          ? -Infinity
          : Number(r.max_event_time),
      historyRows: Number(r.history_rows),
      seeded: Number(r.seeded) === 1,
    }));
  }

  async mark(m: BackfillMark): Promise<void> {
    // A strictly increasing version column: the latest mark wins even within one millisecond.
    this.lastAt = Math.max(Date.now(), this.lastAt + 1);
    await this.client.insert({
      table: `${quoteIdent(this.database)}.${quoteIdent(BACKFILL_PROGRESS_TABLE)}`,
      values: [
        {
          view: m.view,
          version: m.version,
          as_of_range: m.range,
          topic: m.topic,
          partition: m.partition,
          status: m.status,
          events: m.events,
          next_offset: m.nextOffset,
          max_event_time: Number.isFinite(m.maxEventTime) ? m.maxEventTime : null,
          history_rows: m.historyRows,
          seeded: m.seeded ? 1 : 0,
          updated_at: this.lastAt,
        },
      ],
      format: 'JSONEachRow',
    });
  }
}

/**
 * Appends history rows encoded by `encodeHistoryCompact` (JSONCompactEachRow) to
 * `features_{view}`: the text goes to ClickHouse as it is, nothing is parsed in Node.
 */
export class ClickHouseEncodedHistory implements EncodedHistorySink {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  appendEncodedHistory(view: ViewIR, encoded: Uint8Array): Promise<void> {
    const table = `${quoteIdent(this.database)}.${quoteIdent(featuresTable(view.name))}`;
    return insertCompact(this.client, table, historyInsertColumns(view), encoded);
  }
}
