import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../../src/core/encoding/bytes.js';

/** `bytesOf` and `copyTo` copy short ranges byte by byte and long ones with `set`: same bytes. */
/** Short (≤ 64, copied byte by byte) and long (copied with `set`) byte arrays, both always drawn. */
const bytesArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ minLength: 65, maxLength: 300 }),
);

describe('ByteWriter range copies', () => {
  it('bytesOf(src, from, to) appends exactly src[from, to), short and long ranges', () => {
    fc.assert(
      fc.property(
        bytesArb,
        fc.nat(),
        fc.nat(),
        fc.uint8Array({ maxLength: 5 }),
        (src, a, b, prefix) => {
          const from = src.length === 0 ? 0 : a % (src.length + 1);
          const to = from + (src.length === 0 ? 0 : b % (src.length - from + 1));
          const w = new ByteWriter(4);
          w.bytes(prefix);
          w.bytesOf(src, from, to);
          w.u8(0xab);
          expect(w.finish()).toEqual(Uint8Array.from([...prefix, ...src.subarray(from, to), 0xab]));
        },
      ),
    );
  });

  it('copyTo(dst, at) writes the written bytes at `at` and nothing else', () => {
    fc.assert(
      fc.property(bytesArb, fc.nat({ max: 20 }), (bytes, at) => {
        const w = new ByteWriter(2);
        w.bytes(bytes);
        const dst = new Uint8Array(at + bytes.length + 3).fill(7);
        w.copyTo(dst, at);
        const expected = new Uint8Array(dst.length).fill(7);
        expected.set(bytes, at);
        expect(dst).toEqual(expected);
      }),
    );
  });
});
