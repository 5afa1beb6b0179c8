import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { FeatureStreamError } from '../../core/errors.js';

/**
 * Pipelined `HGETALL`s over a few raw connections to one Redis node — the serving hot path.
 *
 * A general client (ioredis) builds a command object, a promise, argument buffers and a parser
 * frame per lookup; at 10k lookups/s that garbage and its collections were a large part of the
 * serving API's CPU and latency tail. Here a call of k keys is one string of k commands appended
 * to a connection's outgoing text (all calls of one event-loop turn go out in one write), and
 * the replies are read straight from the socket's buffers into field/value string arrays.
 *
 * Only RESP2 `HGETALL` (plus `AUTH` / `SELECT` when the URL asks for them) on plain TCP: a
 * cluster or `rediss://` keeps ioredis (`RedisOnlineStore` decides). Connections open on first
 * use; one that errors, closes or leaves a call unanswered for `timeoutMs` fails its pending calls
 * with `REDIS_UNREACHABLE` and is reopened by the next call (after a short, growing pause while
 * Redis stays unreachable, so an outage does not turn into a connect storm).
 */
export interface HashReaderOptions {
  /** Connections calls are spread over (round robin); a large batch then delays fewer calls. */
  readonly connections?: number;
  /** A call still unanswered after this long fails, and its connection is dropped. */
  readonly timeoutMs?: number;
}

/** Where the connections go: a TCP host and port, or a unix socket file. */
type Target =
  | {
      readonly host: string;
      readonly port: number;
      readonly path?: undefined;
      readonly url: string;
    }
  | { readonly path: string; readonly url: string };

/** A reply: a hash's flat field/value pairs (null when the key does not exist). */
export type HashReply = string[] | null;

const DEFAULT_CONNECTIONS = 4;
const DEFAULT_TIMEOUT_MS = 2_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;

interface Call {
  readonly replies: HashReply[];
  /** Replies still expected (handshake calls expect theirs too, and keep none). */
  remaining: number;
  readonly keep: boolean;
  error: string | undefined;
  readonly startedAt: number;
  readonly resolve: (replies: HashReply[]) => void;
  readonly reject: (err: Error) => void;
}

/** Where a parsed reply ended (-1: incomplete) and what it was. */
let parsedEnd = -1;
/** When incomplete: the buffer length parsing needs before it can get further. */
let parsedNeed = 0;
let parsedValue: HashReply = null;
let parsedError: string | undefined;

/** The integer written at `buf[at..]` up to its CRLF; sets `parsedEnd` past the CRLF (or -1). */
function readInt(buf: Buffer, at: number): number {
  let i = at;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  }
  let n = 0;
  for (;;) {
    const c = buf[i];
    if (c === undefined) {
      parsedEnd = -1;
      parsedNeed = buf.length + 1;
      return 0;
    }
    if (c === 0x0d) break;
    n = n * 10 + (c - 0x30);
    i++;
  }
  if (i + 1 >= buf.length) {
    parsedEnd = -1;
    parsedNeed = buf.length + 1;
    return 0;
  }
  parsedEnd = i + 2;
  return negative ? -n : n;
}

/** The text of a simple reply (`+…` / `-…`) at `buf[at..]`; sets `parsedEnd` (or -1). */
function readLine(buf: Buffer, at: number): string {
  const eol = buf.indexOf(0x0d, at);
  if (eol < 0 || eol + 1 >= buf.length) {
    parsedEnd = -1;
    parsedNeed = buf.length + 1;
    return '';
  }
  parsedEnd = eol + 2;
  return buf.toString('utf8', at, eol);
}

/**
 * Parses one reply at `buf[at]`: an array of bulk strings (HGETALL; empty → null), a simple
 * string (handshake OK), an integer, or an error (into `parsedError`). Sets `parsedEnd` to where
 * it ends, or -1 when `buf` does not hold all of it yet.
 */
