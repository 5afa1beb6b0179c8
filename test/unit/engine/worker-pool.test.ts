import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../../src/engine/worker-pool.js';
import type { RestartReason } from '../../../src/engine/worker-pool.js';

/**
 * A thread entry that answers `{ type: 'echo' }` and, asked to `hog`, keeps allocating until its
 * heap limit stops it.
 */
const ENTRY = `
import { parentPort } from 'node:worker_threads';
const kept = [];
parentPort.on('message', (req) => {
  if (req.type === 'hog') for (;;) kept.push(new Array(100_000).fill(req.id));
  parentPort.postMessage({ id: req.id, ok: true, value: { echo: req.id } });
});
`;

describe('WorkerPool heap limit', () => {
  it('replaces a thread that outgrows FS_WORKER_HEAP_MB instead of aborting the process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-pool-'));
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, ENTRY);
    const restarts: { index: number; reason: RestartReason }[] = [];
    const pool = new WorkerPool({
      entry: pathToFileURL(entry),
      size: 1,
      heapMb: 64,
      onRestart: (index, _code, reason) => restarts.push({ index, reason }),
    });
    try {
      const hog = pool.request(0, { type: 'hog' } as never);
      await expect(hog).rejects.toThrow(/ran out of memory \(heap limit 64 MB\)/);
      await expect.poll(() => restarts.length, { timeout: 10_000 }).toBe(1);
      expect(restarts[0]).toEqual({ index: 0, reason: 'out_of_memory' });
      // The replacement thread answers.
      await expect
        .poll(() => pool.request(0, { type: 'echo' } as never), { timeout: 10_000 })
        .toEqual({
          echo: expect.any(Number) as unknown,
        });
    } finally {
      await pool.close();
    }
  }, 30_000);
});
