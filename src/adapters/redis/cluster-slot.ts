/**
 * Redis Cluster hash slots: CRC16 (XMODEM) of the key's hash tag, mod 16384. Used to give the
 * engine's state key the same slot as the public key it belongs to, whatever characters the
 * entity id contains, so both can be written by one script on a cluster.
 */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}

const encoder = new TextEncoder();

function crc16(bytes: Uint8Array, from: number, to: number): number {
  let crc = 0;
  for (let i = from; i < to; i++)
    crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc;
}

/** The cluster slot of a key (honouring `{hash tags}` as Redis does). */
export function keySlot(key: string): number {
  const b = encoder.encode(key);
  const open = b.indexOf(0x7b);
  if (open >= 0) {
    const close = b.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(b, open + 1, close) % 16384;
  }
  return crc16(b, 0, b.length) % 16384;
}

let tags: string[] | undefined;

/** A short string whose slot is `slot` (computed once for all 16384 slots). */
export function tagForSlot(slot: number): string {
  if (tags === undefined) {
    const found: (string | undefined)[] = new Array<string | undefined>(16384);
    let missing = 16384;
    for (let n = 0; missing > 0; n++) {
      const s = n.toString(36);
      const b = encoder.encode(s);
      const sl = crc16(b, 0, b.length) % 16384;
      if (found[sl] === undefined) {
        found[sl] = s;
        missing--;
      }
    }
    tags = found.map((s) => s ?? '');
  }
  return tags[slot] ?? '';
}
