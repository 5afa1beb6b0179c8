/**
 * A TEST / DEV FIXTURE — not a production server.
 *
 * The embedded ClickHouse engine (chdb) lives inside one process, yet crash/restart and
 * consumer-group rebalance tests need several engine processes that share one ClickHouse. This
 * fixture owns the embedded engine and serves the subset of the ClickHouse HTTP interface that
 * @clickhouse/client uses, so other processes reach it with
 * `CLICKHOUSE_URL=http://127.0.0.1:<port>`. No authentication (user/password are ignored), no
 * TLS, one embedded engine, requests executed one at a time. See docs/clickhouse-http-fixture.md.
 *
 * Supported: `GET /ping` and `GET /` (→ `Ok.`); `GET|POST /` with the SQL in `?query=`, in the
 * body, or both (`query` + "\n" + body, which is how an INSERT streams its rows); `param_<name>`
 * query parameters (URL or multipart/form-data fields); `database`, `default_format`, `query_id`,
 * `session_id` (+ `session_timeout`, `close_session`) and every other URL parameter as a
 * ClickHouse setting, except transport-only ones, which are ignored; request bodies with
 * `Content-Encoding: gzip|deflate|br` (and zstd when this Node.js has it); compressed responses
 * when `enable_http_compression=1` and `Accept-Encoding` allow it. Errors answer with the
 * HTTP status a server would use, `X-ClickHouse-Exception-Code` and the exception text.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Socket } from 'node:net';
import zlib from 'node:zlib';
import { Session } from 'chdb';
import type { ChdbResult } from 'chdb';

export type InjectedFailure = 'none' | 'error500' | 'reset' | 'hang';

export interface EmbeddedClickHouseHttpOptions {
  /** Data directory of the embedded engine (created when missing). */
  readonly path: string;
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
}

export interface EmbeddedClickHouseHttp {
  /** `http://host:port`, ready for `CLICKHOUSE_URL`. */
  readonly url: string;
  readonly port: number;
  /**
   * From now on (for `forMs`, then back to 'none'): 'error500' answers every request with
   * HTTP 500 and a ClickHouse-style NETWORK_ERROR; 'reset' destroys the connection without an
   * answer; 'hang' holds every request without answering until the mode changes (held requests
   * whose client is still connected are then handled under the new mode) or the server closes.
   */
  injectFailures(mode: InjectedFailure, forMs?: number): void;
  /** HTTP requests received so far (all paths, including failed and injected ones). */
  readonly requests: number;
  close(): Promise<void>;
}

/** URL parameters that shape the HTTP exchange and are not engine settings. */
const TRANSPORT_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'close_session',
  'user',
  'password',
  'quota_key',
  'role',
  'stacktrace',
  'buffer_size',
  'wait_end_of_query',
  'compress',
  'decompress',
  'client_protocol_version',
  'enable_http_compression',
  'send_progress_in_http_headers',
  'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close',
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DISPLAY_NAME = 'featurestream-embedded-clickhouse-fixture';

/** A ClickHouse-shaped failure: the text a server would send and the HTTP status it would use. */
class HttpFailure extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

function exception(code: number, type: string, text: string): string {
  return `Code: ${code}. DB::Exception: ${text}. (${type})`;
}

