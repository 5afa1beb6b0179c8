import type { FeatureIR, ViewIR } from '../core/topology/ir.js';

/** How far a running statement has come (what the engine reports; fields may be missing). */
export interface SqlProgress {
  readonly elapsedMs: number;
  /** Rows read so far, and the engine's estimate of the total (servers only). */
  readonly readRows?: number;
  readonly totalRows?: number;
  readonly writtenRows?: number;
}

export interface SqlRunOptions {
  /** Query parameters bound as `{name:Type}`. */
  readonly params?: Record<string, unknown>;
  /** Called about once a second while the statement runs. */
  readonly onProgress?: (p: SqlProgress) => void;
}

/** Formats in which a result can be written to a local file or stream. */
export type OutputFormat = 'Parquet' | 'CSVWithNames' | 'JSONEachRow' | 'TabSeparatedWithNames';

/** A result with its column names and ClickHouse types (for printing tables). */
export interface CompactResult {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Where the documented tables live and what their columns are (README "ClickHouse layout"). */
export interface OfflineLayout {
  /** Unqualified name of a view's history table (`features_{view}`). */
  featuresTable(view: string): string;
  /** The entity key columns of a view's history table with their ClickHouse types. */
  keyColumns(view: ViewIR): { readonly name: string; readonly type: string }[];
  /** The ClickHouse type of a feature's history column. */
  featureColumnType(feature: FeatureIR): string;
}

/**
 * The offline store as a SQL engine (ClickHouse: the embedded engine or a server). The offline
 * layer builds its queries in ClickHouse SQL and runs them here; nothing is computed row by row
 * in Node except where a caller streams rows out on purpose (batch scoring).
 *
 * Statements must carry their own `SETTINGS` clause: on the embedded engine, per-request
 * settings would persist in the shared session.
 */
export interface OfflineSql {
  /** `embedded`: in-process engine, `file()` reads this machine's files; `server`: over HTTP. */
  readonly kind: 'embedded' | 'server';
  readonly database: string;
  readonly layout: OfflineLayout;
  /** A quoted, database-qualified table name. */
  table(name: string): string;
  /** A statement without a result (DDL, INSERT … SELECT). */
  command(sql: string, options?: SqlRunOptions): Promise<void>;
  /** Rows as objects (64-bit integers as numbers). */
  query<T = Record<string, unknown>>(sql: string, options?: SqlRunOptions): Promise<T[]>;
  /** Rows as arrays, with the column names and types. */
  queryCompact(sql: string, options?: SqlRunOptions): Promise<CompactResult>;
  /** Streams a query's result in `format` into `sink` (which is not ended). */
  streamTo(sql: string, format: OutputFormat, sink: NodeJS.WritableStream): Promise<void>;
  /**
   * Writes a query's result to the local file `path` (created; must not exist). The embedded
   * engine writes it itself; for a server the result is streamed to the file.
   */
  writeFile(sql: string, path: string, format: 'Parquet' | 'CSVWithNames'): Promise<void>;
  /**
   * Loads the local CSV file `path` (a header line, then rows) into `table`, whose columns are
   * the header's names (all String). The embedded engine reads the file itself; a server gets it
   * streamed.
   */
  loadCsv(table: string, path: string, columns: readonly string[]): Promise<void>;
  /** Inserts rows given as objects (small volumes: samples, score batches). */
  insertRows(table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}
