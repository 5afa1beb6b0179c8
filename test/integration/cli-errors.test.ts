import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/e2e.js';

/** Runs the CLI with `env` added; resolves with its exit code and output. */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: REPO,
        env: { ...process.env, KAFKA_BROKERS: '', REDIS_URL: '', CLICKHOUSE_URL: '', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Bad configuration: one line naming the setting and the fix; no stack trace; non-zero exit. */
describe('bad configuration fails with a one-line error', () => {
  const cases: { name: string; args?: string[]; env: Record<string, string>; expect: RegExp }[] = [
    {
      name: 'unreachable broker',
      env: { KAFKA_BROKERS: '127.0.0.1:1' },
      expect: /KAFKA_UNREACHABLE: .*KAFKA_BROKERS=127\.0\.0\.1:1.* — .*start a broker/,
    },
    {
      name: 'malformed broker list',
      env: { KAFKA_BROKERS: 'localhost' },
      expect: /CONFIG_INVALID: KAFKA_BROKERS=localhost.*host:port/,
    },
    {
      name: 'unreachable Redis',
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
      expect: /REDIS_UNREACHABLE: .*REDIS_URL=redis:\/\/127\.0\.0\.1:1.* — /,
    },
    {
      name: 'wrong Redis URL scheme',
      env: { REDIS_URL: 'http://127.0.0.1:6379' },
      expect:
        /CONFIG_INVALID: REDIS_URL=http:\/\/127\.0\.0\.1:6379 is not a valid redis:\/\/ or rediss:\/\/ or unix:\/\/ URL/,
    },
    {
      name: 'unix socket in a cluster list',
      env: { REDIS_URL: 'redis://127.0.0.1:7000,unix:///tmp/redis.sock' },
      expect: /CONFIG_INVALID: REDIS_URL=.*a unix:\/\/ URL names one socket file.* — /,
    },
    {
      name: 'missing Redis socket',
      env: { REDIS_URL: 'unix:///nonexistent/redis.sock' },
      expect: /REDIS_UNREACHABLE: .*REDIS_URL=unix:\/\/\/nonexistent\/redis\.sock.* — /,
    },
    {
      name: 'unwritable ClickHouse path',
      env: { CLICKHOUSE_PATH: '/proc/featurestream-test' },
      expect:
        /CLICKHOUSE_PATH: CLICKHOUSE_PATH=\/proc\/featurestream-test is not a writable directory.* — point CLICKHOUSE_PATH/,
    },
    {
      name: 'ClickHouse path under a file',
      env: { CLICKHOUSE_PATH: `${REPO}/package.json/x` },
      expect: /CLICKHOUSE_PATH: .*not a writable directory/,
    },
    {
      name: 'bad worker count',
      env: { FS_WORKERS: 'many' },
      expect: /CONFIG_INVALID: FS_WORKERS=many is not an integer/,
    },
    {
      name: 'missing topology path',
      args: ['run', 'no/such/dir'],
      env: {},
      expect: /TOPOLOGY_NOT_FOUND: topology path 'no\/such\/dir' does not exist/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await cli(c.args ?? ['run', 'topologies', '--quiet'], c.env);
      expect(r.code, r.stderr).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^featurestream: /);
      expect(lines[0]).toMatch(c.expect);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('unknown command prints usage and exits 2', async () => {
    const r = await cli(['frobnicate'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
