/**
 * A MessagePack writer for arguments of Redis Lua scripts, which read them with
 * `cmsgpack.unpack` (bundled with Redis and Valkey). That decoder predates the `str8` / `bin`
 * types, so strings and bytes are both written as the original spec's raw types — fixraw,
 * raw16, raw32 — and arrive in Lua as strings; arrays as fixarray, array16, array32.
 *
 * One writer packs many values into one growing buffer: a batch of entity writes becomes one
 * script argument instead of ~30 per entity (each of which the Redis client would otherwise
 * frame and copy on its own).
 */
export class LuaPack {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /**
   * The bytes written since offset `from` (a `length` read earlier). The view stays valid and
   * unchanged: the writer never rewrites bytes, and growing copies into a new buffer.
   */
  since(from: number): Buffer {
    return this.buf.subarray(from, this.pos);
  }

  array(n: number): void {
    this.ensure(5);
    const b = this.buf;
    if (n < 16) b[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      b[this.pos] = 0xdc;
      b.writeUInt16BE(n, this.pos + 1);
      this.pos += 3;
    } else {
      b[this.pos] = 0xdd;
      b.writeUInt32BE(n, this.pos + 1);
      this.pos += 5;
    }
  }

  /** A string as UTF-8 raw bytes. */
  str(s: string): void {
    const len = s.length;
    // Short ASCII (feature values, names, decimals): copied char by char, no native call.
    if (len < 32) {
      this.ensure(1 + len);
      const b = this.buf;
      const at = this.pos + 1;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[at + i] = c;
      }
      if (i === len) {
        b[this.pos] = 0xa0 | len;
        this.pos = at + len;
        return;
      }
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.header(n);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  /** Bytes as a raw string. */
  raw(bytes: Uint8Array): void {
    this.header(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  private header(n: number): void {
    this.ensure(5 + n);
    const b = this.buf;
    if (n < 32) b[this.pos++] = 0xa0 | n;
    else if (n < 0x10000) {
      b[this.pos] = 0xda;
      b.writeUInt16BE(n, this.pos + 1);
      this.pos += 3;
    } else {
      b[this.pos] = 0xdb;
      b.writeUInt32BE(n, this.pos + 1);
      this.pos += 5;
    }
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, 2 * this.buf.length));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