function parseReply(buf: Buffer, at: number): void {
  parsedError = undefined;
  parsedValue = null;
  const type = buf[at];
  if (type === undefined) {
    parsedEnd = -1;
    parsedNeed = buf.length + 1;
    return;
  }
  if (type === 0x2b /* + */ || type === 0x3a /* : */) {
    readLine(buf, at + 1);
    return;
  }
  if (type === 0x2d /* - */) {
    const text = readLine(buf, at + 1);
    if (parsedEnd >= 0) parsedError = text;
    return;
  }
  if (type !== 0x2a /* * */) {
    parsedEnd = buf.length + 1;
    parsedError = `unexpected reply type '${String.fromCharCode(type)}' from Redis`;
    return;
  }
  const n = readInt(buf, at + 1);
  if (parsedEnd < 0 || n <= 0) return;
  // First the element boundaries (and whether the reply is complete), then the strings: one
  // latin1 decode of the whole reply cut with substring when it is ASCII (a value's bytes are its
  // characters then) — one call into the runtime per reply instead of one per field.
  if (bounds.length < 2 * n) bounds = new Int32Array(4 * n);
  let p = parsedEnd;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (buf[p] !== 0x24 /* $ */) {
      if (p >= buf.length) {
        parsedEnd = -1;
        parsedNeed = buf.length + 1;
        return;
      }
      parsedEnd = buf.length + 1;
      parsedError = 'unexpected element in an HGETALL reply';
      return;
    }
    const len = readInt(buf, p + 1);
    if (parsedEnd < 0) return;
    const start = parsedEnd;
    const end = start + len;
    if (end + 2 > buf.length) {
      parsedEnd = -1;
      parsedNeed = end + 2;
      return;
    }
    for (let j = start; ascii && j < end; j++) if ((buf[j] as number) > 0x7f) ascii = false;
    bounds[2 * i] = start;
    bounds[2 * i + 1] = end;
    p = end + 2;
  }
  const out = new Array<string>(n);
  if (ascii) {
    const from = bounds[0] as number;
    const text = buf.toString('latin1', from, p);
    for (let i = 0; i < n; i++)
      out[i] = text.substring(
        (bounds[2 * i] as number) - from,
        (bounds[2 * i + 1] as number) - from,
      );
  } else {
    for (let i = 0; i < n; i++) out[i] = buf.toString('utf8', bounds[2 * i], bounds[2 * i + 1]);
  }
  parsedEnd = p;
  parsedValue = out;
}

/** Element offsets of the reply being parsed (start, end per element; reused). */
let bounds = new Int32Array(256);

/** Error replies of a Redis that is busy or starting, not of a bad request: worth a retry. */
const TRANSIENT = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)\b/;
/** AUTH refusals ioredis ignores too: the URL has a password, the server requires none. */
const NO_PASSWORD_SET = /no password is set|without any password configured/i;

function unreachable(url: string, why: string): FeatureStreamError {
  return new FeatureStreamError('REDIS_UNREACHABLE', `Redis at ${url}: ${why}`, {
    domain: 'external',
    retriable: true,
    fix: 'check that Redis is running and REDIS_URL points to it; calls resume once it answers',
  });
}

/** One raw connection with its calls in reply order. */
class Connection {
  private socket: Socket | undefined;
  private readonly calls: Call[] = [];
  private head = 0;
  private pendingText = '';
  private flushScheduled = false;
  /** Bytes of an incomplete reply (and what followed it), joined once `needBytes` arrived. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private needBytes = 0;
  private watchdog: NodeJS.Timeout | undefined;
  /** Consecutive failures (reset by any answered call); from the second on, reconnects pause. */
  private failures = 0;
  private retryAt = 0;
  private closed = false;

  constructor(
    private readonly target: Target,
    private readonly handshake: string,
    private readonly handshakeReplies: number,
    private readonly timeoutMs: number,
  ) {}

