/** A three-node Redis Cluster on loopback ports for conformance tests (started and stopped here). */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { promisify } from 'node:util';
import { tempDir, waitFor } from './e2e.js';

const run = promisify(execFile);

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  // Cluster bus ports are port + 10000: keep them valid.
  return ports.map((p) => (p > 55_000 ? p - 20_000 : p));
}

export class RedisCluster {
  private constructor(
    readonly ports: number[],
    private readonly children: ChildProcess[],
  ) {}

  static async start(): Promise<RedisCluster> {
    const ports = await freePorts(3);
    const dir = tempDir('redis-cluster');
    const children = ports.map((port) =>
      spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'no',
        ],
        { stdio: 'ignore' },
      ),
    );
    const cluster = new RedisCluster(ports, children);
    try {
      for (const port of ports) {
        await waitFor(
          `redis node ${port}`,
          async () =>
            (
              await run('redis-cli', ['-p', String(port), 'ping']).catch(() => ({ stdout: '' }))
            ).stdout.trim() === 'PONG',
          20_000,
        );
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-yes',
      ]);
      await waitFor(
        'cluster_state:ok',
        async () => {
          const states = await Promise.all(
            ports.map(
              async (p) => (await run('redis-cli', ['-p', String(p), 'cluster', 'info'])).stdout,
            ),
          );
          return states.every((s) => s.includes('cluster_state:ok'));
        },
        30_000,
      );
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** REDIS_URL for a cluster: the node list. */
  get url(): string {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
  }
}
