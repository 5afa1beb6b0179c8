/**
 * A load generator for bench:serving, run as its own process. Open loop (fixed rate: requests
 * are released on schedule whatever the latency) or closed loop (N requests in flight). Targets:
 * the HTTP API, or Redis directly (the floor). Prints one JSON line: counts and latency
 * percentiles in ms.
 *
 *   node --import tsx bench/load-generator.ts '<json options>'
 *
 * Kept lean so it does not take the CPU the measured server needs (this machine has 2 cores for
 * the server, Redis and this process):
 * - HTTP and Redis go over plain keep-alive sockets with pre-built request text and a minimal
 *   response reader (HTTP: status line + content-length; Redis: complete RESP replies counted),
 *   one request in flight per connection — no `http.request` or client command objects per call.
 * - The open loop wakes on a 1 ms timer and releases every request due by then (at 10k req/s,
 *   ten per tick) instead of spinning the event loop. Latency counts from the release: a
 *   request that waits for a free connection (all busy: the server is behind) waits on the
 *   clock, so queueing shows; the timer's own slack (≤ ~1 ms, the generator's) does not.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';

interface Options {
  target: 'http' | 'redis';
  mode: 'open' | 'closed';
  /** Requests per second (open loop). */
  rate: number;
  /** In-flight requests (closed loop) / connections (both). */
  concurrency: number;
  durationS: number;
  warmupS: number;
  /** http: base URL; redis: URL. */
  url: string;
  view: string;
  version: string;
  entities: number;
  /** Entities per request (1 = GET one; > 1 = POST /v1/features batch; redis: pipelined HGETALLs). */
  batch: number;
  /** http: ask this feature service for the entities' vectors instead (`card_id` rows). */
  service?: string;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const entity = (i: number): string => `card-${(i % o.entities).toString().padStart(6, '0')}`;
let seq = Math.floor(Math.random() * o.entities);

/** Sends one request; calls `done(ok)` once its whole response has arrived. */
type Send = (done: (ok: boolean) => void) => void;

/**
 * Where the response at the start of `buf` ends and whether it succeeded; undefined while `buf`
 * does not hold all of it yet.
 */
type ResponseEnd = (buf: Buffer) => { end: number; ok: boolean } | undefined;

/** One keep-alive connection with one request in flight; `responseEnd` reads the protocol. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private done: ((ok: boolean) => void) | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly responseEnd: ResponseEnd,
    private readonly onFree: (c: Connection) => void,
  ) {
    socket.on('data', (d: Buffer) => this.read(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed')));
  }

  send(request: string, done: (ok: boolean) => void): void {
    this.done = done;
    this.socket.write(request);
  }

  private read(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    const r = this.responseEnd(this.buf);
    if (r === undefined) return;
    this.buf = this.buf.length === r.end ? Buffer.alloc(0) : this.buf.subarray(r.end);
    const done = this.done;
    this.done = undefined;
    done?.(r.ok);
    this.onFree(this);
  }

  private fail(err: Error): void {
    const done = this.done;
    this.done = undefined;
    if (done !== undefined) {
      process.stderr.write(`load generator: ${err.message}\n`);
      done(false);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

const connections: Connection[] = [];

/**
 * `concurrency` connections; a request goes to a free one, or waits (FIFO) for the next to
 * free up — so when the target is behind, the wait shows in the latency.
 */
function pool(open: () => Socket, responseEnd: ResponseEnd, build: () => string): Send {
  const free: Connection[] = [];
  const waiting: { request: string; done: (ok: boolean) => void }[] = [];
  let waitHead = 0;
  const onFree = (c: Connection): void => {
    if (waitHead < waiting.length) {
      const next = waiting[waitHead] as { request: string; done: (ok: boolean) => void };
      waiting[waitHead++] = undefined as never;
      if (waitHead === waiting.length) {
        waiting.length = 0;
        waitHead = 0;
      }
      c.send(next.request, next.done);
    } else free.push(c);
  };
  for (let i = 0; i < o.concurrency; i++) {
    const c = new Connection(open(), responseEnd, onFree);
    connections.push(c);
    free.push(c);
  }
  return (done) => {
    const request = build();
    const c = free.pop();
    if (c !== undefined) c.send(request, done);
    else waiting.push({ request, done });
  };
}

const CRLF = Buffer.from('\r\n');
const CRLF2 = Buffer.from('\r\n\r\n');

/** An HTTP/1.1 response: status line and headers, then `content-length` body bytes. */
const httpResponseEnd: ResponseEnd = (buf) => {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd < 0) return undefined;
  const head = buf.toString('latin1', 0, headEnd);
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (m === null) {
    process.stderr.write('load generator: response without content-length\n');
    return { end: buf.length, ok: false };
  }
  const end = headEnd + 4 + Number(m[1]);
  return buf.length < end ? undefined : { end, ok: head.startsWith('HTTP/1.1 200') };
};

