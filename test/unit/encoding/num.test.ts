import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../src/core/encoding/bytes.js';

function roundTrip(v: number): { back: number; bytes: number } {
  const w = new ByteWriter(4);
  w.num(v);
  const bytes = w.finish();
  const r = new ByteReader(bytes);
  const back = r.num();
  expect(r.done).toBe(true);
  return { back, bytes: bytes.length };
}

describe('ByteWriter.num / ByteReader.num', () => {
  it('round-trips every double bit-exactly (NaN, ±0, ±Infinity, subnormals) in ≤ 9 bytes', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        const { back, bytes } = roundTrip(v);
        expect(Object.is(back, v)).toBe(true);
        expect(bytes).toBeLessThanOrEqual(9);
      }),
      { numRuns: 5_000 },
    );
    for (const v of [Number.NaN, 0, -0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE])
      expect(Object.is(roundTrip(v).back, v)).toBe(true);
  });

  it('writes short decimals (amounts, epoch milliseconds) compactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -9_999_999, max: 9_999_999 }), (cents) => {
        const v = cents / 100;
        const { back, bytes } = roundTrip(v);
        expect(Object.is(back, v)).toBe(true);
        expect(bytes).toBeLessThanOrEqual(4);
      }),
    );
    expect(roundTrip(37.19).bytes).toBe(3);
    expect(roundTrip(Date.UTC(2026, 0, 1)).bytes).toBe(7);
    expect(roundTrip(0.1 + 0.2).bytes).toBe(9); // not a short decimal: raw f64
  });

  it('reads plain f64 when told the bytes predate num (state format 2)', () => {
    const w = new ByteWriter(8);
    w.f64(37.19);
    const r = new ByteReader(w.finish());
    r.numAsF64 = true;
    expect(r.num()).toBe(37.19);
    expect(r.done).toBe(true);
  });
});