/** ClickHouse's own mapping from exception to HTTP status (Server/HTTP/exceptionCodeToHTTPStatus). */
const BAD_REQUEST = new Set([
  'BAD_ARGUMENTS',
  'CANNOT_COMPILE_REGEXP',
  'CANNOT_PARSE_TEXT',
  'CANNOT_PARSE_ESCAPE_SEQUENCE',
  'CANNOT_PARSE_QUOTED_STRING',
  'CANNOT_PARSE_DATE',
  'CANNOT_PARSE_DATETIME',
  'CANNOT_PARSE_NUMBER',
  'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
  'CANNOT_PARSE_IPV4',
  'CANNOT_PARSE_IPV6',
  'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  'CANNOT_PARSE_UUID',
  'DUPLICATE_COLUMN',
  'ILLEGAL_COLUMN',
  'UNKNOWN_ELEMENT_IN_AST',
  'UNKNOWN_TYPE_OF_AST_NODE',
  'THERE_IS_NO_COLUMN',
  'TOO_DEEP_AST',
  'TOO_BIG_AST',
  'UNEXPECTED_AST_STRUCTURE',
  'SYNTAX_ERROR',
  'INCORRECT_DATA',
  'TYPE_MISMATCH',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
]);
const NOT_FOUND = new Set([
  'UNKNOWN_TABLE',
  'UNKNOWN_FUNCTION',
  'UNKNOWN_IDENTIFIER',
  'UNKNOWN_TYPE',
  'UNKNOWN_STORAGE',
  'UNKNOWN_DATABASE',
  'UNKNOWN_SETTING',
  'UNKNOWN_DIRECTION_OF_SORTING',
  'UNKNOWN_AGGREGATE_FUNCTION',
  'UNKNOWN_FORMAT',
  'UNKNOWN_DATABASE_ENGINE',
  'UNKNOWN_TYPE_OF_QUERY',
  'UNKNOWN_ROLE',
]);

function statusOf(type: string | undefined): number {
  if (type === undefined) return 500;
  if (BAD_REQUEST.has(type)) return 400;
  if (NOT_FOUND.has(type)) return 404;
  if (type === 'READONLY' || type === 'ACCESS_DENIED') return 403;
  if (type === 'QUERY_IS_TOO_LARGE') return 413;
  if (type === 'NOT_IMPLEMENTED') return 501;
  if (type === 'TIMEOUT_EXCEEDED') return 408;
  if (type === 'SOCKET_TIMEOUT' || type === 'CANNOT_OPEN_FILE' || type === 'CANNOT_SCHEDULE_TASK')
    return 503;
  return 500;
}

/** An engine error as the server would report it (`Code: N. DB::Exception: … (TYPE)`). */
function engineFailure(err: unknown): HttpFailure {
  if (err instanceof HttpFailure) return err;
  const raw = err instanceof Error ? err.message : String(err);
  const message = /Code: \d+\./.test(raw) ? raw : exception(1001, 'STD_EXCEPTION', raw);
  const type = /\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)/.exec(message)?.[1];
  return new HttpFailure(message, statusOf(type));
}

