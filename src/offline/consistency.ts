import type { FeatureValue } from '../core/aggregation/aggregator.js';
import { userError } from '../core/errors.js';
import { splitKey } from '../core/topology/event-reader.js';
import type { FeatureIR, ViewIR } from '../core/topology/ir.js';
import { decodeFieldValue } from '../core/values/field-value.js';
import type { OfflineSql } from '../ports/offline-sql.js';
import type { OnlineStore, StoredVector } from '../ports/online-store.js';
import { Phases } from './progress.js';
import type { PhaseTiming, ProgressFn } from './progress.js';
import { ident, str } from './sql-text.js';
import { TempScope } from './temp-scope.js';
import { sameFeatureValue } from './value-compare.js';

/** The gauge the observability layer exports from a report (one series per view and feature). */
export const CONSISTENCY_GAUGE = 'featurestream_consistency_mismatch_ratio';

export interface ConsistencyRequest {
  /** The view (as loaded); another version's definition comes from the online registry. */
  readonly view: ViewIR;
  /** Default: the view's current version in the online store, else the loaded one. */
  readonly version?: string;
  /** Entities to sample (default 1000). */
  readonly sample?: number;
  readonly onProgress?: ProgressFn;
}

export interface Mismatch {
  readonly entity: string;
  readonly asOf: number;
  readonly online: FeatureValue;
  readonly offline: FeatureValue;
}

export interface FeatureConsistency {
  readonly feature: string;
  /** Entities compared (settled ones). */
  readonly compared: number;
  readonly mismatches: number;
  /** mismatches / compared (0 when nothing was compared). */
  readonly ratio: number;
  /** Up to 5 examples. */
  readonly examples: readonly Mismatch[];
}

export interface ConsistencyReport {
  readonly view: string;
  readonly version: string;
  /** Entity keys drawn from the online store. */
  readonly sampled: number;
  /** Entities whose online `_asof` has a history row at or after it, compared feature by feature. */
  readonly compared: number;
  /** Entities whose `_asof` the history has not reached yet (the watermark has not passed it). */
  readonly notSettled: number;
  /** Sampled entities without an online vector any more (expired between sampling and reading). */
  readonly missingOnline: number;
  readonly features: readonly FeatureConsistency[];
  /** Entities with at least one mismatching feature. */
  readonly mismatchedEntities: number;
  readonly phases: readonly PhaseTiming[];
}

/** The report as gauge samples (`featurestream_consistency_mismatch_ratio{view,feature}`). */
export function consistencyGauges(
  r: ConsistencyReport,
): { name: string; labels: { view: string; feature: string }; value: number }[] {
  return r.features.map((f) => ({
    name: CONSISTENCY_GAUGE,
    labels: { view: r.view, feature: f.feature },
    value: f.ratio,
  }));
}

async function resolveView(online: OnlineStore, req: ConsistencyRequest): Promise<ViewIR> {
  const version = req.version ?? (await online.current('view', req.view.name)) ?? req.view.version;
  if (version === req.view.version) return req.view;
  const registered = (await online.versions('view', req.view.name)).get(version);
  if (registered === undefined || typeof registered !== 'object') {
    throw userError(
      'UNKNOWN_VERSION',
      `view '${req.view.name}' version ${version} is not registered in the online store`,
      'pass a version the engine has run (--version)',
    );
  }
  return registered as ViewIR;
}

function offlineExpr(f: FeatureIR): string {
  const c = ident(f.name);
  if (f.valueType.base !== 'timestamp') return c;
  return f.valueType.list
    ? `arrayMap(x -> toUnixTimestamp64Milli(x), ${c})`
    : `toUnixTimestamp64Milli(${c})`;
}

/**
 * Measures online/offline consistency of one view version: samples entities from the online
 * store, reads each one's vector and `_asof`, recomputes the values as of that same `_asof` from
 * the history (ASOF join, FINAL, the same version) and compares feature by feature. An entity whose
 * `_asof` the history has not reached yet (rows are written once the watermark passes) is counted
 * as not yet settled, not as a mismatch.
 */
