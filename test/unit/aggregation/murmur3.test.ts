import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3, murmur3SafeInteger, murmur3Utf8 } from '../../../src/core/aggregation/murmur3.js';
import { NUM_RUNS } from './laws.js';

const utf8 = new TextEncoder();
const hashText = (s: string, seed = 0): number => {
  const b = utf8.encode(s);
  return murmur3(b, b.length, seed);
};

describe('murmur3 (x86, 32-bit)', () => {
  it('matches the published test vectors', () => {
    expect(hashText('')).toBe(0);
    expect(hashText('', 1)).toBe(0x514e28b7);
    expect(hashText('', 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3(new Uint8Array([0, 0, 0, 0]), 4, 0)).toBe(0x2362f9de);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 4, 0)).toBe(0xf55b516b);
    expect(murmur3(new Uint8Array([0x21, 0x43, 0x65]), 3, 0)).toBe(0x7e4a8634);
    expect(murmur3(new Uint8Array([0x21, 0x43]), 2, 0)).toBe(0xa0f7b07a);
    expect(murmur3(new Uint8Array([0x21]), 1, 0)).toBe(0x72661cf4);
    expect(hashText('hello')).toBe(0x248bfa47);
    expect(hashText('Hello, world!', 0x9747b28c)).toBe(0x24884cba);
    expect(hashText('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });

  it('hashes a string like its TextEncoder UTF-8 bytes (surrogates included)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        fc.integer(),
        (s, seed) => {
          expect(murmur3Utf8(s, seed)).toBe(hashText(s, seed));
        },
      ),
      { numRuns: NUM_RUNS },
    );
    expect(murmur3Utf8('\ud800x\udc00', 0)).toBe(hashText('\ud800x\udc00'));
    expect(murmur3Utf8('a'.repeat(1000) + '😀', 3)).toBe(hashText('a'.repeat(1000) + '😀', 3));
  });

  it('hashes a safe integer like its decimal string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -100, max: 100 })), (v) => {
        expect(murmur3SafeInteger(v, 0)).toBe(hashText(String(v)));
      }),
      { numRuns: NUM_RUNS },
    );
    expect(murmur3SafeInteger(-0, 0)).toBe(hashText('0'));
    expect(murmur3SafeInteger(Number.MAX_SAFE_INTEGER, 0)).toBe(
      hashText(String(Number.MAX_SAFE_INTEGER)),
    );
  });
});