/** A single-quoted SQL string literal whose value is exactly `s`. */
function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sqlIdent(s: string): string {
  return `\`${s.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
}

function isInsert(sql: string): boolean {
  return /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*INSERT\b/i.test(sql);
}

/** The output format: the query's trailing FORMAT clause, else `default_format`, else TSV. */
function outputFormat(sql: string, defaultFormat: string | undefined): string {
  if (!isInsert(sql)) {
    const m = /\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$/i.exec(sql);
    if (m?.[1] !== undefined) return m[1];
  }
  return defaultFormat ?? 'TabSeparated';
}

function contentType(format: string): string {
  if (/^(TabSeparated|TSV)/i.test(format)) return 'text/tab-separated-values; charset=UTF-8';
  if (/^CSV/i.test(format)) return 'text/csv; charset=UTF-8';
  if (/^JSON.*EachRow/i.test(format)) return 'application/x-ndjson; charset=UTF-8';
  if (/^JSON/i.test(format)) return 'application/json; charset=UTF-8';
  if (/^(Native|RowBinary|Parquet|Arrow|ORC|Avro|Protobuf|MsgPack)/i.test(format))
    return 'application/octet-stream';
  return 'text/plain; charset=UTF-8';
}

/** Rows in an insert body, for the summary (exact for line-delimited formats; else unknown). */
function insertedRows(sql: string, body: string): number {
  const format = /\bFORMAT\s+([A-Za-z0-9_]+)/i.exec(sql)?.[1] ?? '';
  if (!/^(JSON\w*EachRow|TabSeparated|TSV|TabSeparatedRaw|TSVRaw)$/i.test(format)) return 0;
  return body.split('\n').filter((l) => l.trim() !== '').length;
}

const zstd = zlib as unknown as {
  zstdDecompressSync?: (b: Buffer) => Buffer;
  createZstdCompress?: () => zlib.Gzip;
};

function decodeBody(body: Buffer, encoding: string | undefined): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity' || enc === 'none') return body;
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body);
    if (enc === 'deflate') return zlib.inflateSync(body);
    if (enc === 'br') return zlib.brotliDecompressSync(body);
    if (enc === 'zstd' && zstd.zstdDecompressSync !== undefined)
      return zstd.zstdDecompressSync(body);
  } catch (err) {
    throw new HttpFailure(
      exception(
        432,
        'CANNOT_DECOMPRESS',
        `Cannot decode the request body (Content-Encoding: ${enc}): ${err instanceof Error ? err.message : String(err)}`,
      ),
      500,
    );
  }
  throw new HttpFailure(
    exception(48, 'NOT_IMPLEMENTED', `Unsupported Content-Encoding '${enc}' (test fixture)`),
    501,
  );
}

/** Text fields of a multipart/form-data body (the client's `use_multipart_params`). */
function multipartFields(body: Buffer, type: string): Map<string, string> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(type);
  const b = boundary?.[1] ?? boundary?.[2];
  const fields = new Map<string, string>();
  if (b === undefined) return fields;
  for (const part of body.toString('utf8').split(`--${b}`)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined) continue;
    if (/filename=/i.test(head))
      throw new HttpFailure(
        exception(48, 'NOT_IMPLEMENTED', 'External tables are not supported by the test fixture'),
        501,
      );
    fields.set(name, part.slice(split + 4).replace(/\r\n$/, ''));
  }
  return fields;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => ok(Buffer.concat(chunks)));
    req.on('error', fail);
  });
}

interface Parsed {
  readonly sql: string;
  /** The insert body when the SQL came in `?query=` and the rows in the body. */
  readonly insertBody: string | undefined;
  readonly database: string | undefined;
  readonly defaultFormat: string | undefined;
  readonly queryId: string;
  readonly sessionId: string | undefined;
  readonly sessionTimeoutMs: number;
  readonly closeSession: boolean;
  readonly settings: Map<string, string>;
  readonly params: Map<string, string>;
  readonly compression: { readonly enabled: boolean; readonly level: number | undefined };
}

function parseRequest(req: IncomingMessage, url: URL, rawBody: Buffer, queryId: string): Parsed {
  const fields = new Map<string, string>();
  for (const [k, v] of url.searchParams) fields.set(k, v);
  let body = decodeBody(rawBody, req.headers['content-encoding']);
  const type = req.headers['content-type'] ?? '';
  if (/^multipart\/form-data/i.test(type)) {
    for (const [k, v] of multipartFields(body, type)) fields.set(k, v);
    body = Buffer.alloc(0);
  }
  if (fields.get('compress') === '1' || fields.get('decompress') === '1')
    throw new HttpFailure(
      exception(
        48,
        'NOT_IMPLEMENTED',
        'ClickHouse native compression (compress=1 / decompress=1) is not supported by the test fixture; use HTTP compression',
      ),
      501,
    );
  const settings = new Map<string, string>();
  const params = new Map<string, string>();
  for (const [k, v] of fields) {
    if (k.startsWith('param_')) params.set(k.slice('param_'.length), v);
    else if (!TRANSPORT_PARAMS.has(k) && !k.startsWith('http_')) settings.set(k, v);
  }
  if (req.method === 'GET' && !settings.has('readonly')) settings.set('readonly', '2');
  const query = fields.get('query') ?? '';
  const text = body.toString('utf8');
  const sql = [query, text].filter((s) => s !== '').join('\n');
  const header = (name: string): string | undefined => {
    const h = req.headers[name];
    return typeof h === 'string' && h !== '' ? h : undefined;
  };
  const level = fields.get('http_zlib_compression_level');
  return {
    sql,
    insertBody: query !== '' && isInsert(query) ? text : undefined,
    database: fields.get('database') ?? header('x-clickhouse-database'),
    defaultFormat: fields.get('default_format') ?? header('x-clickhouse-format'),
    queryId: fields.get('query_id') || queryId,
    sessionId: fields.get('session_id') || undefined,
    sessionTimeoutMs: Number(fields.get('session_timeout') ?? 60) * 1000,
    closeSession: fields.get('close_session') === '1',
    settings,
    params,
    compression: {
      enabled: ['1', 'true'].includes(fields.get('enable_http_compression') ?? ''),
      level: level === undefined ? undefined : Number(level),
    },
  };
}

interface Held {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
}

class Fixture implements EmbeddedClickHouseHttp {
  url = '';
  port = 0;
  requests = 0;
  private mode: InjectedFailure = 'none';
  private modeTimer: NodeJS.Timeout | undefined;
  private readonly held = new Set<Held>();
  private readonly sockets = new Set<Socket>();
  /** `session_id` → its engine session and idle-expiry timer. */
  private readonly sessions = new Map<string, { session: Session; timer?: NodeJS.Timeout }>();
  /** Engine work runs one request at a time (see `exclusive`). */
  private tail: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private readonly server: Server;
  private timezone = 'UTC';
  private version = '';

  constructor(
    private readonly path: string,
    /** Holds the data directory for the fixture's lifetime; requests use their own sessions. */
    private readonly anchor: Session,
  ) {
    this.server = createServer((req, res) => {
      this.requests++;
      res.on('error', () => undefined);
      this.dispatch(req, res);
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('clientError', (_err, socket) => socket.destroy());
  }

  async start(host: string, port: number): Promise<void> {
    const info = await this.anchor.queryAsync('SELECT timezone(), version()', {
      format: 'TabSeparated',
    });
    const [tz, version] = info.text().trim().split('\t');
    this.timezone = tz ?? 'UTC';
    this.version = version ?? '';
    await new Promise<void>((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, host, () => {
        this.server.off('error', fail);
        ok();
      });
    });
    const address = this.server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : port;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${this.port}`;
  }

  injectFailures(mode: InjectedFailure, forMs?: number): void {
    if (this.modeTimer !== undefined) clearTimeout(this.modeTimer);
    this.modeTimer = undefined;
    this.mode = mode;
    if (forMs !== undefined && mode !== 'none') {
      this.modeTimer = setTimeout(() => this.injectFailures('none'), forMs);
      this.modeTimer.unref();
    }
    if (mode !== 'hang') {
      const held = [...this.held];
      this.held.clear();
      for (const h of held) if (!h.req.socket.destroyed) this.dispatch(h.req, h.res);
    }
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    if (this.closing !== undefined) {
      req.socket.destroy();
      return;
    }
    switch (this.mode) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang': {
        const h = { req, res };
        this.held.add(h);
        res.on('close', () => this.held.delete(h));
        return;
      }
      case 'error500':
        req.resume();
        req.on('end', () =>
          this.fail(
            res,
            randomUUID(),
            new HttpFailure(
              exception(
                210,
                'NETWORK_ERROR',
                "Injected failure: the ClickHouse test fixture is in 'error500' mode",
              ),
              500,
            ),
          ),
        );
        return;
      case 'none':
        this.serve(req, res).catch((err: unknown) => this.fail(res, randomUUID(), err));
    }
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const method = req.method ?? 'GET';
    if (url.pathname === '/ping' && (method === 'GET' || method === 'HEAD')) {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8', 'Content-Length': 4 });
      res.end(method === 'HEAD' ? undefined : 'Ok.\n');
      return;
    }
    if (url.pathname !== '/') {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n\nUse / or /ping (test fixture)\n`);
      return;
    }
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      res.writeHead(405, { 'Content-Type': 'text/plain; charset=UTF-8', Allow: 'GET, POST' });
      res.end(`Method ${method} is not supported by the test fixture\n`);
      return;
    }
    let queryId = url.searchParams.get('query_id') || randomUUID();
    try {
      const body = await readBody(req);
      const parsed = parseRequest(req, url, body, queryId);
      queryId = parsed.queryId;
      if (parsed.sql.trim() === '') {
        if (method === 'GET') {
          res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' });
          res.end('Ok.\n');
          return;
        }
        throw new HttpFailure(exception(62, 'SYNTAX_ERROR', 'Empty query'), 400);
      }
      const started = process.hrtime.bigint();
      const result = await this.exclusive(() => this.execute(parsed));
      const elapsedNs = process.hrtime.bigint() - started;
      this.respond(req, res, parsed, result, elapsedNs);
    } catch (err) {
      this.fail(res, queryId, err);
    }
  }

  /** Runs `fn` after every earlier engine call has finished (one request at a time). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async execute(p: Parsed): Promise<ChdbResult | { inserted: 0 }> {
    // A request gets a fresh engine session, so settings, query parameters and `USE` apply to
    // this request only (chdb keeps SET state per session; `session_id` keeps one across requests).
    const session = this.session(p);
    try {
      if (p.database !== undefined) await session.queryAsync(`USE ${sqlIdent(p.database)}`);
      for (const [k, v] of p.settings) {
        if (!NAME.test(k))
          throw new HttpFailure(exception(115, 'UNKNOWN_SETTING', `Unknown setting '${k}'`), 404);
        await session.queryAsync(`SET ${k} = ${sqlString(v)}`);
      }
      for (const [k, v] of p.params) {
        if (!NAME.test(k))
          throw new HttpFailure(
            exception(456, 'UNKNOWN_QUERY_PARAMETER', `Bad query parameter name '${k}'`),
            400,
          );
        // The value keeps the HTTP interface's escaped text form: the engine parses it
        // exactly as a server parses `param_<name>`.
        await session.queryAsync(`SET param_${k} = ${sqlString(v)}`);
      }
      // chdb refuses `INSERT … FORMAT X` without rows; a server accepts it and writes none.
      if (p.insertBody !== undefined && p.insertBody.trim() === '') return { inserted: 0 };
      return await session.queryAsync(p.sql, {
        format: p.defaultFormat ?? 'TabSeparated',
      });
    } finally {
      this.release(p, session);
    }
  }

  private session(p: Parsed): Session {
    if (p.sessionId === undefined) return new Session(this.path);
    const known = this.sessions.get(p.sessionId);
    if (known !== undefined) {
      clearTimeout(known.timer);
      return known.session;
    }
    const session = new Session(this.path);
    this.sessions.set(p.sessionId, { session });
    return session;
  }

  private release(p: Parsed, session: Session): void {
    const id = p.sessionId;
    if (id === undefined) {
      session.close();
      return;
    }
    const entry = this.sessions.get(id);
    if (entry === undefined) return;
    if (p.closeSession) {
      this.sessions.delete(id);
      session.close();
      return;
    }
    entry.timer = setTimeout(() => {
      if (this.sessions.get(id) !== entry) return;
      this.sessions.delete(id);
      void this.exclusive(() => Promise.resolve(session.close()));
    }, p.sessionTimeoutMs);
    entry.timer.unref();
  }

  private baseHeaders(queryId: string): Record<string, string> {
    return {
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Server-Display-Name': DISPLAY_NAME,
      'X-ClickHouse-Timezone': this.timezone,
    };
  }

  private respond(
    req: IncomingMessage,
    res: ServerResponse,
    p: Parsed,
    result: ChdbResult | { inserted: 0 },
    elapsedNs: bigint,
  ): void {
    if (res.destroyed) return;
    const insert = isInsert(p.sql);
    const bytes = 'bytes' in result ? Buffer.from(result.bytes()) : Buffer.alloc(0);
    const rows = 'rowsRead' in result ? result.rowsRead : 0;
    const written = insert && p.insertBody !== undefined ? insertedRows(p.sql, p.insertBody) : 0;
    const writtenBytes = insert ? Buffer.byteLength(p.insertBody ?? '') : 0;
    const summary = {
      read_rows: String(insert ? written : rows),
      read_bytes: String(insert ? writtenBytes : 'bytesRead' in result ? result.bytesRead : 0),
      written_rows: String(written),
      written_bytes: String(writtenBytes),
      total_rows_to_read: '0',
      result_rows: String(insert ? 0 : rows),
      result_bytes: String(insert ? 0 : bytes.length),
      elapsed_ns: elapsedNs.toString(),
    };
    const format = outputFormat(p.sql, p.defaultFormat);
    const headers: Record<string, string> = {
      ...this.baseHeaders(p.queryId),
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Summary': JSON.stringify(summary),
      'Content-Type': contentType(format),
    };
    const codec = p.compression.enabled ? this.codec(req.headers['accept-encoding']) : undefined;
    if (codec === undefined) {
      headers['Content-Length'] = String(bytes.length);
      res.writeHead(200, headers);
      res.end(bytes);
      return;
    }
    headers['Content-Encoding'] = codec;
    res.writeHead(200, headers);
    const level = p.compression.level ?? 3;
    const compressor =
      codec === 'gzip'
        ? zlib.createGzip({ level })
        : codec === 'deflate'
          ? zlib.createDeflate({ level })
          : codec === 'br'
            ? zlib.createBrotliCompress()
            : (zstd.createZstdCompress?.() ?? zlib.createGzip());
    compressor.on('error', () => res.destroy());
    compressor.pipe(res);
    compressor.end(bytes);
  }

  private codec(accept: string | undefined): string | undefined {
    const offered = (accept ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.split(';')[0]?.trim() ?? '');
    const supported = ['gzip', 'deflate', 'br', ...(zstd.createZstdCompress ? ['zstd'] : [])];
    return supported.find((c) => offered.includes(c));
  }

  private fail(res: ServerResponse, queryId: string, err: unknown): void {
    if (res.destroyed) return;
    const f = engineFailure(err);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const code = /Code: (\d+)/.exec(f.message)?.[1] ?? '1001';
    res.writeHead(f.status, {
      ...this.baseHeaders(queryId),
      'X-ClickHouse-Exception-Code': code,
      'Content-Type': 'text/plain; charset=UTF-8',
    });
    res.end(`${f.message}\n`);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.modeTimer !== undefined) clearTimeout(this.modeTimer);
      const closed = new Promise<void>((ok) => this.server.close(() => ok()));
      for (const h of this.held) h.req.socket.destroy();
      this.held.clear();
      for (const s of this.sockets) s.destroy();
      await closed;
      await this.tail;
      for (const { session, timer } of this.sessions.values()) {
        clearTimeout(timer);
        session.close();
      }
      this.sessions.clear();
      this.anchor.close();
    })();
    return this.closing;
  }
}

/**
 * Starts the ClickHouse HTTP test fixture on the embedded engine at `options.path` (see the
 * module comment: tests and development only).
 */
export async function startEmbeddedClickHouseHttp(
  options: EmbeddedClickHouseHttpOptions,
): Promise<EmbeddedClickHouseHttp> {
  const path = resolve(options.path);
  mkdirSync(path, { recursive: true });
  const anchor = new Session(path);
  const fixture = new Fixture(path, anchor);
  try {
    await fixture.start(options.host ?? '127.0.0.1', options.port ?? 0);
  } catch (err) {
    await fixture.close().catch(() => undefined);
    throw err;
  }
  return fixture;
}
