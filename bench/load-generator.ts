/**
 * A load generator for bench:serving, run as its own process. Open loop (fixed rate: requests
 * are sent on schedule whatever the latency, and latency counts from the scheduled time, so
 * queueing shows) or closed loop (N requests in flight). Targets: the HTTP API, or Redis
 * directly (the floor). Prints one JSON line: counts and latency percentiles in ms.
 *
 *   node --import tsx bench/load-generator.ts '<json options>'
 */
import { Agent, request } from 'node:http';
import { Redis } from 'ioredis';

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
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const entity = (i: number): string => `card-${(i % o.entities).toString().padStart(6, '0')}`;
let seq = Math.floor(Math.random() * o.entities);

type Send = () => Promise<void>;

function httpSender(): Send {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const u = new URL(o.url);
  const doRequest = (method: string, path: string, body?: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          method,
          path,
          agent,
          headers:
            body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode ?? 0}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  if (o.batch === 1) return () => doRequest('GET', `/v1/features/${o.view}/${entity(seq++)}`);
  return () => {
    const entities = Array.from({ length: o.batch }, () => entity(seq++));
    return doRequest(
      'POST',
      '/v1/features',
      JSON.stringify({ requests: [{ view: o.view, entities }] }),
    );
  };
}

function redisSender(): Send {
  const clients = Array.from(
    { length: Math.max(1, Math.min(o.concurrency, 16)) },
    () => new Redis(o.url, { enableAutoPipelining: true }),
  );
  let next = 0;
  const key = (e: string): string => `fs:${o.view}:${o.version}:${e}`;
  if (o.batch === 1) {
    return async () => {
      const c = clients[next++ % clients.length] as Redis;
      await c.hgetall(key(entity(seq++)));
    };
  }
  return async () => {
    const c = clients[next++ % clients.length] as Redis;
    const p = c.pipeline();
    for (let i = 0; i < o.batch; i++) p.hgetall(key(entity(seq++)));
    await p.exec();
  };
}

const send = o.target === 'http' ? httpSender() : redisSender();
const latencies: number[] = [];
let errors = 0;
let sent = 0;

async function openLoop(): Promise<void> {
  const interval = 1000 / o.rate;
  const start = performance.now();
  const end = start + (o.warmupS + o.durationS) * 1000;
  const measureFrom = start + o.warmupS * 1000;
  const inflight = new Set<Promise<void>>();
  let i = 0;
  for (;;) {
    const due = start + i * interval;
    if (due >= end) break;
    const now = performance.now();
    // Always yield to the event loop (responses must be read); sleep when the next send is far.
    if (due > now + 1) await new Promise((r) => setTimeout(r, Math.max(0, due - now - 0.5)));
    else await new Promise((r) => setImmediate(r));
    // Send every request that is due now (catching up after timer slack).
    while (start + i * interval <= performance.now() && start + i * interval < end) {
      const scheduled = start + i * interval;
      i++;
      sent++;
      const p = send().then(
        () => {
          if (scheduled >= measureFrom) latencies.push(performance.now() - scheduled);
        },
        () => {
          errors++;
        },
      );
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    }
  }
  await Promise.all(inflight);
}

async function closedLoop(): Promise<void> {
  const start = performance.now();
  const end = start + (o.warmupS + o.durationS) * 1000;
  const measureFrom = start + o.warmupS * 1000;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        sent++;
        try {
          await send();
          if (t0 >= measureFrom) latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
}

await (o.mode === 'open' ? openLoop() : closedLoop());
latencies.sort((a, b) => a - b);
const pct = (p: number): number =>
  latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({ measured: latencies.length, sent, errors, rps: latencies.length / o.durationS, p50: pct(0.5), p99: pct(0.99), p999: pct(0.999), max: latencies[latencies.length - 1] ?? Number.NaN })}\n`,
);
process.exit(0);