function httpSender(): Send {
  const u = new URL(o.url);
  const host = `Host: ${u.host}\r\n`;
  const post = (path: string, body: string): string =>
    `POST ${path} HTTP/1.1\r\n${host}content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const build =
    o.service !== undefined
      ? (): string => {
          const rows = Array.from({ length: o.batch }, () => `{"card_id":"${entity(seq++)}"}`);
          return post(
            `/v1/feature-services/${o.service ?? ''}`,
            `{"entities":[${rows.join(',')}]}`,
          );
        }
      : o.batch === 1
        ? (): string => `GET /v1/features/${o.view}/${entity(seq++)} HTTP/1.1\r\n${host}\r\n`
        : (): string => {
            const entities = Array.from({ length: o.batch }, () => entity(seq++));
            return post('/v1/features', JSON.stringify({ requests: [{ view: o.view, entities }] }));
          };
  return pool(
    () => connect({ port: Number(u.port), host: u.hostname, noDelay: true }),
    httpResponseEnd,
    build,
  );
}

/** End offset of the RESP reply starting at `at`, or -1 when `buf` does not hold all of it yet. */
function replyEnd(buf: Buffer, at: number): number {
  const eol = buf.indexOf(CRLF, at);
  if (eol < 0) return -1;
  const type = buf[at];
  const n = Number(buf.toString('latin1', at + 1, eol));
  if (type === 0x24) return n < 0 ? eol + 2 : eol + 2 + n + 2 <= buf.length ? eol + 2 + n + 2 : -1;
  if (type !== 0x2a || n <= 0) return eol + 2; // simple string, error, integer, empty/nil array
  let p = eol + 2;
  for (let i = 0; i < n; i++) {
    p = replyEnd(buf, p);
    if (p < 0) return -1;
  }
  return p;
}

/**
 * Redis spoken directly: a request is a pipeline of `batch` HGETALLs, and its response ends
 * after `batch` complete replies (counted, not decoded; an error reply fails it). A general
 * client (ioredis) allocated ~13 KB per lookup in this process and its collections paused the
 * generator for 5–11 ms every ~75 ms at 10k req/s — the "floor" then measured the generator's
 * own GC.
 */
function redisSender(): Send {
  const redisResponseEnd: ResponseEnd = (buf) => {
    let at = 0;
    let ok = true;
    for (let i = 0; i < o.batch; i++) {
      if (buf[at] === 0x2d) ok = false; // '-': an error reply
      at = replyEnd(buf, at);
      if (at < 0) return undefined;
    }
    return { end: at, ok };
  };
  const prefix = `fs:${o.view}:${o.version}:`;
  const hgetall = (e: string): string => {
    const key = prefix + e;
    return `*2\r\n$7\r\nHGETALL\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`;
  };
  const build = (): string => {
    let request = '';
    for (let i = 0; i < o.batch; i++) request += hgetall(entity(seq++));
    return request;
  };
  const open = (): Socket => {
    if (o.url.startsWith('unix:')) return connect({ path: new URL(o.url).pathname });
    const u = new URL(o.url);
    return connect({ port: Number(u.port || 6379), host: u.hostname, noDelay: true });
  };
  return pool(open, redisResponseEnd, build);
}

const send = o.target === 'http' ? httpSender() : redisSender();
const latencies: number[] = [];
let errors = 0;
let sent = 0;
let completed = 0;

/** Sends one request released at `from`; records its latency when `from` is in the measured span. */
function issue(from: number, measureFrom: number): void {
  sent++;
  send((ok) => {
    completed++;
    if (!ok) errors++;
    else if (from >= measureFrom) latencies.push(performance.now() - from);
  });
}

function openLoop(): Promise<void> {
  const interval = 1000 / o.rate;
  const start = performance.now();
  const end = start + (o.warmupS + o.durationS) * 1000;
  const measureFrom = start + o.warmupS * 1000;
  let i = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (start + i * interval <= now && start + i * interval < end) {
        i++;
        issue(now, measureFrom);
      }
      if (start + i * interval < end) {
        setTimeout(tick, 1);
        return;
      }
      const drain = (): void => {
        if (completed >= sent) resolve();
        else setTimeout(drain, 5);
      };
      drain();
    };
    tick();
  });
}

function closedLoop(): Promise<void> {
  const start = performance.now();
  const end = start + (o.warmupS + o.durationS) * 1000;
  const measureFrom = start + o.warmupS * 1000;
  return new Promise((resolve) => {
    let running = o.concurrency;
    const loop = (): void => {
      const t0 = performance.now();
      if (t0 >= end) {
        if (--running === 0) resolve();
        return;
      }
      sent++;
      send((ok) => {
        completed++;
        if (!ok) errors++;
        else if (t0 >= measureFrom) latencies.push(performance.now() - t0);
        loop();
      });
    };
    for (let c = 0; c < o.concurrency; c++) loop();
  });
}

// Let the connections open before the clock starts.
await new Promise((r) => setTimeout(r, 200));
await (o.mode === 'open' ? openLoop() : closedLoop());
for (const c of connections) c.close();
latencies.sort((a, b) => a - b);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({ measured: latencies.length, sent, errors, rps: latencies.length / o.durationS, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: latencies[latencies.length - 1] ?? Number.NaN })}\n`,
);
process.exit(0);
