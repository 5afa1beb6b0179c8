import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import { FeatureStreamError, userError } from '../../core/errors.js';
import { runAnalystQuery } from '../../offline/analyst-query.js';
import type { QueryFormat } from '../../offline/analyst-query.js';
import { openOffline } from '../offline-factory.js';

export const SQL_HELP = `featurestream sql "<query>" [--format table|json|csv] [--max-rows N]

Runs one SQL statement on the offline store and prints the result.

The statement runs on the embedded ClickHouse engine at CLICKHOUSE_PATH, or on the server of
CLICKHOUSE_URL, in the database CLICKHOUSE_DATABASE (default featurestream). Output: a table
(default; at most --max-rows rows, default 1000), JSON lines (--format json) or CSV with a header
(--format csv), both streamed. Statements without a result (CREATE, INSERT …) print 'ok'. The
tables are documented in the README ("ClickHouse layout", "Analyst queries"); read history with
FINAL. An error is one line on stderr (exit status 2).

  featurestream sql "SELECT count() FROM features_card_fraud FINAL"
  featurestream sql "SHOW TABLES" --format csv`;

export async function sqlCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      format: { type: 'string', default: 'table' },
      'max-rows': { type: 'string', default: '1000' },
    },
    allowPositionals: true,
    strict: true,
  });
  const text = positionals.join(' ').trim();
  if (text === '')
    throw userError('CLI_ARG', 'sql needs a query', 'e.g. featurestream sql "SHOW TABLES"');
  const format = values.format as QueryFormat;
  if (!['table', 'json', 'csv'].includes(format))
    throw userError(
      'CLI_ARG',
      `--format ${values.format} is not table, json or csv`,
      'e.g. --format csv',
    );
  const maxRows = Number(values['max-rows']);
  if (!Number.isInteger(maxRows) || maxRows <= 0)
    throw userError(
      'CLI_ARG',
      `--max-rows ${values['max-rows']} is not a positive integer`,
      'e.g. --max-rows 100',
    );
  const sql = await openOffline(loadConfig());
  try {
    await runAnalystQuery(sql, text, format, process.stdout, maxRows);
    return 0;
  } catch (err) {
    if (err instanceof FeatureStreamError && err.code === 'CLICKHOUSE_QUERY')
      throw new FeatureStreamError('SQL_ERROR', err.message, { domain: 'user' });
    throw err;
  } finally {
    await sql.close();
  }
}
