import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregator } from '../../../src/core/aggregation/aggregator.js';
import { createAggregator } from '../../../src/core/aggregation/registry.js';
import { ByteWriter } from '../../../src/core/encoding/bytes.js';
import { EMPTY_RING, SlabSeries } from '../../../src/core/windowing/slab-series.js';

const TILE = 1_000;
const ENTITIES = 4;
/** Ring marks sit after other marks in an entity's array, as in `ViewPlan.initialMarks`. */
const AT = 3;

type Op =
  | { kind: 'event'; e: number; gap: number; value: number }
  | { kind: 'drop'; e: number; keep: number }
  | { kind: 'check'; e: number };

const entityIndex = fc.integer({ min: 0, max: ENTITIES - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      e: entityIndex,
      gap: fc.oneof(
        { arbitrary: fc.constant(0), weight: 2 },
        { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 6 },
        { arbitrary: fc.integer({ min: 4, max: 200 }), weight: 1 },
      ),
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      e: entityIndex,
      keep: fc.integer({ min: 0, max: 400 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('check' as const), e: entityIndex }), weight: 2 },
);

function hex(write: (w: ByteWriter) => void): string {
  const w = new ByteWriter(8);
  write(w);
  return Buffer.from(w.finish()).toString('hex');
}

/** The series bytes of a model (tiles as object IRs), written tile by tile. */
function modelBytes(agg: Aggregator, tiles: readonly { start: number; ir: unknown }[]): string {
  return hex((w) => {
    w.uvar(tiles.length);
    let prev = 0;
    for (const [i, t] of tiles.entries()) {
      if (i === 0) w.svar(t.start / TILE);
      agg.encode(t.ir, w);
      if (i + 1 < tiles.length) w.svar(((tiles[i + 1]?.start ?? 0) - t.start) / TILE);
      prev = t.start;
    }
    void prev;
  });
}

/**
 * Several entities share one slab, their events, drops and checks interleaved: rings grow
 * (blocks move to a larger size class, freed blocks are reused by other entities, the slab
 * itself grows) and wrap around; each entity's tiles always equal
 * a model of object IRs — starts, IRs, merges over any range, and the state bytes.
 */
