import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AggOp, Aggregator, PackedSlots } from '../../../src/core/aggregation/aggregator.js';
import { createAggregator } from '../../../src/core/aggregation/registry.js';
import { ByteReader, ByteWriter } from '../../../src/core/encoding/bytes.js';
import { encode, fold, moderateNumber, NUM_RUNS } from './laws.js';
import type { Ev } from './laws.js';

/**
 * Packed slots (`Aggregator.slots`) are the aggregator's IR laid out as doubles: every slot
 * operation must equal the object operation on the IR — bit for bit, so packed and object tiles
 * give the same values and the same state bytes. Slots sit at an offset inside a larger buffer,
 * next to other slots, as in a `SlabSeries`.
 */
const PACKED: readonly AggOp[] = ['count', 'sum', 'mean', 'min', 'max', 'variance', 'stddev'];

const events: fc.Arbitrary<Ev[]> = fc.array(
  fc.record({ v: moderateNumber, t: fc.integer({ min: 0, max: 1e6 }) }),
  { maxLength: 12 },
);

/** Folds each part into its own slot of one buffer, after a 1-double prefix (offsets ≠ 0). */
function packParts(slots: PackedSlots, parts: readonly Ev[][]): Float64Array {
  const buf = new Float64Array(1 + parts.length * slots.width);
  buf[0] = -1;
  for (const [k, part] of parts.entries()) {
    const off = 1 + k * slots.width;
    slots.clear(buf, off);
    for (const e of part) slots.update(buf, off, e.v, e.t);
  }
  return buf;
}

function bytes(write: (w: ByteWriter) => void): string {
  const w = new ByteWriter(8);
  write(w);
  return Buffer.from(w.finish()).toString('hex');
}

const same = (agg: Aggregator, a: unknown, b: unknown): string =>
  bytes((w) => agg.encode(a, w)) === bytes((w) => agg.encode(b, w)) ? 'same' : 'different';

describe('packed slots equal the object IR operations', () => {
  it('are offered exactly by the fixed-width numeric ops', () => {
    for (const op of PACKED) expect(createAggregator(op).slots).toBeDefined();
    for (const op of ['first', 'last', 'distinctCount'] as const)
      expect(createAggregator(op).slots).toBeUndefined();
  });

  for (const op of PACKED) {
    it(`${op}: update, load, merge, retract, unaffectedBy, encode and decode`, () => {
      const agg = createAggregator(op);
      const slots = agg.slots;
      if (slots === undefined) throw new Error(`${op} has no slots`);
      fc.assert(
        fc.property(events, events, events, (a, b, c) => {
          const buf = packParts(slots, [a, b, c]);
          const off = (k: number): number => 1 + k * slots.width;
          expect(buf[0]).toBe(-1);
          const irs = [a, b, c].map((part) => fold(agg, part));
          irs.forEach((ir, k) => {
            const loaded = slots.load(buf, off(k));
            expect(same(agg, loaded, ir)).toBe('same');
            expect(agg.finalize(loaded)).toEqual(agg.finalize(ir));
            expect(bytes((w) => slots.encode(buf, off(k), w))).toBe(
              Buffer.from(encode(agg, ir)).toString('hex'),
            );
            const copy = new Float64Array(slots.width);
            const r = new ByteReader(encode(agg, ir));
            slots.decode(r, copy, 0);
            expect(r.done).toBe(true);
            expect(same(agg, slots.load(copy, 0), ir)).toBe('same');
          });
          let viaSlots = agg.empty();
          let viaIrs = agg.empty();
          for (let k = 0; k < 3; k++) {
            viaSlots = slots.mergeInto(viaSlots, buf, off(k));
            viaIrs = agg.merge(viaIrs, agg.clone(irs[k]));
          }
          expect(same(agg, viaSlots, viaIrs)).toBe('same');
          if (agg.retract !== undefined) {
            const retractFrom = slots.retractFrom;
            if (retractFrom === undefined) throw new Error(`${op}: retract without retractFrom`);
            const r1 = retractFrom(agg.clone(viaSlots), buf, off(0));
            const r2 = agg.retract(agg.clone(viaIrs), agg.clone(irs[0]));
            expect(same(agg, r1, r2)).toBe('same');
          } else {
            expect(slots.retractFrom).toBeUndefined();
          }
          if (agg.unaffectedBy !== undefined) {
            const unaffectedBy = slots.unaffectedBy;
            if (unaffectedBy === undefined) throw new Error(`${op}: no slot unaffectedBy`);
            for (let k = 0; k < 3; k++)
              expect(unaffectedBy(viaSlots, buf, off(k))).toBe(agg.unaffectedBy(viaIrs, irs[k]));
          }
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }
});
