/** Engine processes for crash, rebalance and outage tests: spawn, kill -9, terminate, wait. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { kafka, REPO, waitFor } from './e2e.js';

export class EngineProcess {
  private output = '';
  private exited: Promise<number | null>;
  private running = false;

  private constructor(readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => {
      this.output += d.toString();
      if (this.output.includes('] running')) this.running = true;
      if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
    });
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** `featurestream run <topology> --replay --quiet` with `env` on top of the test's environment. */
  static start(topology: string, env: Record<string, string>, workers: number): EngineProcess {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'run',
        topology,
        '--replay',
        '--quiet',
        '--workers',
        String(workers),
      ],
      {
        cwd: REPO,
        env: { ...process.env, FS_METRICS_PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new EngineProcess(child);
  }

  get log(): string {
    return this.output;
  }

  async waitRunning(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `engine running (log so far: ${this.output.slice(-500)})`,
      () => this.running || this.child.exitCode !== null,
      timeoutMs,
    );
    if (!this.running) throw new Error(`engine exited before running: ${this.output.slice(-2000)}`);
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: a graceful stop (flush, commit) must exit 0. */
  async terminate(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** True once the group has committed every partition of `topic` up to its end offset. */
export async function caughtUp(groupId: string, topic: string): Promise<boolean> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]),
    );
    return ends.every((e) => (byPartition.get(e.partition) ?? -1) >= Number(e.high));
  } finally {
    await admin.disconnect();
  }
}

/** Sum of the group's committed offsets over the topic's partitions (0 when none). */
export async function committedTotal(groupId: string, topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (committed[0]?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
