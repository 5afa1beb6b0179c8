const utf8 = new TextEncoder();

/**
 * Text assembled straight into UTF-8 bytes, for rows of a ClickHouse text format: one growing
 * buffer instead of a string per row, a join and an encoding of the whole — the bytes go to the
 * insert as they are, and a worker thread hands its buffer to the main thread without a copy.
 */
export class TextBytes {
  private buf: Uint8Array;
  private pos = 0;

  constructor(capacity = 4_096) {
    this.buf = new Uint8Array(Math.max(16, capacity));
  }

  get length(): number {
    return this.pos;
  }

  /** Room for `n` more bytes, doubling the buffer as often as needed. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    this.resize(size);
  }

  /** Makes room for `n` more bytes at once (one allocation instead of several doublings). */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length) this.resize(this.pos + n);
  }

  private resize(size: number): void {
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** One ASCII character by its code. */
  byte(c: number): void {
    this.room(1);
    this.buf[this.pos++] = c;
  }

  /** `s` as UTF-8 (ASCII copied byte by byte; anything else through `TextEncoder`). */
  text(s: string): void {
    const n = s.length;
    this.room(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.pos += utf8.encodeInto(s, buf.subarray(this.pos)).written;
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** A number as `String(n)` writes it; safe non-negative integers digit by digit. */
  number(n: number): void {
    if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n)) {
      this.text(String(n));
      return;
    }
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    const buf = this.buf;
    let x = n;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      buf[i] = 48 + (x % 10);
      x = Math.floor(x / 10);
    }
    this.pos += digits;
  }

  /** The bytes written: a view of a buffer this writer no longer touches. */
  finish(): Uint8Array {
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(16);
    this.pos = 0;
    return out;
  }
}
