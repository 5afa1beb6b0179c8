import { parseArgs } from 'node:util';
import {
  ClickHouseBackfillLedger,
  ClickHouseEncodedHistory,
  ClickHouseEventArchive,
} from '../../adapters/clickhouse/clickhouse-archive.js';
import { ClickHouseHistoryStore } from '../../adapters/clickhouse/clickhouse-history-store.js';
import { checkKafka, createKafka } from '../../adapters/kafka/kafka-client.js';
import { commitGroupCheckpoints } from '../../adapters/kafka/kafka-group-offsets.js';
import { RedisOnlineStore } from '../../adapters/redis/redis-online-store.js';
import { loadConfig } from '../../config/config.js';
import type { Config } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import { userError } from '../../core/errors.js';
import { loadViews } from '../../engine/topology-loader.js';
import { WorkerPool } from '../../engine/worker-pool.js';
import { consoleLogger } from '../../observability/logger.js';
import { runBackfill } from '../../offline/backfill.js';
import type { BackfillProgress, BackfillResult } from '../../offline/backfill.js';
import type { Logger } from '../../ports/logger.js';
import type { OnlineStore } from '../../ports/online-store.js';

export const BACKFILL_HELP = `featurestream backfill <view> [--from ISO] [--to ISO] [--version V] [--seed-online] [options]

Recomputes a view's history from the raw event archive (events_{source} in CLICKHOUSE_DATABASE)
with the stream's own code, in worker threads: each partition replayed in its original order
(offsets, deduplicated), with the stream's watermark rules and no wall clock, so the rows (and
the late events) are exactly the stream's. Resumable: run the same command again after an
interruption; finished partitions are skipped (progress in the table backfill_progress).

  --from ISO              write history rows with as-of ≥ ISO (state is still built from the
                          partition's first event)
  --to ISO                write history rows with as-of < ISO
  --version V             fail unless the topologies compile the view to version V (rows are
                          written for the version the loaded topology compiles to)
  --topologies PATH       topology file or folder (default ${DEFAULTS.topologies})
  --workers N             worker threads (default: FS_WORKERS or one per core)
  --target-database DB    write history rows and progress to DB instead of CLICKHOUSE_DATABASE
                          (the archive is always read from CLICKHOUSE_DATABASE)
  --seed-online           at the end of each partition, write every entity's final values and
                          state to the online store (REDIS_URL), fenced by archive offsets, and
                          register the version (not current)
  --make-current          with --seed-online: make it the current version
  --commit-group GROUP    with --seed-online: commit the resume offsets (and partition clocks)
                          for consumer GROUP (KAFKA_BROKERS), so \`featurestream run --group
                          GROUP\` continues this version from where the archive ends
  --restart               ignore earlier progress: replay every partition again
  --page N                offsets per archive page (default 10000)
  --batch-rows N          history rows per insert (default 100000)
  --json                  print the result as one JSON line on stdout
  --quiet                 no progress bar

Progress (events done / total per partition, events/s, ETA) on stderr at most once a second.
Exit status: 0 done; 2 bad arguments or input (unknown view, empty archive); 1 failure;
130 interrupted (run the same command again to resume).`;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

function isoTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : '-';
}

function parseTime(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (!Number.isFinite(t))
    throw userError(
      'CLI_ARG',
      `--${name} ${raw} is not a date`,
      `e.g. --${name} 2026-01-01T00:00:00Z`,
    );
  return t;
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw userError('CLI_ARG', `--${name} ${raw} is not a positive integer`, `e.g. --${name} 4`);
  return n;
}

/**
 * The progress line: events done / total (per partition), events/s over the last seconds and
 * an ETA. On a terminal it rewrites one line; otherwise it prints a line at most once a second.
 */
export class BackfillProgressBar {
  private lastPrint = 0;
  private readonly startedAt = performance.now();
  private samples: { at: number; done: number }[] = [];
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 1_000,
  ) {}

  update(p: BackfillProgress, force = false): void {
    const now = performance.now();
    const finished = p.partitions.every((x) => x.state === 'done' || x.state === 'skipped');
    if (!force && !finished && now - this.lastPrint < this.everyMs) return;
    this.lastPrint = now;
    let done = 0;
    let total = 0;
    let replayTotal = 0;
    let replayDone = 0;
    for (const part of p.partitions) {
      done += part.done;
      total += part.total;
      if (part.state !== 'skipped') {
        replayTotal += part.total;
        replayDone += part.done;
      }
    }
    this.samples.push({ at: now, done: replayDone });
    // The rate over the last 30 s (pages complete in steps, so a shorter window jumps).
    while (this.samples.length > 2 && (this.samples[1]?.at ?? now) < now - 30_000)
      this.samples.shift();
    const first = this.samples[0] ?? { at: this.startedAt, done: 0 };
    const rate =
      now - first.at > 0 ? ((replayDone - first.done) * 1000) / (now - first.at) : Number.NaN;
    const eta = rate > 0 ? (replayTotal - replayDone) / rate : Number.POSITIVE_INFINITY;
    const parts = p.partitions
      .map((x) => {
        const pct = x.total === 0 ? 100 : Math.floor((x.done * 100) / x.total);
        const mark = x.state === 'skipped' ? '✓' : x.state === 'done' ? '✓' : `${pct}%`;
        return `p${x.partition} ${mark}`;
      })
      .join(' ');
    const line = `backfill ${p.view}@${p.version}: ${fmt(done)}/${fmt(total)} events (${total === 0 ? 100 : Math.floor((done * 100) / total)}%) · ${Number.isNaN(rate) ? '-' : fmt(rate)} events/s · ETA ${replayDone >= replayTotal ? '0s' : duration(eta)} · ${parts}`;
    if (this.out.isTTY === true) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r\x1b[K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Ends the rewritten line on a terminal. */
  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}

export interface BackfillCliOptions {
  readonly view: string;
  readonly topologies: readonly string[];
  readonly fromMs?: number | undefined;
  readonly toMs?: number | undefined;
  readonly version?: string | undefined;
  readonly targetDatabase?: string | undefined;
  readonly seedOnline?: boolean;
  readonly makeCurrent?: boolean;
  readonly commitGroup?: string | undefined;
  readonly restart?: boolean;
  readonly pageOffsets?: number | undefined;
  readonly flushRows?: number | undefined;
  readonly onProgress?: (p: BackfillProgress) => void;
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
}

const WORKER_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? '../worker-entry.ts' : '../worker-entry.js',
  import.meta.url,
);

