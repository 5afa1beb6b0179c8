import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../../../src/core/encoding/bytes.js';

/** LEB128 by the definition: seven bits at a time, low digits first, high bit = more. */
function leb128(v: number): number[] {
  const out: number[] = [];
  let x = BigInt(v);
  do {
    const digit = Number(x % 128n);
    x /= 128n;
    out.push(x > 0n ? digit | 0x80 : digit);
  } while (x > 0n);
  return out;
}

const edges = [0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 49, 2 ** 53 - 1];

describe('ByteWriter.uvar / svar', () => {
  it('writes LEB128 for every safe non-negative integer, and reads it back', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.maxSafeNat(), fc.nat(), fc.integer({ min: 2 ** 31 - 4, max: 2 ** 32 + 4 })),
        (v) => {
          const w = new ByteWriter(1);
          w.uvar(v);
          const bytes = w.finish();
          expect([...bytes]).toEqual(leb128(v));
          expect(new ByteReader(bytes).uvar()).toBe(v);
        },
      ),
      { numRuns: 3_000 },
    );
    for (const v of edges) {
      const w = new ByteWriter(1);
      w.uvar(v);
      expect([...w.finish()]).toEqual(leb128(v));
    }
  });

  it('zig-zags signed integers (|v| ≤ 2^52: times, offsets) and reads them back', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), fc.integer()), (v) => {
        const w = new ByteWriter(1);
        w.svar(v);
        const bytes = w.finish();
        expect([...bytes]).toEqual(leb128(v < 0 ? -2 * v - 1 : 2 * v));
        expect(new ByteReader(bytes).svar()).toBe(v);
      }),
      { numRuns: 3_000 },
    );
  });
});
