/** Entry of each engine worker thread: wires codecs into the engine's WorkerService. */
import { parentPort } from 'node:worker_threads';
import {
  COMPACT_ROWS_FORMAT,
  encodeEventsCompact,
  encodeHistoryCompact,
} from '../adapters/clickhouse/compact-rows.js';
import { codecFor } from '../adapters/codecs.js';
import { loadViews } from '../engine/topology-loader.js';
import { WorkerService } from '../engine/worker-service.js';
import { replyTransfers } from '../engine/worker-protocol.js';
import type { WorkerRequest } from '../engine/worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry must run in a worker thread');

const service = new WorkerService((files) => loadViews(files), codecFor, {
  format: COMPACT_ROWS_FORMAT,
  history: encodeHistoryCompact,
  events: encodeEventsCompact,
});

port.on('message', (req: WorkerRequest) => {
  void service.handle(req).then((reply) => port.postMessage(reply, replyTransfers(reply)));
});