export async function measureConsistency(
  online: OnlineStore,
  sql: OfflineSql,
  request: ConsistencyRequest,
): Promise<ConsistencyReport> {
  const n = request.sample ?? 1000;
  if (!Number.isInteger(n) || n <= 0)
    throw userError('CLI_ARG', `sample size ${n} is not a positive integer`, 'e.g. --sample 1000');
  const view = await resolveView(online, request);
  const version = view.version;
  const phases = new Phases(request.onProgress, undefined);
  const keys = sql.layout.keyColumns(view);

  const sampled = await phases.run('sample', async () => {
    const entities = await online.sampleEntities(view.name, version, n);
    const vectors: (StoredVector | null)[] = [];
    for (let i = 0; i < entities.length; i += 1000) {
      vectors.push(...(await online.readVectors(view.name, version, entities.slice(i, i + 1000))));
    }
    return entities.map((entity, i) => ({ entity, vector: vectors[i] ?? null }));
  });
  const present = sampled.filter(
    (s): s is { entity: string; vector: StoredVector } =>
      s.vector !== null && s.vector.get('_asof') !== undefined,
  );

  const table = sql.table(sql.layout.featuresTable(view.name));
  const exists = await sql.query(
    `SELECT 1 FROM system.tables WHERE database = ${str(sql.database)} AND name = ${str(sql.layout.featuresTable(view.name))}`,
  );
  const features = view.features;
  const stats = features.map(() => ({ compared: 0, mismatches: 0, examples: [] as Mismatch[] }));
  let compared = 0;
  let notSettled = 0;
  const mismatched = new Set<string>();

  if (present.length > 0 && exists.length === 0) notSettled = present.length;
  else if (present.length > 0) {
    const scope = await TempScope.open(sql);
    try {
      await phases.run('compare', async () => {
        const sample = scope.table('sample');
        await sql.command(
          `CREATE TABLE ${sql.table(sample)} (_row UInt64, ${keys.map((k) => `${ident(k.name)} ${k.type}`).join(', ')}, _asof_ms Int64) ENGINE = MergeTree ORDER BY _row`,
        );
        await sql.insertRows(
          sql.table(sample),
          present.map((s, i) => {
            const parts = splitKey(s.entity, keys.length);
            const row: Record<string, unknown> = {
              _row: i,
              _asof_ms: Number(s.vector.get('_asof')),
            };
            keys.forEach((k, j) => {
              const p = parts[j] ?? '';
              row[k.name] = k.type === 'String' ? p : Number(p);
            });
            return row;
          }),
        );
        const kc = keys.map((k) => ident(k.name));
        const tuple = kc.length === 1 ? (kc[0] ?? '') : `(${kc.join(', ')})`;
        const on = (a: string): string => kc.map((k) => `s.${k} = ${a}.${k}`).join(' AND ');
        const rows = await sql.query<Record<string, unknown>>(
          `SELECT s._row AS _row, m._max_ms AS _max_ms, f._fs_matched AS _matched,
  ${features.map((f) => `f.${ident(f.name)} AS ${ident(f.name)}`).join(', ')}
FROM (SELECT *, fromUnixTimestamp64Milli(_asof_ms, 'UTC') AS _asof FROM ${sql.table(sample)}) AS s
ASOF LEFT JOIN (
  SELECT ${kc.join(', ')}, as_of, toUInt8(1) AS _fs_matched, ${features.map((f) => `${offlineExpr(f)} AS ${ident(f.name)}`).join(', ')}
  FROM ${table} FINAL
  WHERE version = ${str(version)} AND ${tuple} IN (SELECT ${kc.join(', ')} FROM ${sql.table(sample)})
) AS f ON ${on('f')} AND s._asof >= f.as_of
LEFT JOIN (
  SELECT ${kc.join(', ')}, toUnixTimestamp64Milli(max(as_of)) AS _max_ms
  FROM ${table} FINAL
  WHERE version = ${str(version)} AND ${tuple} IN (SELECT ${kc.join(', ')} FROM ${sql.table(sample)})
  GROUP BY ${kc.join(', ')}
) AS m ON ${on('m')}
ORDER BY _row
SETTINGS join_use_nulls = 0, output_format_json_quote_64bit_integers = 0`,
        );
        for (const r of rows) {
          const s = present[Number(r._row)];
          if (s === undefined) continue;
          const asOf = Number(s.vector.get('_asof'));
          if (Number(r._max_ms) < asOf) {
            notSettled++;
            continue;
          }
          compared++;
          features.forEach((f, i) => {
            const st = stats[i];
            if (st === undefined) return;
            const on = decodeFieldValue(f.valueType, s.vector.get(f.name));
            const raw = r[f.name];
            const off = (
              raw === undefined || raw === null ? (f.valueType.list ? [] : null) : raw
            ) as FeatureValue;
            st.compared++;
            if (!sameFeatureValue(f, on, off)) {
              st.mismatches++;
              mismatched.add(s.entity);
              if (st.examples.length < 5)
                st.examples.push({ entity: s.entity, asOf, online: on, offline: off });
            }
          });
        }
      });
    } finally {
      await scope.cleanup();
    }
  }

  return {
    view: view.name,
    version,
    sampled: sampled.length,
    compared,
    notSettled,
    missingOnline: sampled.length - present.length,
    features: features.map((f, i) => {
      const st = stats[i] ?? { compared: 0, mismatches: 0, examples: [] };
      return {
        feature: f.name,
        compared: st.compared,
        mismatches: st.mismatches,
        ratio: st.compared === 0 ? 0 : st.mismatches / st.compared,
        examples: st.examples,
      };
    }),
    mismatchedEntities: mismatched.size,
    phases: phases.timings,
  };
}
