/**
 * Dev runner for the ClickHouse HTTP test fixture (NOT a production server; see
 * docs/clickhouse-http-fixture.md): serves the embedded engine at --path over HTTP so several
 * featurestream processes can share it through CLICKHOUSE_URL.
 *
 *   node --import tsx scripts/clickhouse-http.ts --path ./.featurestream/clickhouse-shared --port 8123
 *
 * Prints `CLICKHOUSE_URL=http://127.0.0.1:8123` and serves until Ctrl-C (SIGINT) or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startEmbeddedClickHouseHttp } from '../src/adapters/clickhouse/embedded-http-server.js';

const USAGE =
  'usage: node --import tsx scripts/clickhouse-http.ts [--path DIR] [--port N] [--host ADDR]\n' +
  '  --path  data directory of the embedded engine (default ./.featurestream/clickhouse-shared)\n' +
  '  --port  TCP port, 0 = any free port (default 8123)\n' +
  '  --host  interface to listen on (default 127.0.0.1; there is no authentication)\n';

async function main(): Promise<void> {
  let values: { path?: string; port?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        path: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(
      `clickhouse-http: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`,
    );
    process.exit(2);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port ?? '8123');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(
      `clickhouse-http: --port ${values.port ?? ''} is not a TCP port\n${USAGE}`,
    );
    process.exit(2);
  }
  const path = values.path ?? './.featurestream/clickhouse-shared';
  const fixture = await startEmbeddedClickHouseHttp({
    path,
    port,
    ...(values.host === undefined ? {} : { host: values.host }),
  });
  process.stdout.write(`CLICKHOUSE_URL=${fixture.url}\n`);
  process.stderr.write(
    `clickhouse-http: serving the embedded engine at ${path} (test/dev fixture: no auth, no TLS); Ctrl-C stops\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(
      `clickhouse-http: ${signal} received, stopping (${fixture.requests} requests served)\n`,
    );
    fixture.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(
          `clickhouse-http: ${err instanceof Error ? err.message : String(err)}\n`,
        );
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`clickhouse-http: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
