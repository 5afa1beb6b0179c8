import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OfflineSql } from '../ports/offline-sql.js';
import { str as literal } from './sql-text.js';

/** Prefix of every temporary table of offline commands (left behind only by a killed process). */
export const TEMP_TABLE_PREFIX = '_fs_tmp_';

/** Temporary tables older than this are a killed run's leftovers (`TempScope.sweepStale`). */
export const STALE_TEMP_TABLE_MS = 24 * 3_600_000;

/**
 * The temporary tables and files of one offline operation: named uniquely, dropped and deleted by
 * `cleanup()` unless handed over (`release`) to become the output.
 */
export class TempScope {
  readonly id = randomBytes(6).toString('hex');
  private readonly tables = new Set<string>();
  private readonly files = new Set<string>();

  constructor(private readonly sql: OfflineSql) {}

  /** A new scope, after dropping what killed runs left behind (`sweepStale`). */
  static async open(sql: OfflineSql): Promise<TempScope> {
    await TempScope.sweepStale(sql);
    return new TempScope(sql);
  }

  /** A new temporary table name (unqualified) in the store's database. */
  table(suffix: string): string {
    const name = `${TEMP_TABLE_PREFIX}${this.id}_${suffix}`;
    this.tables.add(name);
    return name;
  }

  /** A temporary file beside `target` (same directory, so a rename moves it into place). */
  fileBeside(target: string): string {
    const path = join(dirname(target), `.${basename(target)}.${this.id}.tmp`);
    this.files.add(path);
    return path;
  }

  /** `name` is no longer temporary (it was renamed into place). */
  release(name: string): void {
    this.tables.delete(name);
    this.files.delete(name);
  }

  /**
   * Drops the temporary tables a killed run (`kill -9`) left behind: `_fs_tmp_*` tables of the
   * store's database created more than `maxAgeMs` ago (a running job's tables are younger).
   * Returns their names; never throws (a sweep must not stop the job that runs it).
   */
  static async sweepStale(
    sql: OfflineSql,
    maxAgeMs: number = STALE_TEMP_TABLE_MS,
  ): Promise<string[]> {
    try {
      const stale = await sql.query<{ name: string }>(
        `SELECT name FROM system.tables WHERE database = ${literal(sql.database)}
  AND startsWith(name, ${literal(TEMP_TABLE_PREFIX)})
  AND metadata_modification_time < now() - toIntervalSecond(${Math.floor(maxAgeMs / 1000)})`,
      );
      for (const t of stale) await sql.command(`DROP TABLE IF EXISTS ${sql.table(t.name)}`);
      return stale.map((t) => t.name);
    } catch {
      return [];
    }
  }

  /** Drops the temporary tables and deletes the temporary files; never throws. */
  async cleanup(): Promise<void> {
    for (const t of this.tables) {
      await this.sql.command(`DROP TABLE IF EXISTS ${this.sql.table(t)}`).catch(() => undefined);
    }
    this.tables.clear();
    for (const f of this.files) await rm(f, { force: true }).catch(() => undefined);
    this.files.clear();
  }
}
