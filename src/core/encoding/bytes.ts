/**
 * A growable little-endian byte writer and its reader. Used to persist aggregation state (Redis),
 * move it between threads and version it. Pure: no Buffer, only typed arrays.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  /** Starts over, keeping the buffer (for reuse across many small encodings). */
  reset(): void {
    this.pos = 0;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  /**
   * Unsigned LEB128 varint for non-negative safe integers. Above 2^31 the digits are taken with
   * double arithmetic (exact for safe integers; `x % 128` on a double is a slow `fmod` call),
   * the rest with 32-bit integer operations.
   */
  uvar(v: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    let x = v;
    while (x > 0x7fffffff) {
      const q = Math.floor(x / 0x80);
      buf[pos++] = (x - q * 0x80) | 0x80;
      x = q;
    }
    let y = x | 0;
    while (y >= 0x80) {
      buf[pos++] = (y & 0x7f) | 0x80;
      y >>>= 7;
    }
    buf[pos++] = y;
    this.pos = pos;
  }

  /** Zig-zag varint for signed safe integers. */
  svar(v: number): void {
    this.uvar(v < 0 ? -2 * v - 1 : 2 * v);
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /**
   * A double, bit-exact and compact when it is a short decimal: `svar(8m + k)` for v = m / 10^k
   * (k ≤ 6 fraction digits, |m| < 2^49, and the division gives v back exactly), else `svar(7)`
   * and the f64. Amounts like 37.19 take 3 bytes, epoch milliseconds 7, instead of 8;
   * other doubles 9.
   */
  num(v: number): void {
    // -0 has no decimal form (0 / 1 is +0). Integers (times, counts) need no search; doubles that
    // are no short decimal mostly fail already at the most digits and go straight to f64
    // (skipping a rare shorter form would cost bytes, never exactness: the reader follows k).
    if (!Object.is(v, -0)) {
      if (Math.round(v) === v && Math.abs(v) < NUM_MAX_MANTISSA) {
        this.svar(v * 8);
        return;
      }
      const top = NUM_POW10[NUM_POW10.length - 1] as number;
      if (Math.abs(v) < NUM_MAX_MANTISSA / top && Math.round(v * top) / top === v) {
        for (let k = 1; k < NUM_POW10.length; k++) {
          const p = NUM_POW10[k] as number;
          const m = Math.round(v * p);
          if (m / p === v) {
            this.svar(m * 8 + k);
            return;
          }
        }
      }
    }
    this.svar(NUM_RAW);
    this.f64(v);
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** UTF-8 with a varint byte length; ASCII is written directly (no temporary buffer). */
  str(s: string): void {
    const n = s.length;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.uvar(n);
      this.ensure(n);
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
      return;
    }
    const bytes = encoder.encode(s);
    this.uvar(bytes.length);
    this.bytes(bytes);
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * Appends `src[from, to)`. Short ranges (most state blocks) are copied byte by byte: no
   * subarray view is allocated for them.
   */
  bytesOf(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    this.ensure(n);
    if (n > 64) this.buf.set(src.subarray(from, to), this.pos);
    else {
      const buf = this.buf;
      let p = this.pos;
      for (let i = from; i < to; i++) buf[p++] = src[i] as number;
    }
    this.pos += n;
  }

  /** Copies the written bytes to `dst` at `at` (the caller made room). */
  copyTo(dst: Uint8Array, at: number): void {
    const n = this.pos;
    if (n > 64) dst.set(this.buf.subarray(0, n), at);
    else {
      const buf = this.buf;
      for (let i = 0; i < n; i++) dst[at + i] = buf[i] as number;
    }
  }

  /**
   * A view of the bytes written since `from`. Growing the writer moves later writes to a new
   * buffer and never changes bytes already written, so the view stays valid until `reset`.
   */
  viewFrom(from: number): Uint8Array {
    return this.buf.subarray(from, this.pos);
  }

  /** A copy of the written bytes. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** `ByteWriter.num`: fraction digits tried, the mantissa bound, and the tag of a raw f64. */
const NUM_POW10: readonly number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const NUM_MAX_MANTISSA = 2 ** 49;
const NUM_RAW = 7;

export class ByteReader {
  /** Bytes from before `num` existed (entity state format 2): `num()` reads a plain f64. */
  numAsF64 = false;

  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new RangeError(`state bytes truncated: need ${n} at ${this.pos} of ${this.buf.length}`);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] ?? 0;
  }

  uvar(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }

  svar(): number {
    const z = this.uvar();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads a `ByteWriter.num` — or a plain f64 when `numAsF64` (bytes written before `num`). */
  num(): number {
    if (this.numAsF64) return this.f64();
    const x = this.svar();
    const k = ((x % 8) + 8) % 8;
    if (k === NUM_RAW) return this.f64();
    return (x - k) / 8 / (NUM_POW10[k] ?? 1);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  str(): string {
    const n = this.uvar();
    return decoder.decode(this.bytes(n));
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}