/**
 * A backfill wired from configuration: the archive and the history in ClickHouse
 * (CLICKHOUSE_URL or the embedded engine; history + progress in `targetDatabase`), Redis for
 * `seedOnline`, Kafka for `commitGroup`, `config.workers` worker threads.
 */
export async function backfillWithConfig(
  config: Config,
  options: BackfillCliOptions,
): Promise<BackfillResult> {
  const log = options.logger ?? consoleLogger();
  if (options.makeCurrent === true && options.seedOnline !== true)
    throw userError('CLI_ARG', '--make-current needs --seed-online', 'add --seed-online');
  if (options.commitGroup !== undefined && options.seedOnline !== true) {
    throw userError(
      'CLI_ARG',
      '--commit-group needs --seed-online (a stream resumed there needs the final states)',
      'add --seed-online',
    );
  }
  if (options.seedOnline === true && config.redisUrl === undefined) {
    throw userError(
      'BACKFILL_NO_ONLINE',
      '--seed-online needs REDIS_URL (the in-memory store would vanish with this process)',
      'set REDIS_URL=redis://host:port[/db]',
    );
  }
  if (options.commitGroup !== undefined && config.kafkaBrokers === undefined) {
    throw userError(
      'CLI_ARG',
      '--commit-group needs KAFKA_BROKERS',
      'set KAFKA_BROKERS=host:port, or drop --commit-group',
    );
  }
  // Fail on an unknown view (or bad topology) before any service is contacted.
  const views = await loadViews(options.topologies);
  const view = views.find((v) => v.name === options.view);
  if (view === undefined) {
    throw userError(
      'UNKNOWN_VIEW',
      `no view '${options.view}' in ${options.topologies.join(', ')} (known: ${views
        .map((v) => v.name)
        .sort()
        .join(', ')})`,
      'pass the name of a featureView the topologies export, or --topologies PATH',
    );
  }
  const closers: (() => Promise<void>)[] = [];
  try {
    const kafka =
      options.commitGroup === undefined ? undefined : createKafka(config.kafkaBrokers ?? '');
    if (kafka !== undefined) await checkKafka(kafka, config.kafkaBrokers ?? '');
    const target = { url: config.clickhouseUrl, path: config.clickhousePath };
    const source = await ClickHouseHistoryStore.open({
      ...target,
      database: config.clickhouseDatabase,
    });
    closers.push(() => source.close());
    const targetDb = options.targetDatabase ?? config.clickhouseDatabase;
    let history = source;
    if (targetDb !== config.clickhouseDatabase) {
      history = await ClickHouseHistoryStore.open({ ...target, database: targetDb });
      closers.push(() => history.close());
    }
    const ledger = await ClickHouseBackfillLedger.open(history.raw, targetDb);
    let online: OnlineStore | undefined;
    if (options.seedOnline === true) {
      online = await RedisOnlineStore.connect(config.redisUrl ?? '');
      const o = online;
      closers.push(() => o.close());
    }
    const pool = new WorkerPool({
      entry: WORKER_ENTRY,
      size: config.workers,
      ...(config.workerHeapMb === undefined ? {} : { heapMb: config.workerHeapMb }),
    });
    closers.push(() => pool.close());
    const result = await runBackfill(
      {
        pool,
        archive: new ClickHouseEventArchive(source.raw, config.clickhouseDatabase),
        ledger,
        history,
        encodedHistory: new ClickHouseEncodedHistory(history.raw, targetDb),
        ...(online === undefined ? {} : { online }),
        logger: log,
      },
      {
        topologies: options.topologies,
        view: options.view,
        version: options.version,
        fromMs: options.fromMs,
        toMs: options.toMs,
        bounds: { minEventTime: config.minEventTime, maxFutureMs: config.maxFutureMs },
        seedOnline: options.seedOnline === true,
        makeCurrent: options.makeCurrent === true,
        restart: options.restart === true,
        ...(options.pageOffsets === undefined ? {} : { pageOffsets: options.pageOffsets }),
        ...(options.flushRows === undefined ? {} : { flushRows: options.flushRows }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    if (kafka !== undefined && options.commitGroup !== undefined) {
      await commitGroupCheckpoints(
        kafka,
        options.commitGroup,
        result.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          nextOffset: p.nextOffset,
          maxEventTime: p.maxEventTime,
        })),
      );
    }
    return result;
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}

function report(result: BackfillResult, database: string, options: BackfillCliOptions): string {
  const lines: string[] = [];
  const rate = result.events / Math.max(result.seconds, 0.001);
  lines.push(
    `backfilled ${result.view}@${result.version}: ${fmt(result.events)} events replayed in ${result.seconds.toFixed(1)} s (${fmt(rate)} events/s), ${fmt(result.historyRows)} history rows → ${database}.features_${result.view}${result.range === '..' ? '' : ` (as-of ${result.range})`}`,
  );
  const skipped = result.partitions.filter((p) => p.skipped).length;
  if (skipped > 0)
    lines.push(
      `${skipped} partition(s) finished by an earlier run were skipped (--restart redoes them)`,
    );
  lines.push('partition  events        late      history rows  next offset  max event time');
  for (const p of result.partitions) {
    lines.push(
      `${String(p.partition).padEnd(10)} ${fmt(p.events).padStart(12)}  ${(p.skipped ? '-' : fmt(p.late)).padStart(8)}  ${fmt(p.historyRows).padStart(12)}  ${String(p.nextOffset).padStart(11)}  ${isoTime(p.maxEventTime)}${p.skipped ? '  (earlier run)' : ''}`,
    );
  }
  if (result.registered) {
    lines.push(
      `online store: final values and states written to fs:${result.view}:${result.version}:*; version registered${options.makeCurrent === true ? ' and made current' : ' (not current; --make-current or a `run` of it makes it current)'}`,
    );
    if (options.commitGroup !== undefined) {
      lines.push(
        `consumer group '${options.commitGroup}' committed at the offsets above (with the partition clocks): \`featurestream run <topologies> --group ${options.commitGroup}\` continues this version from there`,
      );
    } else {
      lines.push(
        'to continue this version live: commit the offsets above (with metadata {"v":1,"maxEventTime":<ms>}) for a new consumer group, or rerun with --commit-group GROUP, then `featurestream run <topologies> --group GROUP`',
      );
    }
  }
  return lines.join('\n');
}

export async function backfillCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      version: { type: 'string' },
      topologies: { type: 'string', default: DEFAULTS.topologies },
      workers: { type: 'string' },
      'target-database': { type: 'string' },
      'seed-online': { type: 'boolean', default: false },
      'make-current': { type: 'boolean', default: false },
      'commit-group': { type: 'string' },
      restart: { type: 'boolean', default: false },
      page: { type: 'string' },
      'batch-rows': { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    allowPositionals: true,
    strict: true,
  });
  const [viewName, ...extra] = positionals;
  if (viewName === undefined || extra.length > 0) {
    throw userError(
      'CLI_ARG',
      viewName === undefined ? 'missing <view>' : `unexpected argument '${extra[0] ?? ''}'`,
      'featurestream backfill <view> [options] (--help lists them)',
    );
  }
  const fromMs = parseTime('from', values.from);
  const toMs = parseTime('to', values.to);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs)
    throw userError('CLI_ARG', `--from ${values.from ?? ''} is not before --to ${values.to ?? ''}`);
  const workers = positiveInt('workers', values.workers);
  const page = positiveInt('page', values.page);
  const batchRows = positiveInt('batch-rows', values['batch-rows']);
  const env = { ...process.env };
  if (workers !== undefined) env.FS_WORKERS = String(workers);
  const config = loadConfig(env);
  const bar = values.quiet ? undefined : new BackfillProgressBar();
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) process.exit(130);
    bar?.end();
    process.stderr.write('interrupted: stopping at the next page (again to exit at once)…\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const options: BackfillCliOptions = {
    view: viewName,
    topologies: [values.topologies],
    fromMs,
    toMs,
    version: values.version,
    targetDatabase: values['target-database'],
    seedOnline: values['seed-online'],
    makeCurrent: values['make-current'],
    commitGroup: values['commit-group'],
    restart: values.restart,
    pageOffsets: page,
    flushRows: batchRows,
    signal: controller.signal,
    ...(bar === undefined ? {} : { onProgress: (p: BackfillProgress) => bar.update(p) }),
  };
  try {
    const result = await backfillWithConfig(config, options);
    bar?.end();
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else
      process.stdout.write(
        `${report(result, values['target-database'] ?? config.clickhouseDatabase, options)}\n`,
      );
    return 0;
  } catch (err) {
    bar?.end();
    if (controller.signal.aborted) {
      process.stderr.write(
        'featurestream: backfill interrupted — run the same command again to resume (finished partitions are kept)\n',
      );
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
