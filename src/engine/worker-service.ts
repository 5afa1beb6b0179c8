import { FeatureStreamError, toErrorData } from '../core/errors.js';
import type { CompiledView } from '../core/topology/compile.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { OfflineEncoders } from '../ports/event-archive.js';
import type { RecordCodec } from '../ports/record-codec.js';
import { decodeArchivePage } from './archive-page.js';
import { DEFAULT_TIME_BOUNDS, SourceProcessor } from './source-processor.js';
import type { BatchOutput, EncodedHistory, TimeBounds } from './source-processor.js';
import type { HistoryRow } from '../core/windowing/partition-runtime.js';
import type { WorkerReply, WorkerRequest, WorkerValue } from './worker-protocol.js';

export type CodecFactory = (source: ViewIR['source']) => RecordCodec;
export type ViewLoader = (files: readonly string[]) => Promise<readonly CompiledView[]>;

/**
 * The worker side of the protocol: owns one SourceProcessor per topic and answers requests.
 * Runs inside a worker thread (see cli/worker-entry) and directly in tests.
 */
export class WorkerService {
  private readonly processors = new Map<string, SourceProcessor>();
  /** Archive replays (backfills): one processor per view, holding only that view. */
  private readonly replays = new Map<string, SourceProcessor>();
  private views = new Map<string, CompiledView>();
  private bounds: TimeBounds = DEFAULT_TIME_BOUNDS;
  /** Encode stream batches' offline rows (`init.encodeOffline`, with `encoders`). */
  private encodeOffline = false;

  constructor(
    private readonly loadViews: ViewLoader,
    private readonly codecFor: CodecFactory,
    /**
     * The offline store's encoders, when given: stream batches (if `init` asks) and replays (if
     * the request asks) return their rows as the store's text instead of objects.
     */
    private readonly encoders?: OfflineEncoders,
  ) {}

  async handle(req: WorkerRequest): Promise<WorkerReply> {
    try {
      return { id: req.id, ok: true, value: await this.dispatch(req) };
    } catch (err) {
      return { id: req.id, ok: false, error: toErrorData(err) };
    }
  }

  private processor(topic: string): SourceProcessor {
    const p = this.processors.get(topic);
    if (p === undefined) {
      throw new FeatureStreamError('WORKER_UNKNOWN_TOPIC', `no view reads topic '${topic}'`, {
        domain: 'internal',
      });
    }
    return p;
  }

  private replayProcessor(view: string): SourceProcessor {
    let p = this.replays.get(view);
    if (p === undefined) {
      const v = this.views.get(view);
      if (v === undefined) {
        throw new FeatureStreamError('WORKER_UNKNOWN_VIEW', `no view '${view}' is loaded`, {
          domain: 'internal',
        });
      }
      p = new SourceProcessor(v.ir.source.topic, [v], this.codecFor(v.ir.source), this.bounds);
      this.replays.set(view, p);
    }
    return p;
  }

  /**
   * The batch with its archive and history rows encoded for the offline store (when `init`
   * asked): the main thread then forwards bytes (transferred, not copied) instead of receiving
   * and serializing objects.
   */
  private encoded(p: SourceProcessor, out: BatchOutput): BatchOutput {
    const enc = this.encoders;
    const views = p.views;
    const source = views[0]?.ir.source;
    if (!this.encodeOffline || enc === undefined || source === undefined) return out;
    return {
      ...out,
      archive: [],
      views: out.views.map((v) => ({ ...v, rows: [] })),
      encoded: {
        archive: enc.events(source, out.archive, out.nowMs),
        archiveRows: out.archive.length,
        ...encodeHistory(
          enc,
          views,
          out.views.map((v) => v.rows),
          out.nowMs,
        ),
      },
    };
  }

  private async dispatch(req: WorkerRequest): Promise<WorkerValue> {
    switch (req.type) {
      case 'init': {
        const views = await this.loadViews(req.files);
        const byTopic = new Map<string, CompiledView[]>();
        for (const v of views) {
          const list = byTopic.get(v.ir.source.topic) ?? [];
          list.push(v);
          byTopic.set(v.ir.source.topic, list);
        }
        this.processors.clear();
        this.replays.clear();
        this.views = new Map(views.map((v) => [v.name, v]));
        this.bounds = req.bounds;
        this.encodeOffline =
          req.encodeOffline !== undefined && req.encodeOffline === this.encoders?.format;
        for (const [topic, list] of byTopic) {
          const first = list[0];
          if (first === undefined) continue;
          this.processors.set(
            topic,
            new SourceProcessor(topic, list, this.codecFor(first.ir.source), req.bounds),
          );
        }
        return { views: [...byTopic.values()].flat().map((v) => v.ir) };
      }
      case 'assign':
        this.processor(req.topic).assign(req.partition, req.maxEventTime, req.states);
        return undefined;
      case 'revoke':
        this.processors.get(req.topic)?.revoke(req.partition);
        return undefined;
      case 'batch': {
        const p = this.processor(req.topic);
        return this.encoded(p, p.process(req.partition, req.records, req.nowMs));
      }
      case 'tick': {
        const p = this.processor(req.topic);
        const out = p.tick(req.partition, req.nowMs);
        return out === undefined ? undefined : this.encoded(p, out);
      }
      case 'replay-start':
        this.replayProcessor(req.view).assign(req.partition, -Infinity, []);
        return undefined;
      case 'replay-batch': {
        const processor = this.replayProcessor(req.view);
        const view = this.views.get(req.view);
        const schema = view?.ir.source.schema ?? [];
        const out = processor.replay(
          req.partition,
          decodeArchivePage(req.lines, schema),
          req.range,
        );
        const enc = this.encoders;
        if (req.encode === undefined || enc === undefined || view === undefined) return out;
        return {
          ...out,
          rows: [],
          encoded: encodeHistory(enc, [view], out.rows, req.encode.writtenAt),
        };
      }
      case 'replay-snapshot':
        return this.replayProcessor(req.view).snapshot(req.partition, req.start, req.limit);
      case 'replay-end':
        this.replays.get(req.view)?.revoke(req.partition);
        return undefined;
      case 'crash':
        // Test hook: simulates a worker dying mid-flight.
        process.exit(70);
    }
  }
}

/** History rows per view in the offline store's text (stream batches and replays alike). */
function encodeHistory(
  enc: OfflineEncoders,
  views: readonly CompiledView[],
  rows: readonly (readonly HistoryRow[])[],
  writtenAt: number,
): EncodedHistory {
  return {
    history: rows.map((r, i) => {
      const view = views[i];
      return view === undefined ? new Uint8Array(0) : enc.history(view.ir, r, writtenAt);
    }),
    historyRows: rows.map((r) => r.length),
  };
}
