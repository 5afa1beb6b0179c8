import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeatureStreamError } from '../core/errors.js';
import type { Auth } from './auth.js';
import { badRequest, notFound } from './catalog.js';
import type { FeatureReader, ViewRequest } from './feature-reader.js';

/** Pushes events to a source (validated like the producer); index-aligned rejections. */
export type Pusher = (
  source: string,
  events: readonly unknown[],
) => Promise<{ accepted: number; rejected: { index: number; reason: string }[] }>;

export interface ServingObserver {
  readonly request?: (route: string, status: number, seconds: number) => void;
}

export interface ServingOptions {
  readonly reader: FeatureReader;
  readonly auth: Auth;
  readonly push?: Pusher | undefined;
  /** Known sources for push (names). */
  readonly sources?: readonly string[];
  readonly observer?: ServingObserver | undefined;
  /** Text exposition for GET /metrics. */
  readonly metrics?: (() => Promise<string>) | undefined;
  /** Readiness probe (e.g. online store ping). */
  readonly ready?: () => Promise<void>;
  readonly maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY = 1 << 20;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function send(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(
        new FeatureStreamError('BODY_TOO_LARGE', `request body over ${limit} bytes`, {
          domain: 'user',
          details: { status: 413 },
        }),
      );
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(
          new FeatureStreamError('BODY_TOO_LARGE', `request body over ${limit} bytes`, {
            domain: 'user',
            details: { status: 413 },
          }),
        );
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.length === 0 ? undefined : (JSON.parse(text) as unknown));
      } catch (err) {
        reject(
          badRequest(
            'MALFORMED_JSON',
            `the body is not JSON: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      }
    });
    req.on('error', reject);
  });
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw badRequest('BAD_PATH', 'malformed percent-encoding in the path');
  }
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw badRequest('BAD_REQUEST', `${what} must be a list of strings`);
  return v as string[];
}

function parseBatch(body: unknown): ViewRequest[] {
  const requests = (body as { requests?: unknown } | undefined)?.requests;
  if (!Array.isArray(requests) || requests.length === 0) {
    throw badRequest(
      'BAD_REQUEST',
      'expected { "requests": [{ "view", "entities": [...], "features"?, "version"? }] }',
    );
  }
  return requests.map((r: unknown, i) => {
    const o = r as Record<string, unknown> | null;
    if (o === null || typeof o !== 'object' || typeof o.view !== 'string')
      throw badRequest('BAD_REQUEST', `requests[${i}].view must be a string`);
    if (o.version !== undefined && typeof o.version !== 'string')
      throw badRequest('BAD_REQUEST', `requests[${i}].version must be a string`);
    return {
      view: o.view,
      entities: strings(o.entities, `requests[${i}].entities`),
      features:
        o.features === undefined ? undefined : strings(o.features, `requests[${i}].features`),
      version: o.version,
    };
  });
}

/**
 * The serving HTTP API (README "Serving API"):
 * - `GET  /v1/features/{view}/{entity}?features=a,b&version=v`
 * - `POST /v1/features` `{ requests: [{ view, entities, features?, version? }] }`
 * - `POST /v1/feature-services/{name}?version=v` `{ entities: [{ <key field>: value, … }] }`
 * - `POST /v1/push/{source}` an event object or a list of them
 * - `GET /healthz`, `/readyz`, `/metrics`
 */
export class ServingApi {
  private readonly maxBody: number;

  constructor(private readonly options: ServingOptions) {
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  }

  listen(
    port: number,
    host = '0.0.0.0',
  ): Promise<{ server: Server; port: number; close(): Promise<void> }> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 65_000;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const addr = server.address() as AddressInfo;
        resolve({
          server,
          port: addr.port,
          close: () =>
            new Promise<void>((r) => {
              server.closeAllConnections();
              server.close(() => r());
            }),
        });
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? undefined : new URLSearchParams(url.slice(q + 1));
    const parts = path.split('/');
    let route = 'other';
    let status = 200;
    try {
      const o = this.options;
      if (parts[1] === 'v1') {
        const kind = parts[2];
        if (kind === 'features' && parts.length === 5 && req.method === 'GET') {
          route = 'get_features';
          const view = decodeSegment(parts[3] ?? '');
          o.auth.checkRead(req.headers.authorization, [view]);
          const features = query?.get('features');
          const text = await o.reader.oneJson(
            view,
            decodeSegment(parts[4] ?? ''),
            features === null || features === undefined ? undefined : features.split(','),
            query?.get('version') ?? undefined,
          );
          sendText(res, 200, text);
        } else if (kind === 'features' && parts.length === 3 && req.method === 'POST') {
          route = 'post_features';
          const requests = parseBatch(await readBody(req, this.maxBody));
          o.auth.checkRead(
            req.headers.authorization,
            requests.map((r) => r.view),
          );
          sendText(res, 200, await o.reader.batchJson(requests));
        } else if (kind === 'feature-services' && parts.length === 4 && req.method === 'POST') {
          route = 'post_feature_service';
          const name = decodeSegment(parts[3] ?? '');
          const body = (await readBody(req, this.maxBody)) as { entities?: unknown } | undefined;
          const rows = body?.entities;
          if (!Array.isArray(rows) || rows.some((r) => typeof r !== 'object' || r === null)) {
            throw badRequest(
              'BAD_REQUEST',
              'expected { "entities": [{ "<key field>": "<value>", … }] }',
            );
          }
          const svc = await o.reader.catalog.service(name, query?.get('version') ?? undefined);
          o.auth.checkRead(req.headers.authorization, [...new Set(svc.refs.map((r) => r.view))]);
          sendText(res, 200, await o.reader.serviceJson(svc, rows as Record<string, unknown>[]));
        } else if (kind === 'push' && parts.length === 4 && req.method === 'POST') {
          route = 'push';
          const source = decodeSegment(parts[3] ?? '');
          if (o.push === undefined || !(o.sources ?? []).includes(source)) {
            throw notFound(
              'UNKNOWN_SOURCE',
              `unknown source '${source}'`,
              `known sources: ${(o.sources ?? []).join(', ')}`,
            );
          }
          o.auth.checkPush(req.headers.authorization, source);
          const body = await readBody(req, this.maxBody);
          const events = Array.isArray(body) ? body : [body];
          if (events.length === 0 || body === undefined)
            throw badRequest('BAD_REQUEST', 'send an event object or a non-empty list of them');
          const result = await o.push(source, events);
          send(res, result.accepted === 0 ? 400 : 200, result);
        } else {
          throw notFound('NOT_FOUND', `no route for ${req.method ?? 'GET'} ${path}`);
        }
      } else if (path === '/healthz') {
        route = 'healthz';
        send(res, 200, { ok: true });
      } else if (path === '/readyz') {
        route = 'readyz';
        await this.options.ready?.();
        send(res, 200, { ready: true });
      } else if (path === '/metrics' && this.options.metrics !== undefined) {
        route = 'metrics';
        const text = await this.options.metrics();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(text);
      } else {
        throw notFound('NOT_FOUND', `no route for ${req.method ?? 'GET'} ${path}`);
      }
    } catch (err) {
      status = this.fail(res, err, route);
    } finally {
      this.options.observer?.request?.(
        route,
        res.statusCode === 200 ? status : res.statusCode,
        (performance.now() - started) / 1000,
      );
    }
  }

  private fail(res: ServerResponse, err: unknown, route: string): number {
    let status = 500;
    let body: { code: string; message: string; fix?: string };
    if (err instanceof FeatureStreamError) {
      const s = err.details?.status;
      status = typeof s === 'number' ? s : err.domain === 'user' ? 400 : 503;
      body = {
        code: err.code,
        message: err.message,
        ...(err.fix === undefined ? {} : { fix: err.fix }),
      };
    } else {
      status = 503;
      body = {
        code: 'UNAVAILABLE',
        message: `${route}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (route === 'readyz') status = 503;
    if (!res.headersSent) send(res, status, { error: body });
    else res.destroy();
    return status;
  }
}
