/**
 * bench:layout — a model, not the engine: what the fraud view's per-event work costs on this
 * machine when an entity is one record and one block of tiles in two `Float64Array`s, rows are
 * columns and nothing but the key map is an object. It bounds what a layout change can give the
 * real core (`bench:core`), and switches on, one at a time, the costs the real core has on top:
 *
 *   npm run bench:layout [-- --events 3000000 --cards 100000 --fresh-keys --row-objects --encode-state]
 *
 * Per event: a key lookup, a record update, 7 tile-series updates (count/sum/max), one history
 * row (10 values) and two decay visits later (one tile retracted, one row each) — about the
 * fraud view's 2.9 rows per event. `--fresh-keys`: each event's key is a new string (as decoded
 * from Kafka); `--row-objects`: rows are `{key, asOf, values}` objects kept until the end of
 * their batch of 2,000 events; `--encode-state`: every entity touched in a batch has its 7 × 8
 * tiles written as varints at the end of the batch. Last line: one JSON object.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '3000000' },
    cards: { type: 'string', default: '100000' },
    'fresh-keys': { type: 'boolean', default: false },
    'row-objects': { type: 'boolean', default: false },
    'encode-state': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const CARDS = Number(values.cards);
const FRESH = values['fresh-keys'];
const ROW_OBJECTS = values['row-objects'];
const ENCODE = values['encode-state'];

const REC = 64;
const SERIES = 7;
const TILES = 8;
const STRIDE = 4;
const BLOCK = SERIES * TILES * STRIDE;
const FEATURES = 10;
const BATCH = 2_000;

let seed = 12_345;
const rnd = (): number => {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
  return seed / 0x80000000;
};
const cards = new Int32Array(EVENTS);
for (let i = 0; i < EVENTS; i++) cards[i] = Math.floor(CARDS * rnd() ** 1.5);
const amounts = new Float64Array(EVENTS);
for (let i = 0; i < EVENTS; i++) amounts[i] = rnd() * 100;
const keysOf = FRESH ? [] : Array.from(cards, (c) => `card-${c}`);

const rec = new Float64Array(CARDS * REC);
const tiles = new Float64Array(CARDS * BLOCK);
const ids = new Map<string, number>();
const keys: string[] = [];
const ROWS = 1 << 16;
const rowIds = new Int32Array(ROWS);
const rowAsOf = new Float64Array(ROWS);
const rowValues = new Float64Array(ROWS * FEATURES);
let rows = 0;
let rowCount = 0;
let rowObjects: { key: string; asOf: number; values: number[] }[] = [];
const queue: number[][] = Array.from({ length: 4_096 }, () => []);
const out = new Uint8Array(1 << 16);
let pos = 0;
const dirty: number[] = [];

function uvar(v: number): void {
  let x = v;
  while (x >= 0x80) {
    out[pos++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  out[pos++] = x;
}

function emit(id: number, t: number): void {
  const o = id * REC;
  rowCount++;
  if (ROW_OBJECTS) {
    const v = new Array<number>(FEATURES);
    for (let k = 0; k < FEATURES; k++) v[k] = rec[o + 20 + k] ?? 0;
    rowObjects.push({ key: keys[id] ?? '', asOf: t, values: v });
    return;
  }
  if (rows === ROWS) rows = 0;
  rowIds[rows] = id;
  rowAsOf[rows] = t;
  for (let k = 0; k < FEATURES; k++) rowValues[rows * FEATURES + k] = rec[o + 20 + k] ?? 0;
  rows++;
}

const started = performance.now();
let settled = 0;
for (let i = 0; i < EVENTS; i++) {
  const t = Math.floor(i / 100);
  const key = FRESH ? `card-${cards[i] ?? 0}` : (keysOf[i] ?? '');
  let id = ids.get(key);
  if (id === undefined) {
    id = keys.length;
    ids.set(key, id);
    keys.push(key);
  }
  const o = id * REC;
  const to = id * BLOCK;
  const a = amounts[i] ?? 0;
  rec[o] = t;
  rec[o + 1] = i;
  for (let s = 0; s < SERIES; s++) {
    const at = to + s * TILES * STRIDE + ((t >> s) & (TILES - 1)) * STRIDE;
    tiles[at] = (tiles[at] ?? 0) + 1;
    tiles[at + 1] = (tiles[at + 1] ?? 0) + a;
    tiles[at + 2] = Math.max(tiles[at + 2] ?? 0, a);
  }
  for (let k = 0; k < FEATURES; k++) rec[o + 20 + k] = (rec[o + 20 + k] ?? 0) + a;
  if (rec[o + 2] === 0) {
    rec[o + 2] = 1;
    dirty.push(id);
  }
  emit(id, t);
  queue[(t + 60) % 4_096]?.push(id);
  queue[(t + 300) % 4_096]?.push(id);
  while (settled < t) {
    const due = queue[settled % 4_096] ?? [];
    for (const d of due) {
      const at = d * BLOCK + (settled & (TILES - 1)) * STRIDE;
      rec[d * REC + 20] = (rec[d * REC + 20] ?? 0) - (tiles[at] ?? 0);
      rec[d * REC + 21] = (rec[d * REC + 21] ?? 0) - (tiles[at + 1] ?? 0);
      emit(d, settled);
    }
    due.length = 0;
    settled++;
  }
  if (i % BATCH === BATCH - 1) {
    for (const d of dirty) {
      if (ENCODE) {
        pos = 0;
        for (let k = 0; k < SERIES * TILES; k++) {
          uvar((tiles[d * BLOCK + k * STRIDE] ?? 0) | 0);
          uvar(Math.round((tiles[d * BLOCK + k * STRIDE + 1] ?? 0) * 100) | 0);
        }
      }
      rec[d * REC + 2] = 0;
    }
    dirty.length = 0;
    rowObjects = [];
  }
}
const ms = performance.now() - started;
const flags = [FRESH && 'fresh-keys', ROW_OBJECTS && 'row-objects', ENCODE && 'encode-state']
  .filter(Boolean)
  .join(', ');
console.log(
  `bench:layout — ${EVENTS.toLocaleString('en-US')} events, ${CARDS.toLocaleString('en-US')} cards${flags === '' ? '' : `, ${flags}`}: ` +
    `${Math.round((EVENTS / ms) * 1000).toLocaleString('en-US')} events/s, ${Math.round((ms * 1e6) / EVENTS)} ns/event, ${(rowCount / EVENTS).toFixed(2)} rows/event`,
);
console.log(
  JSON.stringify({
    bench: 'layout',
    events_per_s: Math.round((EVENTS / ms) * 1000),
    fresh_keys: FRESH,
    row_objects: ROW_OBJECTS,
    encode_state: ENCODE,
  }),
);
