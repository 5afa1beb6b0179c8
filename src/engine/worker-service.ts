import { FeatureStreamError, toErrorData } from '../core/errors.js';
import type { CompiledView } from '../core/topology/compile.js';
import type { ViewIR } from '../core/topology/ir.js';
import type { RecordCodec } from '../ports/record-codec.js';
import { SourceProcessor } from './source-processor.js';
import type { WorkerReply, WorkerRequest, WorkerValue } from './worker-protocol.js';

export type CodecFactory = (source: ViewIR['source']) => RecordCodec;
export type ViewLoader = (files: readonly string[]) => Promise<readonly CompiledView[]>;

/**
 * The worker side of the protocol: owns one SourceProcessor per topic and answers requests.
 * Runs inside a worker thread (see cli/worker-entry) and directly in tests.
 */
export class WorkerService {
  private readonly processors = new Map<string, SourceProcessor>();

  constructor(
    private readonly loadViews: ViewLoader,
    private readonly codecFor: CodecFactory,
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
      case 'crash':
        // Test hook: simulates a worker dying mid-flight.
        process.exit(70);
    }
  }
}
