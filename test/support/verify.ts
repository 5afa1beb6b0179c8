/** Checks what the engine wrote (Redis hashes, ClickHouse history) against the oracle. */
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { CompiledView } from '../../src/core/topology/compile.js';
import { decodeFieldValue } from '../../src/core/values/field-value.js';
import type { HistoryStore } from '../../src/ports/history-store.js';
import { diffValues } from './expected.js';
import type { Expected } from './expected.js';

export async function expectRedisMatches(
  redis: Redis,
  view: CompiledView,
  expected: Expected,
): Promise<void> {
  expect(await redis.get(`fs:${view.name}:current`)).toBe(view.version);
  const problems: string[] = [];
  for (const [key, want] of expected.online) {
    const hash = await redis.hgetall(`fs:${view.name}:${view.version}:${key}`);
    if (Number(hash._asof) !== want.asOf)
      problems.push(`${key}: _asof ${hash._asof} ≠ ${want.asOf}`);
    const got = view.ir.features.map((f) => decodeFieldValue(f.valueType, hash[f.name]));
    problems.push(...diffValues(view, expected, key, want.asOf, got, want.values));
  }
  expect(problems.slice(0, 20)).toEqual([]);
}

/** Returns the number of rows compared. */
export async function expectHistoryMatches(
  history: HistoryStore,
  view: CompiledView,
  expected: Expected,
): Promise<number> {
  const rows = await history.readHistory(view.ir);
  const byKey = new Map<string, typeof rows>();
  for (const r of rows) {
    const list = byKey.get(r.key) ?? [];
    list.push(r);
    byKey.set(r.key, list);
  }
  expect(
    [...byKey.keys()].filter((k) => !expected.rows.has(k)),
    'unexpected entities',
  ).toEqual([]);
  let compared = 0;
  const problems: string[] = [];
  for (const [key, want] of expected.rows) {
    const got = byKey.get(key) ?? [];
    expect(
      got.map((r) => r.asOf),
      `history times of ${key}`,
    ).toEqual(want.map((r) => r.asOf));
    got.forEach((r, i) => {
      problems.push(...diffValues(view, expected, key, r.asOf, r.values, want[i]?.values ?? []));
      compared++;
    });
  }
  expect(problems.slice(0, 20)).toEqual([]);
  return compared;
}
