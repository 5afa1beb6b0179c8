import { describe, expect, it } from 'vitest';
import { JsonCodec } from '../../../src/adapters/json/json-codec.js';
import { prng } from '../../../src/cli/demo/transaction-generator.js';
import { compileView } from '../../../src/core/topology/compile.js';
import type { HistoryRow } from '../../../src/core/windowing/partition-runtime.js';
import { decodeArchivePage } from '../../../src/engine/archive-page.js';
import { SourceProcessor } from '../../../src/engine/source-processor.js';
import type { ArchivedEvent } from '../../../src/engine/source-processor.js';
import type { SourceRecord } from '../../../src/ports/event-source.js';
import type { EntityWrite } from '../../../src/ports/online-store.js';
import { derived, entity, featureView, field, source } from '../../../src/index.js';

const INGESTED = Date.UTC(2025, 0, 2);
const BOUNDS = { minEventTime: Date.UTC(2000, 0, 1), maxFutureMs: 86_400_000 };

function view() {
  const acct = entity('acct', { keys: ['acct'] });
  const src = source('replay_src', {
    topic: 'replay_topic',
    schema: {
      acct: field.string(),
      amount: field.double(),
      merchant: field.string().optional(),
      ts: field.timestamp(),
    },
    eventTime: 'ts',
    key: ['acct'],
  });
  return compileView(
    featureView('replay_view', {
      entity: acct,
      source: src,
      allowedLateness: '3s',
      derive: { cents: derived.double((e: { amount: number }) => Math.round(e.amount * 100)) },
      filter: (e) => e.amount !== 13,
      features: (f) => ({
        n_10s: f.count().over('10s'),
        sum_30s: f.sum('cents').over('30s'),
        mean_1m: f.mean('amount').over('1m'),
        merchants_1m: f.distinctCount('merchant').over('1m'),
        p90_1m: f.quantile('amount', 0.9).over('1m'),
        last_merchant: f.last('merchant').lifetime(),
        tumbling_10s: f.count().every('10s'),
      }),
    }),
  );
}

/** One partition's records: out-of-order, late, filtered, undecodable and idle-gap events. */
function records(n: number, seed: number): SourceRecord[] {
  const r = prng(seed);
  let base = Date.UTC(2025, 0, 1, 12);
  const out: SourceRecord[] = [];
  for (let i = 0; i < n; i++) {
    base += r() < 0.02 ? 45_000 : Math.floor(r() * 900);
    let ts = base;
    const j = r();
    if (j < 0.15) ts -= Math.floor(r() * 3_000);
    else if (j < 0.2) ts -= 3_000 + Math.floor(r() * 6_000);
    const event = {
      acct: `a${Math.floor(r() * 7)}`,
      amount: r() < 0.03 ? 13 : Math.round(r() * 50_000) / 100,
      merchant: r() < 0.2 ? null : `m${Math.floor(r() * 5)}`,
      ts,
    };
    const value = r() < 0.01 ? '{not json' : JSON.stringify(event);
    out.push({ offset: i, key: null, value: new TextEncoder().encode(value), timestamp: ts });
  }
  return out;
}

/** What the archive holds for `recs`: the decodable events, as JSON lines (ports/event-archive). */
function archiveLines(recs: readonly SourceRecord[], codec: JsonCodec, fields: string[]): string[] {
  const lines: string[] = [];
  for (const rec of recs) {
    if (rec.value === null) continue;
    const d = codec.decode(rec.value);
    if (!d.ok) continue;
    lines.push(JSON.stringify([rec.offset, INGESTED, ...fields.map((f) => d.row[f] ?? null)]));
  }
  return lines;
}

const sorted = (rows: readonly HistoryRow[]): HistoryRow[] =>
  [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.asOf - b.asOf));