describe('SlabSeries (fixed-width tiles of many entities in one Float64Array)', () => {
  for (const name of ['sum', 'max', 'count', 'variance'] as const) {
    it(`keeps every entity's tiles equal to a model (${name})`, () => {
      const agg = createAggregator(name);
      const slots = agg.slots;
      if (slots === undefined) throw new Error(`${name} has no slots`);
      fc.assert(
        fc.property(fc.array(op, { minLength: 200, maxLength: 1500, size: 'max' }), (ops) => {
          // A small first slab, so it grows many times in every run.
          const slab = new SlabSeries(slots, AT, 16);
          const marks = Array.from({ length: ENTITIES }, () => [7, 7, 7, ...EMPTY_RING, 7]);
          const model = Array.from(
            { length: ENTITIES },
            () => [] as { start: number; ir: unknown }[],
          );
          const clock = Array.from({ length: ENTITIES }, () => 1_700_000_000_000);
          const check = (e: number): void => {
            const d = slab.bind(marks[e] ?? []);
            const tiles = model[e] ?? [];
            expect(d.size).toBe(tiles.length);
            tiles.forEach((t, k) => {
              expect(d.startAt(d.head + k)).toBe(t.start);
              expect(hex((w) => agg.encode(d.irAt(d.head + k), w))).toBe(
                hex((w) => agg.encode(t.ir, w)),
              );
            });
            expect(d.startAt(d.head - 1)).toBe(Infinity);
            expect(d.startAt(d.end)).toBe(Infinity);
            const merged = d.mergeRange(agg, agg.empty(), d.head, d.end);
            const expected = tiles.reduce((acc, t) => agg.merge(acc, agg.clone(t.ir)), agg.empty());
            expect(hex((w) => agg.encode(merged, w))).toBe(hex((w) => agg.encode(expected, w)));
            expect(hex((w) => d.encodeTo(w, agg, TILE))).toBe(modelBytes(agg, tiles));
            expect([...(marks[e] ?? [])].filter((_, i) => i < AT || i === AT + 4)).toEqual([
              7, 7, 7, 7,
            ]);
          };
          for (const o of ops) {
            const tiles = model[o.e] ?? [];
            const d = slab.bind(marks[o.e] ?? []);
            if (o.kind === 'event') {
              const t = (clock[o.e] ?? 0) + o.gap * TILE + (o.gap === 0 ? 1 : 0);
              clock[o.e] = t;
              const start = Math.floor(t / TILE) * TILE;
              d.update(start, agg, o.value, t);
              const last = tiles[tiles.length - 1];
              if (last !== undefined && last.start === start)
                last.ir = agg.update(last.ir, o.value, t);
              else tiles.push({ start, ir: agg.update(agg.empty(), o.value, t) });
            } else if (o.kind === 'drop') {
              const minStart = Math.floor((clock[o.e] ?? 0) / TILE) * TILE - o.keep * TILE;
              const before = tiles.length;
              while (tiles.length > 0 && (tiles[0]?.start ?? 0) < minStart) tiles.shift();
              expect(d.dropBefore(minStart)).toBe(before - tiles.length);
              expect(d.compact()).toBe(0);
            } else check(o.e);
          }
          for (let e = 0; e < ENTITIES; e++) check(e);
        }),
        { numRuns: 20 },
      );
    });
  }

  it('gives an emptied ring back: idle entities hold no slab space, new ones reuse it', () => {
    const agg = createAggregator('sum');
    const slots = agg.slots;
    if (slots === undefined) throw new Error('sum has no slots');
    const slab = new SlabSeries(slots, AT, 16);
    const burst = (entities: number, t0: number): number[][] => {
      const marks = Array.from({ length: entities }, () => [7, 7, 7, ...EMPTY_RING, 7]);
      for (let k = 0; k < 40; k++)
        for (const m of marks) slab.bind(m).update(t0 + k * TILE, agg, k, t0 + k * TILE);
      for (const m of marks) {
        const d = slab.bind(m);
        expect(d.dropBefore(t0 + 40 * TILE)).toBe(40);
        expect(d.size).toBe(0);
      }
      return marks;
    };
    burst(50, 1_700_000_000_000);
    const reserved = slab.reservedDoubles;
    expect(reserved).toBeGreaterThan(50 * 40 * 4);
    burst(50, 1_700_000_100_000);
    expect(slab.reservedDoubles).toBe(reserved);
  });

  it('halves a ring left a quarter full, keeping its tiles', () => {
    const agg = createAggregator('max');
    const slots = agg.slots;
    if (slots === undefined) throw new Error('max has no slots');
    const slab = new SlabSeries(slots, AT, 16);
    const marks = [7, 7, 7, ...EMPTY_RING, 7];
    const d = slab.bind(marks);
    for (let k = 0; k < 40; k++) d.update(k * TILE, agg, k, k * TILE);
    expect(marks[AT + 1]).toBe(64);
    d.dropBefore(30 * TILE);
    expect(marks[AT + 1]).toBe(32);
    d.dropBefore(36 * TILE);
    expect(marks[AT + 1]).toBe(16);
    expect(Array.from({ length: d.size }, (_, k) => d.irAt(d.head + k))).toEqual([36, 37, 38, 39]);
    d.update(40 * TILE, agg, 7, 40 * TILE);
    expect(d.irAt(d.end - 1)).toBe(7);
    expect(d.startAt(d.head)).toBe(36 * TILE);
  });

  it('keeps absolute tile indices exact past 2^31 (no rebasing needed)', () => {
    const agg = createAggregator('count');
    const slots = agg.slots;
    if (slots === undefined) throw new Error('count has no slots');
    const slab = new SlabSeries(slots, AT, 16);
    const start = 2 ** 32 - 3;
    const marks = [7, 7, 7, -1, 0, start, start, 7];
    const d = slab.bind(marks);
    for (let k = 0; k < 9; k++) d.update(k * TILE, agg, 1, k * TILE);
    d.update(8 * TILE, agg, 1, 8 * TILE + 1);
    expect(d.head).toBe(start);
    expect(d.size).toBe(9);
    const counts = Array.from({ length: 9 }, (_, k) => d.irAt(start + k));
    expect(counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(d.startAt(start + 8)).toBe(8 * TILE);
    expect(d.dropBefore(5 * TILE)).toBe(5);
    expect(d.startAt(d.head)).toBe(5 * TILE);
    expect(d.mergeRange(agg, agg.empty(), d.head, d.end)).toBe(5);
  });
});
