import { userError } from '../core/errors.js';
import type { CompiledView } from '../core/topology/compile.js';
import type { OfflineSql, SqlProgress } from '../ports/offline-sql.js';
import { groupByViewVersion } from './feature-selection.js';
import type { SelectedFeature } from './feature-selection.js';
import { stageLabels } from './labels.js';
import type { KeyNeed, LabelSource, StagedLabels } from './labels.js';
import { KEY_HASH_COLLISION, pointInTimeSelect } from './point-in-time.js';
import type { HistoryJoin, PointInTimeOptions } from './point-in-time.js';
import type { Phases } from './progress.js';
import { isJoinDefault, str, valueLiteral } from './sql-text.js';
import type { TempScope } from './temp-scope.js';

export interface FrameRequest {
  readonly labels: LabelSource;
  readonly features: readonly SelectedFeature[];
  /** label column → entity key. */
  readonly keys?: Readonly<Record<string, string>>;
  /** Label time column (default `ts`). */
  readonly at?: string;
}

/** A point-in-time frame in a temporary table: `_row`, the label columns, the features. */
export interface Frame {
  /** Unqualified temporary table, MergeTree ordered by `_row` (0 … rows − 1, label order). */
  readonly table: string;
  readonly labels: StagedLabels;
  readonly features: readonly SelectedFeature[];
  readonly rows: number;
  /** The SELECT that computed it (for --explain and docs). */
  readonly sql: string;
}

/**
 * Checks that every selected view has a history table with the feature columns and rows of the
 * pinned version; the error lists the versions that do exist.
 */
async function checkHistory(
  sql: OfflineSql,
  groups: readonly { view: CompiledView; version: string; features: SelectedFeature[] }[],
): Promise<void> {
  for (const g of groups) {
    const table = sql.layout.featuresTable(g.view.name);
    const cols = await sql.query<{ name: string }>(
      `SELECT name FROM system.columns WHERE database = ${str(sql.database)} AND table = ${str(table)}`,
    );
    if (cols.length === 0) {
      throw userError(
        'NO_HISTORY',
        `view '${g.view.name}' has no history yet (no table ${sql.database}.${table})`,
        'run the engine on this view first (featurestream run), or check CLICKHOUSE_URL / CLICKHOUSE_PATH / CLICKHOUSE_DATABASE',
      );
    }
    const have = new Set(cols.map((c) => c.name));
    for (const f of g.features) {
      if (!have.has(f.feature.name)) {
        throw userError(
          'NO_HISTORY',
          `the history of view '${g.view.name}' has no column '${f.feature.name}' (the engine has not run a version with this feature)`,
          'run the engine on the current topology first',
        );
      }
    }
    const t = sql.table(table);
    const hit = await sql.query(`SELECT 1 FROM ${t} WHERE version = ${str(g.version)} LIMIT 1`);
    if (hit.length === 0) {
      const versions = await sql.query<{ version: string }>(
        `SELECT DISTINCT version FROM ${t} ORDER BY version LIMIT 20`,
      );
      throw userError(
        'NO_HISTORY',
        `the history of view '${g.view.name}' has no rows of version ${g.version} (versions with history: ${versions.map((v) => v.version).join(', ') || 'none'})`,
        'pin a version with history (--version view=VERSION), or run the engine on this version first',
      );
    }
  }
}

/** The entity keys the labels must carry, per the selected views. */
function keyNeeds(
  sql: OfflineSql,
  groups: readonly { view: CompiledView }[],
): { needs: KeyNeed[]; byView: Map<string, { name: string; type: string }[]> } {
  const needs = new Map<string, { key: string; type: string; views: string[] }>();
  const byView = new Map<string, { name: string; type: string }[]>();
  for (const g of groups) {
    const keys = sql.layout.keyColumns(g.view.ir);
    byView.set(g.view.name, keys);
    for (const k of keys) {
      const id = `${k.name}\u0000${k.type}`;
      const n = needs.get(id);
      if (n === undefined) needs.set(id, { key: k.name, type: k.type, views: [g.view.name] });
      else if (!n.views.includes(g.view.name)) n.views.push(g.view.name);
    }
  }
  return { needs: [...needs.values()], byView };
}

