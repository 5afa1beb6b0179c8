/**
 * A MessagePack writer for arguments of Redis Lua scripts, which read them with
 * `cmsgpack.unpack` (bundled with Redis and Valkey). That decoder predates the `str8` / `bin`
 * types, so strings and bytes are both written as the original spec's raw types — fixraw,
 * raw16, raw32 — and arrive in Lua as strings; arrays as fixarray, array16, array32.
 *
 * One writer packs many values into one growing buffer: the writes of one script call become
 * one argument instead of ~30 per entity (each of which the Redis client would otherwise frame
 * and copy on its own).
 */
export class LuaPack {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** The bytes written (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** The header of an array of `n` values (the values follow). */
  array(n: number): void {
    this.ensure(5);
    this.header(n, 0x90, 16, 0xdc);
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
    this.ensure(5 + n);
    this.header(n, 0xa0, 32, 0xda);
    this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  /** Bytes as a raw string. */
  raw(bytes: Uint8Array): void {
    this.ensure(5 + bytes.length);
    this.header(bytes.length, 0xa0, 32, 0xda);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /**
   * A length `n` as its type's fix form (`fix | n` below `fixLimit`), else `code16` + u16, else
   * `code16 + 1` + u32 (array: 0x90/16/0xdc, raw: 0xa0/32/0xda). The caller ensured the room.
   */
  private header(n: number, fix: number, fixLimit: number, code16: number): void {
    const b = this.buf;
    if (n < fixLimit) b[this.pos++] = fix | n;
    else if (n < 0x10000) {
      b[this.pos] = code16;
      b.writeUInt16BE(n, this.pos + 1);
      this.pos += 3;
    } else {
      b[this.pos] = code16 + 1;
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