  send(text: string, replies: number): Promise<HashReply[]> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(unreachable(this.target.url, 'reader closed'));
        return;
      }
      if (this.socket === undefined && !this.open(reject)) return;
      this.enqueue(text, replies, true, resolve, reject);
    });
  }

  private open(reject: (err: Error) => void): boolean {
    if (performance.now() < this.retryAt) {
      reject(unreachable(this.target.url, 'not answering (retrying shortly)'));
      return false;
    }
    const t = this.target;
    const socket =
      t.path !== undefined
        ? connect({ path: t.path })
        : connect({ host: t.host, port: t.port, noDelay: true });
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.read(socket, chunk));
    socket.on('error', (err) => this.drop(socket, err.message, true));
    socket.on('close', () => this.drop(socket, 'connection closed', true));
    if (this.handshakeReplies > 0)
      this.enqueue(this.handshake, this.handshakeReplies, false, noop, noop);
    return true;
  }

  private enqueue(
    text: string,
    replies: number,
    keep: boolean,
    resolve: (r: HashReply[]) => void,
    reject: (err: Error) => void,
  ): void {
    this.calls.push({
      replies: keep ? new Array<HashReply>(replies) : [],
      remaining: replies,
      keep,
      error: undefined,
      startedAt: performance.now(),
      resolve,
      reject,
    });
    this.pendingText += text;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
    if (this.watchdog === undefined) this.arm(this.timeoutMs);
  }

  /** Writes every command queued during this event-loop turn at once. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const text = this.pendingText;
    this.pendingText = '';
    if (text.length > 0) this.socket?.write(text);
  };

  private arm(ms: number): void {
    this.watchdog = setTimeout(this.check, ms);
    this.watchdog.unref();
  }

  /**
   * Drops the connection when its oldest call waited `timeoutMs` — confirmed after the next poll
   * phase, so replies that sat unread while the event loop was blocked are read first — else
   * waits for that moment.
   */
  private readonly check = (): void => {
    const timer = this.watchdog;
    const oldest = this.calls[this.head];
    if (oldest === undefined || this.socket === undefined) {
      this.watchdog = undefined;
      return;
    }
    const waited = performance.now() - oldest.startedAt;
    if (waited < this.timeoutMs) {
      this.arm(this.timeoutMs - waited);
      return;
    }
    const socket = this.socket;
    setImmediate(() => {
      if (this.watchdog !== timer) return; // dropped meanwhile (a new connection has its own)
      this.watchdog = undefined;
      if (this.calls[this.head] === oldest && this.socket === socket)
        this.drop(socket, `no reply within ${this.timeoutMs} ms`, true);
      else if (this.calls.length > this.head) this.arm(this.timeoutMs);
    });
  };

  private read(socket: Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    let buf = chunk;
    if (this.partialBytes > 0) {
      // A large reply arrives in many chunks: join them once it can be parsed further.
      this.partial.push(chunk);
      this.partialBytes += chunk.length;
      if (this.partialBytes < this.needBytes) return;
      buf = Buffer.concat(this.partial, this.partialBytes);
      this.partial = [];
      this.partialBytes = 0;
    }
    let at = 0;
    while (at < buf.length) {
      const call = this.calls[this.head];
      if (call === undefined) {
        this.drop(socket, 'reply without a request', true);
        return;
      }
      parseReply(buf, at);
      if (parsedEnd < 0) {
        const rest = buf.subarray(at);
        this.partial = [rest];
        this.partialBytes = rest.length;
        this.needBytes = parsedNeed - at;
        return;
      }
      if (parsedEnd > buf.length) {
        this.drop(socket, parsedError ?? 'unreadable reply', true);
        return;
      }
      at = parsedEnd;
      if (parsedError !== undefined) {
        if (call.keep || !NO_PASSWORD_SET.test(parsedError)) call.error ??= parsedError;
      } else if (call.keep) call.replies[call.replies.length - call.remaining] = parsedValue;
      if (--call.remaining === 0) this.settle(call);
    }
  }

  private settle(call: Call): void {
    this.calls[this.head++] = undefined as never;
    if (this.head === this.calls.length) {
      this.calls.length = 0;
      this.head = 0;
    } else if (this.head >= 1_024 && this.head * 2 >= this.calls.length) {
      // A connection that always has a call in flight never drains: drop the settled prefix.
      this.calls.splice(0, this.head);
      this.head = 0;
    }
    if (call.error === undefined) {
      this.failures = 0;
      call.resolve(call.replies);
    } else if (!call.keep && this.socket !== undefined)
      this.drop(this.socket, `refused the connection setup (AUTH / SELECT): ${call.error}`, true);
    else
      call.reject(
        new FeatureStreamError('REDIS_ERROR', `Redis at ${this.target.url}: ${call.error}`, {
          domain: 'external',
          retriable: TRANSIENT.test(call.error),
        }),
      );
  }

  /** Closes the connection and fails every call on it; the next call opens a new one. */
  private drop(socket: Socket, why: string, failure: boolean): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.partial = [];
    this.partialBytes = 0;
    this.pendingText = '';
    socket.destroy();
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (failure) {
      // The first failure reconnects at once (a server or proxy closing an idle connection);
      // then pauses grow while Redis keeps failing.
      this.failures++;
      this.retryAt =
        this.failures < 2
          ? 0
          : performance.now() +
            Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 2, 6));
    }
    const calls = this.calls.slice(this.head);
    this.calls.length = 0;
    this.head = 0;
    const err = unreachable(this.target.url, why);
    for (const c of calls) c.reject(err);
  }

  /** Fails the calls in flight and every later one. */
  close(): void {
    this.closed = true;
    if (this.socket !== undefined) this.drop(this.socket, 'reader closed', false);
  }

  /** Calls awaiting replies, and the slots their queue holds (settled ones not yet dropped). */
  stats(): { inFlight: number; slots: number } {
    return { inFlight: this.calls.length - this.head, slots: this.calls.length };
  }
}

