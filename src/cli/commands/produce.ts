import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { codecFor } from '../../adapters/codecs.js';
import { loadConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import type { CompiledView } from '../../core/topology/compile.js';
import { FeatureProducer } from '../../engine/feature-producer.js';
import type { RejectReason } from '../../engine/feature-producer.js';
import { loadViews } from '../../engine/topology-loader.js';
import type { EventProducer } from '../../ports/event-producer.js';
import { TransactionGenerator } from '../demo/transaction-generator.js';
import { openKafkaProducer } from '../producer-factory.js';

export const PRODUCE_HELP = `featurestream produce <source> (--file PATH | --generate N) [options]

Sends events to a source's Kafka topic (KAFKA_BROKERS, required), validated against the source's
schema and encoded with its format (JSON, or Avro in the Confluent wire format), keyed by the
source's key fields. <source> is a source name from the topologies, e.g. transactions.

  --file PATH        JSON lines, one event per line ('-': standard input)
  --rejects PATH     with --file: write rejected lines to PATH as JSON lines
                     {"line", "reason", "detail", "raw"}
  --generate N       N demo card transactions with event time = now (sources shaped like
                     'transactions' only)
  --rate R           with --generate: events per second (default 0: as fast as possible)
  --cards C          with --generate: distinct cards (default 10000)
  --topologies P     topology file or folder (default ${DEFAULTS.topologies})
  --partitions N     partitions of the topic when it has to be created (default 4)
  --batch N          events per send (default 500)

Progress at most once a second; rejected lines (invalid JSON, schema violations, missing key,
unreadable or absurd event time) are reported on stderr with their line number (the first 20).
Exit status: 0 everything was sent; 3 some lines were rejected (the others were sent);
2 bad arguments; 1 failure; 130 interrupted.`;

const MAX_SHOWN_REJECTS = 20;

type Reason = RejectReason | 'invalid_json';

interface Counts {
  lines: number;
  sent: number;
  rejected: number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw userError('CLI_ARG', `--${name} ${raw} is not a positive integer`, `e.g. --${name} 100`);
  return n;
}

/** A view reading the source called `name`, or a user error listing the known sources. */
async function viewOfSource(name: string, topologies: string): Promise<CompiledView> {
  const views = await loadViews([topologies]);
  const view = views.find((v) => v.ir.source.name === name);
  if (view !== undefined) return view;
  const known = [...new Set(views.map((v) => v.ir.source.name))].sort();
  throw userError(
    'UNKNOWN_SOURCE',
    `no source '${name}' in ${topologies} (known: ${known.join(', ')})`,
    'pass one of the known sources, or --topologies PATH to the topologies that define it',
  );
}

/** Progress lines (at most one a second) and the report of rejected lines. */
class Reporter {
  readonly counts: Counts = { lines: 0, sent: 0, rejected: 0 };
  private readonly startedAt = performance.now();
  private lastPrint = performance.now();
  private shown = 0;

  constructor(
    private readonly label: string,
    private readonly rejects: FileHandle | undefined,
  ) {}

  async reject(line: number, reason: Reason, detail: string, raw: string): Promise<void> {
    this.counts.rejected++;
    if (this.shown < MAX_SHOWN_REJECTS) {
      this.shown++;
      process.stderr.write(`line ${line}: ${reason}: ${detail}\n`);
    }
    if (this.rejects !== undefined)
      await this.rejects.write(`${JSON.stringify({ line, reason, detail, raw })}\n`);
  }

  tick(): void {
    const now = performance.now();
    if (now - this.lastPrint < 1_000) return;
    this.lastPrint = now;
    process.stdout.write(`${this.line()}\n`);
  }

  private line(): string {
    const s = (performance.now() - this.startedAt) / 1000;
    const { lines, sent, rejected } = this.counts;
    return `${this.label}: ${lines > 0 ? `read ${fmt(lines)} lines · ` : ''}sent ${fmt(sent)} · rejected ${fmt(rejected)} · ${fmt(sent / Math.max(s, 0.001))}/s`;
  }

  /** Prints the count of rejected lines not shown (stderr) and the final summary (stdout). */
  finish(interrupted: boolean, rejectsPath: string | undefined): void {
    const hidden = this.counts.rejected - this.shown;
    if (hidden > 0)
      process.stderr.write(
        `… and ${fmt(hidden)} more rejected line(s)${rejectsPath === undefined ? ' (--rejects FILE keeps them all)' : ''}\n`,
      );
    const s = (performance.now() - this.startedAt) / 1000;
    const kept =
      rejectsPath !== undefined && this.counts.rejected > 0
        ? `; rejected lines are in ${rejectsPath}`
        : '';
    process.stdout.write(
      `${interrupted ? 'interrupted' : 'done'} — ${this.line()} in ${s.toFixed(1)} s${kept}\n`,
    );
  }
}

interface Pending {
  readonly line: number;
  readonly raw: string;
  readonly event?: unknown;
  readonly error?: string;
}

/** Sends a batch of parsed lines; reports rejected ones in line order. */
async function flushLines(fp: FeatureProducer, batch: Pending[], rep: Reporter): Promise<void> {
  const toSend = batch.filter((p) => p.error === undefined);
  const { sent, rejected } = await fp.send(toSend.map((p) => p.event));
  rep.counts.sent += sent;
  const out: { line: number; reason: Reason; detail: string; raw: string }[] = [];
  for (const p of batch)
    if (p.error !== undefined)
      out.push({ line: p.line, reason: 'invalid_json', detail: p.error, raw: p.raw });
  for (const r of rejected) {
    const p = toSend[r.index];
    if (p !== undefined) out.push({ line: p.line, reason: r.reason, detail: r.detail, raw: p.raw });
  }
  out.sort((a, b) => a.line - b.line);
  for (const r of out) await rep.reject(r.line, r.reason, r.detail, r.raw);
}

async function produceFile(
  fp: FeatureProducer,
  file: string,
  batchSize: number,
  rep: Reporter,
  stop: AbortSignal,
): Promise<void> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const rl = createInterface({ input, crlfDelay: Infinity });
  // Ctrl-C while waiting for input (a slow pipe) ends the loop too.
  const onStop = (): void => rl.close();
  stop.addEventListener('abort', onStop);
  let batch: Pending[] = [];
  try {
    for await (const raw of rl) {
      const line = ++rep.counts.lines;
      if (raw.trim() === '') continue;
      let entry: Pending;
      try {
        entry = { line, raw, event: JSON.parse(raw) as unknown };
      } catch (err) {
        entry = { line, raw, error: err instanceof Error ? err.message : String(err) };
      }
      batch.push(entry);
      if (batch.length >= batchSize) {
        await flushLines(fp, batch, rep);
        batch = [];
        rep.tick();
      }
      if (stop.aborted) break;
    }
    if (batch.length > 0) await flushLines(fp, batch, rep);
  } finally {
    stop.removeEventListener('abort', onStop);
    rl.close();
    if (input !== process.stdin) input.destroy();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function produceGenerated(
  fp: FeatureProducer,
  total: number,
  rate: number,
  cards: number,
  batchSize: number,
  rep: Reporter,
  stop: AbortSignal,
): Promise<void> {
  const gen = new TransactionGenerator({ cards });
  const t0 = performance.now();
  let produced = 0;
  while (produced < total && !stop.aborted) {
    const elapsed = performance.now() - t0;
    const due = rate === 0 ? total : Math.min(total, Math.floor((elapsed * rate) / 1000));
    if (due <= produced) {
      await sleep(Math.max(1, Math.min(100, ((produced + 1) * 1000) / rate - elapsed)));
      continue;
    }
    const n = Math.min(batchSize, due - produced);
    const now = Date.now();
    const events = Array.from({ length: n }, () => gen.next(now));
    const { sent, rejected } = await fp.send(events);
    produced += n;
    rep.counts.sent += sent;
    for (const r of rejected) await rep.reject(produced - n + r.index + 1, r.reason, r.detail, '');
    rep.tick();
  }
}

export async function produceCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      file: { type: 'string' },
      rejects: { type: 'string' },
      generate: { type: 'string' },
      rate: { type: 'string' },
      cards: { type: 'string' },
      topologies: { type: 'string', default: DEFAULTS.topologies },
      partitions: { type: 'string' },
      batch: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [sourceName, ...extra] = positionals;
  if (sourceName === undefined)
    throw userError('CLI_ARG', 'produce needs a source name', 'e.g. produce transactions --file x');
  if (extra.length > 0)
    throw userError('CLI_ARG', `unexpected argument '${extra.join(' ')}'`, 'one source at a time');
  const file = values.file;
  if ((file === undefined) === (values.generate === undefined))
    throw userError(
      'CLI_ARG',
      'produce needs exactly one of --file PATH and --generate N',
      'e.g. --file events.jsonl, or --generate 1000 --rate 100',
    );
  if (file !== undefined && (values.rate !== undefined || values.cards !== undefined))
    throw userError('CLI_ARG', '--rate and --cards go with --generate', 'drop them with --file');
  if (file === undefined && values.rejects !== undefined)
    throw userError('CLI_ARG', '--rejects goes with --file', 'drop it with --generate');
  const total = positiveInt('generate', values.generate, 0);
  const cards = positiveInt('cards', values.cards, 10_000);
  const partitions = positiveInt('partitions', values.partitions, 4);
  const batchSize = positiveInt('batch', values.batch, 500);
  const rate = values.rate === undefined ? 0 : Number(values.rate);
  if (!Number.isFinite(rate) || rate < 0)
    throw userError('CLI_ARG', `--rate ${values.rate} is not a number ≥ 0`, 'e.g. --rate 500');
  if (file !== undefined && file !== '-') {
    const st = await stat(file).catch(() => undefined);
    if (st === undefined || !st.isFile())
      throw userError('FILE_NOT_FOUND', `--file ${file} is not a readable file`, 'check the path');
  }

  const config = loadConfig();
  const view = await viewOfSource(sourceName, values.topologies);
  const source = view.ir.source;
  const codec = codecFor(source);
  const bounds = { minEventTime: config.minEventTime, maxFutureMs: config.maxFutureMs };
  if (file === undefined) {
    // --generate makes card transactions: the source must accept them as they are.
    const check = new FeatureProducer(source, codec, NO_PRODUCER, { view, bounds });
    const r = check.encode(new TransactionGenerator({ cards: 1 }).next(Date.now()));
    if (!r.ok)
      throw userError(
        'GENERATE_UNSUPPORTED',
        `--generate makes card transactions (txn_id, card_id, customer_id, amount, merchant_id, country, ts), which source '${sourceName}' does not accept: ${r.detail}`,
        'use --generate with the transactions source, or --file for other sources',
      );
  }
  const rejectsPath = values.rejects;
  const producer = await openKafkaProducer(config, 'produce');
  let rejects: FileHandle | undefined;
  const interrupt = new AbortController();
  const onSignal = (): void => interrupt.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (rejectsPath !== undefined) {
      rejects = await open(rejectsPath, 'w').catch((err: unknown) => {
        throw userError(
          'CLI_ARG',
          `--rejects ${rejectsPath}: cannot write: ${err instanceof Error ? err.message : String(err)}`,
          'choose a writable path',
        );
      });
    }
    const fp = new FeatureProducer(source, codec, producer, { view, bounds });
    await fp.ensureTopic(partitions);
    const rep = new Reporter(`produce ${sourceName} → ${source.topic}`, rejects);
    const stop = interrupt.signal;
    if (file !== undefined) await produceFile(fp, file, batchSize, rep, stop);
    else await produceGenerated(fp, total, rate, cards, batchSize, rep, stop);
    rep.finish(stop.aborted, rejectsPath);
    if (stop.aborted) return 130;
    return rep.counts.rejected > 0 ? 3 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rejects?.close();
    await producer.close();
  }
}

/** A producer that sends nowhere: for validating a sample without a connection. */
const NO_PRODUCER: EventProducer = {
  ensureTopic: () => Promise.resolve(),
  send: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