/**
 * Labels covering less than 1/NARROW_RATIO of a version's history rows narrow the history to
 * their entities before the join; denser labels join the whole version (measured on
 * bench:offline's shape, 2M labels over 10M rows of 2M entities: the join took 15.1 s with the filter, 10.6 s without).
 */
const NARROW_RATIO = 20;

async function worthNarrowing(
  sql: OfflineSql,
  table: string,
  version: string,
  labelRows: number,
): Promise<boolean> {
  const [row] = await sql.query<{ n: number }>(
    `SELECT count() AS n FROM ${table} WHERE version = ${str(version)} SETTINGS output_format_json_quote_64bit_integers = 0`,
  );
  return labelRows * NARROW_RATIO < Number(row?.n ?? 0);
}

/**
 * Builds the point-in-time frame inside ClickHouse: stages the labels (phase `labels`), then
 * joins every selected view's history AS OF each label's time into a temporary table (phase
 * `join`). The caller owns `scope` (and so the cleanup of every temporary table).
 */
export async function buildFrame(
  sql: OfflineSql,
  scope: TempScope,
  req: FrameRequest,
  phases: Phases,
  pointInTime: PointInTimeOptions = {},
): Promise<Frame> {
  const groups = groupByViewVersion(req.features);
  const { needs, byView } = keyNeeds(sql, groups);
  const labels = await phases.run('labels', async () => {
    await checkHistory(sql, groups);
    return stageLabels(sql, scope, req.labels, {
      time: req.at ?? 'ts',
      keyMap: req.keys ?? {},
      needs,
      reserved: req.features.map((f) => f.name),
    });
  });
  const joins: HistoryJoin[] = [];
  for (const g of groups) {
    const table = sql.table(sql.layout.featuresTable(g.view.name));
    joins.push({
      table,
      version: g.version,
      narrowToLabelKeys: await worthNarrowing(sql, table, g.version, labels.rows),
      keys: (byView.get(g.view.name) ?? []).map((k) => ({
        label: labels.keyColumn.get(k.name) ?? k.name,
        history: k.name,
      })),
      features: g.features.map((f) => {
        const vt = f.feature.valueType;
        const empty =
          f.empty === undefined || isJoinDefault(f.empty, vt)
            ? undefined
            : valueLiteral(f.empty, vt, sql.layout.featureColumnType(f.feature));
        return { column: f.feature.name, as: f.name, ...(empty === undefined ? {} : { empty }) };
      }),
    });
  }
  const labelsRef = {
    table: sql.table(labels.table),
    columns: labels.columns.map((c) => c.name),
    time: labels.time,
  };
  const frame = scope.table('frame');
  const build = async (
    options: PointInTimeOptions,
    onProgress: (p: SqlProgress) => void,
  ): Promise<string> => {
    const select = pointInTimeSelect(labelsRef, joins, options);
    await sql.command(
      `CREATE TABLE ${sql.table(frame)} ENGINE = MergeTree ORDER BY _row AS\n${select}`,
      { onProgress },
    );
    return select;
  };
  const select = await phases.run('join', async (onProgress) => {
    try {
      return await build({ keyMatch: 'hash', ...pointInTime }, onProgress);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.includes(KEY_HASH_COLLISION)) throw e;
      // Two entities share a key hash: compare the keys themselves (slower, same result).
      await sql.command(`DROP TABLE IF EXISTS ${sql.table(frame)}`);
      return build({ ...pointInTime, keyMatch: 'exact' }, onProgress);
    }
  });
  return { table: frame, labels, features: req.features, rows: labels.rows, sql: select };
}