function noop(): void {}

/** RESP text of one command. */
function command(args: readonly string[]): string {
  let text = `*${args.length}\r\n`;
  for (const a of args) text += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return text;
}

export class HashReader {
  private readonly connections: Connection[];
  private next = 0;

  /**
   * A reader for `url` (`redis://[user:password@]host[:port][/db]` or `unix:///path/to/socket`),
   * or undefined when this reader cannot serve it (TLS, a list of cluster nodes, options in a
   * query string): the caller keeps its general client.
   */
  static forUrl(url: string, options: HashReaderOptions = {}): HashReader | undefined {
    if (url.includes(',')) return undefined;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined;
    }
    // Options in the query (?db=, ?password=, …) are ioredis' to read.
    if (u.search !== '') return undefined;
    if (u.protocol === 'unix:') {
      const path = decodeURIComponent(u.pathname);
      return new HashReader({ path, url: `unix:${path}` }, [], options);
    }
    if (u.protocol !== 'redis:') return undefined;
    const handshake: string[] = [];
    const password = decodeURIComponent(u.password);
    const user = decodeURIComponent(u.username);
    if (password.length > 0) {
      handshake.push(command(user.length > 0 ? ['AUTH', user, password] : ['AUTH', password]));
    }
    const db = u.pathname.replace(/^\//, '');
    if (db.length > 0 && db !== '0') handshake.push(command(['SELECT', db]));
    const shown = `${u.hostname}:${u.port || '6379'}`;
    return new HashReader(
      { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379), url: shown },
      handshake,
      options,
    );
  }

  private constructor(target: Target, handshake: readonly string[], options: HashReaderOptions) {
    const n = Math.max(1, options.connections ?? DEFAULT_CONNECTIONS);
    const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.connections = Array.from(
      { length: n },
      () => new Connection(target, handshake.join(''), handshake.length, timeout),
    );
  }

  /** `HGETALL` of every key, pipelined in one write: the hashes in key order (null: no key). */
  read(keys: readonly string[]): Promise<HashReply[]> {
    if (keys.length === 0) return Promise.resolve([]);
    let text = '';
    for (const key of keys)
      text += `*2\r\n$7\r\nHGETALL\r\n$${Buffer.byteLength(key)}\r\n${key}\r\n`;
    const c = this.connections[this.next++ % this.connections.length] as Connection;
    return c.send(text, keys.length);
  }

  close(): void {
    for (const c of this.connections) c.close();
  }

  /** Per connection: calls in flight and queue slots (diagnostics). */
  stats(): { inFlight: number; slots: number }[] {
    return this.connections.map((c) => c.stats());
  }
}
