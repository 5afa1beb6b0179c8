import { FeatureStreamError, toErrorData } from '../core/errors.js';
import type { CompiledView } from '../core/topology/compile.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { HistoryEncoder } from '../ports/event-archive.js';
import type { RecordCodec } from '../ports/record-codec.js';
import { decodeArchivePage } from './archive-page.js';
import { DEFAULT_TIME_BOUNDS, SourceProcessor } from './source-processor.js';
import type { TimeBounds } from './source-processor.js';
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

  constructor(
    private readonly loadViews: ViewLoader,
    private readonly codecFor: CodecFactory,
    /** Encodes replayed history rows for the offline store (backfills), when given. */
    private readonly encodeHistory?: HistoryEncoder,
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
      case 'batch':
        return this.processor(req.topic).process(req.partition, req.records, req.nowMs);
      case 'tick':
        return this.processor(req.topic).tick(req.partition, req.nowMs);
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
        const encode = this.encodeHistory;
        if (req.encode === undefined || encode === undefined || view === undefined) return out;
        const writtenAt = req.encode.writtenAt;
        return {
          ...out,
          rows: [],
          encoded: out.rows.map((rows) => encode(view.ir, rows, writtenAt)),
          rowCounts: out.rows.map((rows) => rows.length),
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
