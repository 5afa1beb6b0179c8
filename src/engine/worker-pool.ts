import { Worker } from 'node:worker_threads';
import { FeatureStreamError, fromErrorData } from '../core/errors.js';
import type { WorkerReply, WorkerRequest, WorkerValue } from './worker-protocol.js';

type Pending = { resolve: (v: WorkerValue) => void; reject: (e: Error) => void };
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
export type RequestBody = DistributiveOmit<WorkerRequest, 'id'>;

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  alive: boolean;
  /** Why the thread failed, when it reported an error before exiting. */
  failure: RestartReason | undefined;
}

/** Why a thread was replaced: it ran out of its heap (`heapMb`), or exited otherwise. */
export type RestartReason = 'out_of_memory' | 'exited';

export interface WorkerPoolOptions {
  /** Module run by each thread (cli/worker-entry). */
  readonly entry: URL;
  readonly size: number;
  /**
   * Old-generation heap limit of each thread in MB (`FS_WORKER_HEAP_MB`); V8's default when
   * absent. A thread that exceeds it is stopped and replaced (reason `out_of_memory`) instead
   * of aborting the whole process.
   */
  readonly heapMb?: number;
  /** Called after a thread died and was replaced (the engine re-initialises it). */
  readonly onRestart?: (index: number, exitCode: number, reason: RestartReason) => void;
}

/**
 * A fixed set of worker threads with a typed request/reply protocol. A thread that exits rejects
 * every pending request with a retriable WORKER_EXITED error and is replaced by a fresh one.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  restarts = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    for (let i = 0; i < options.size; i++) this.slots.push(this.spawn(i));
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(index: number): Slot {
    // Threads register the TypeScript loader themselves (topologies are .ts files, loaded
    // without a build step), then import the entry module.
    const tsx = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(this.options.entry.href)}));`;
    const heapMb = this.options.heapMb;
    const worker = new Worker(code, {
      eval: true,
      ...(heapMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: heapMb } }),
    });
    const slot: Slot = { worker, pending: new Map(), alive: true, failure: undefined };
    worker.on('message', (reply: WorkerReply) => {
      const p = slot.pending.get(reply.id);
      if (p === undefined) return;
      slot.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(fromErrorData(reply.error));
    });
    worker.on('error', (err) => {
      const outOfMemory = (err as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      slot.failure = outOfMemory ? 'out_of_memory' : 'exited';
      const reason = outOfMemory ? this.outOfMemory(index) : err;
      for (const p of slot.pending.values()) p.reject(reason);
      slot.pending.clear();
    });
    worker.on('exit', (code) => {
      slot.alive = false;
      const outOfMemory = slot.failure === 'out_of_memory';
      const err = outOfMemory
        ? this.outOfMemory(index)
        : new FeatureStreamError(
            'WORKER_EXITED',
            `worker thread ${index} exited with code ${code}`,
            {
              domain: 'internal',
              retriable: true,
            },
          );
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (!this.closing) {
        this.restarts++;
        this.slots[index] = this.spawn(index);
        this.options.onRestart?.(index, code, outOfMemory ? 'out_of_memory' : 'exited');
      }
    });
    return slot;
  }

  private outOfMemory(index: number): FeatureStreamError {
    const limit = this.options.heapMb === undefined ? "V8's default" : `${this.options.heapMb} MB`;
    return new FeatureStreamError(
      'WORKER_EXITED',
      `worker thread ${index} ran out of memory (heap limit ${limit}); raise FS_WORKER_HEAP_MB or spread the partitions over more workers`,
      { domain: 'internal', retriable: true },
    );
  }

  /** The thread that owns a partition (stable for a given pool size). */
  indexFor(topic: string, partition: number): number {
    let h = partition;
    for (let i = 0; i < topic.length; i++) h = (Math.imul(h, 31) + topic.charCodeAt(i)) | 0;
    return Math.abs(h) % this.slots.length;
  }

  request(index: number, body: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerValue> {
    const slot = this.slots[index];
    if (slot === undefined || !slot.alive) {
      return Promise.reject(
        new FeatureStreamError('WORKER_EXITED', `worker thread ${index} is not running`, {
          retriable: true,
        }),
      );
    }
    const id = this.nextId++;
    return new Promise<WorkerValue>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...body, id }, transfer);
    });
  }

  broadcast(body: RequestBody): Promise<WorkerValue[]> {
    return Promise.all(this.slots.map((_, i) => this.request(i, body)));
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
