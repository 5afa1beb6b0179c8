import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Inserts JSONCompactEachRow text (see compact-rows.ts) into `table` (qualified, quoted) for
 * `columns` (quoted list): the text goes to ClickHouse as it is, nothing is parsed in Node.
 */
export async function insertCompact(
  client: ClickHouseClient,
  table: string,
  columns: string,
  text: string,
): Promise<void> {
  if (text === '') return;
  const res = await client.exec({
    query: `INSERT INTO ${table} (${columns}) FORMAT JSONCompactEachRow`,
    values: Readable.from([text]),
  });
  // Drain the (empty) answer so that the connection is released.
  for await (const chunk of res.stream) void chunk;
}