describe('SourceProcessor.replay (backfill path)', () => {
  const v = view();
  const codec = new JsonCodec(v.ir.source.schema);
  const fields = v.ir.source.schema.map((f) => f.name);
  const recs = records(4_000, 5);

  function stream(batch: number): {
    rows: HistoryRow[];
    late: number;
    maxEventTime: number;
    final: Map<string, EntityWrite>;
  } {
    const sp = new SourceProcessor(v.ir.source.topic, [v], codec, BOUNDS);
    const rows: HistoryRow[] = [];
    const final = new Map<string, EntityWrite>();
    let late = 0;
    let maxEventTime = -Infinity;
    for (let i = 0; i < recs.length; i += batch) {
      const out = sp.process(0, recs.slice(i, i + batch), INGESTED);
      late += out.counters.late;
      maxEventTime = out.maxEventTime;
      for (const vo of out.views) {
        rows.push(...vo.rows);
        for (const w of vo.writes) final.set(w.key, w);
      }
    }
    return { rows, late, maxEventTime, final };
  }

  it('replays archived events into exactly the rows the stream produced, whatever the paging', () => {
    const want = stream(97);
    expect(want.late).toBeGreaterThan(0);
    const lines = archiveLines(recs, codec, fields);
    for (const page of [1, 250, 10_000]) {
      const sp = new SourceProcessor(v.ir.source.topic, [v], codec, BOUNDS);
      sp.assign(0, -Infinity, []);
      const rows: HistoryRow[] = [];
      let late = 0;
      let maxEventTime = -Infinity;
      for (let i = 0; i < lines.length; i += page) {
        const events: ArchivedEvent[] = decodeArchivePage(
          lines.slice(i, i + page).join('\n'),
          v.ir.source.schema,
        );
        const out = sp.replay(0, events);
        late += out.counters.late;
        rows.push(...(out.rows[0] ?? []));
        maxEventTime = out.maxEventTime;
      }
      expect(late).toBe(want.late);
      // Per entity the same rows; across entities the order depends on batch boundaries.
      expect(sorted(rows)).toEqual(sorted(want.rows));
      expect(maxEventTime).toBe(want.maxEventTime);

      // The final online state: the same entities, as-of times, fences and values.
      const snap = sp.snapshot(0, 0, 1_000);
      const writes = snap.views[0]?.writes ?? [];
      expect(snap.total).toBe(want.final.size);
      expect(writes.length).toBe(want.final.size);
      for (const w of writes) {
        const s = want.final.get(w.key);
        expect(s, w.key).toBeDefined();
        expect(w.asOf).toBe(s?.asOf);
        expect(w.fence).toBe(s?.fence);
        expect(w.state).not.toBeNull();
        w.values.forEach((x, i) => {
          const y = s?.values[i] ?? null;
          if (typeof x === 'number' && typeof y === 'number') expect(x).toBeCloseTo(y, 9);
          else expect(x).toEqual(y);
        });
      }
    }
  });

  it('keeps only history rows with as-of in [from, to)', () => {
    const lines = archiveLines(recs, codec, fields);
    const all =
      new SourceProcessor(v.ir.source.topic, [v], codec, BOUNDS).replay(
        0,
        decodeArchivePage(lines.join('\n'), v.ir.source.schema),
      ).rows[0] ?? [];
    const from = all[Math.floor(all.length / 3)]?.asOf ?? 0;
    const to = all[Math.floor((2 * all.length) / 3)]?.asOf ?? 0;
    const some =
      new SourceProcessor(v.ir.source.topic, [v], codec, BOUNDS).replay(
        0,
        decodeArchivePage(lines.join('\n'), v.ir.source.schema),
        { fromMs: from, toMs: to },
      ).rows[0] ?? [];
    expect(some).toEqual(all.filter((r) => r.asOf >= from && r.asOf < to));
    expect(some.length).toBeGreaterThan(0);
  });

  it('judges event times against the ingestion time, not the wall clock', () => {
    const sp = new SourceProcessor(v.ir.source.topic, [v], codec, BOUNDS);
    const far = INGESTED + 2 * 86_400_000;
    const out = sp.replay(0, [
      {
        offset: 0,
        ingestedAt: INGESTED,
        row: { acct: 'a', amount: 1, merchant: null, ts: INGESTED },
      },
      { offset: 1, ingestedAt: INGESTED, row: { acct: 'a', amount: 1, merchant: null, ts: far } },
      { offset: 2, ingestedAt: INGESTED, row: { acct: 'a', amount: 1, merchant: null, ts: 5 } },
    ]);
    expect(out.counters.applied).toBe(1);
    expect(out.counters.dead).toEqual({ absurd_timestamp: 2 });
    expect(out.nextOffset).toBe(3);
  });

  it('decodes archive pages: fields in schema order after offset and ingestion time', () => {
    const page = '[7, 1000, "a|b", 1.5, null, 1735732800123]\n[9, 1001, "x", 2, "m", 0]\n';
    expect(decodeArchivePage(page, v.ir.source.schema)).toEqual([
      {
        offset: 7,
        ingestedAt: 1000,
        row: { acct: 'a|b', amount: 1.5, merchant: null, ts: 1735732800123 },
      },
      { offset: 9, ingestedAt: 1001, row: { acct: 'x', amount: 2, merchant: 'm', ts: 0 } },
    ]);
    expect(decodeArchivePage('', v.ir.source.schema)).toEqual([]);
  });
});
