import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregator } from '../../../src/core/aggregation/aggregator.js';
import { createAggregator } from '../../../src/core/aggregation/registry.js';
import { ByteWriter } from '../../../src/core/encoding/bytes.js';
import { TileDeque } from '../../../src/core/windowing/tile-deque.js';
import type { Tiles } from '../../../src/core/windowing/tiles.js';

const TILE = 1_000;

/** The series format written tile by tile (hex): uvar(size), then per tile svar(Δstart / R) and its IR. */
function reference(d: Tiles, agg: Aggregator): string {
  const w = new ByteWriter();
  w.uvar(d.size);
  let prev = 0;
  for (let i = d.head; i < d.end; i++) {
    const start = d.startAt(i);
    w.svar((start - prev) / TILE);
    prev = start;
    agg.encode(d.irAt(i), w);
  }
  return Buffer.from(w.finish()).toString('hex');
}

function cached(d: Tiles, agg: Aggregator): string {
  const w = new ByteWriter(8);
  d.encodeTo(w, agg, TILE);
  return Buffer.from(w.finish()).toString('hex');
}

type Op =
  | { kind: 'event'; gap: number; value: number }
  | { kind: 'drop'; keep: number }
  | { kind: 'encode' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      gap: fc.oneof(
        { arbitrary: fc.constant(0), weight: 3 },
        { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 6 },
        { arbitrary: fc.integer({ min: 4, max: 200 }), weight: 1 },
      ),
      value: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('drop' as const),
      keep: fc.integer({ min: 0, max: 80 }),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant('encode' as const) }), weight: 3 },
);

/**
 * Replays events (tile gaps in units of R, several events per tile), front drops with compaction,
 * and encodings in any interleaving; every encoding equals the tile-by-tile reference — the
 * cache of closed tiles never serves stale, shifted or dropped bytes (slab tiles: slab-series.test.ts).
 */
describe('TileDeque encoding (object tiles with a byte cache)', () => {
  for (const name of ['sum', 'max', 'count', 'variance', 'quantile', 'lastN'] as const) {
    it(`equals the tile-by-tile encoding after any push/update/drop/compact sequence (${name})`, () => {
      const agg = createAggregator(
        name,
        name === 'quantile' ? { q: 0.5 } : name === 'lastN' ? { n: 3 } : {},
      );
      fc.assert(
        fc.property(fc.array(op, { minLength: 100, maxLength: 400, size: 'max' }), (ops) => {
          const d: Tiles = new TileDeque();
          let t = 1_700_000_000_000;
          for (const o of ops) {
            if (o.kind === 'event') {
              t += o.gap * TILE + (o.gap === 0 ? 1 : 0);
              d.update(Math.floor(t / TILE) * TILE, agg, o.value, t);
            } else if (o.kind === 'drop') {
              d.dropBefore(Math.floor(t / TILE) * TILE - o.keep * TILE, agg, TILE);
              d.compact();
            } else {
              expect(cached(d, agg)).toBe(reference(d, agg));
            }
          }
          expect(cached(d, agg)).toBe(reference(d, agg));
        }),
        { numRuns: 100 },
      );
    });
  }
});
