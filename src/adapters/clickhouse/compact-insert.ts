import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Inserts JSONCompactEachRow text (see compact-rows.ts; UTF-8 bytes) into `table` (qualified,
 * quoted) for `columns` (quoted list): the bytes go to ClickHouse as they are, nothing is parsed
 * or encoded in Node.
 */
export async function insertCompact(
  client: ClickHouseClient,
  table: string,
  columns: string,
  bytes: Uint8Array,
): Promise<void> {
  if (bytes.length === 0) return;
  const res = await client.exec({
    query: `INSERT INTO ${table} (${columns}) FORMAT JSONCompactEachRow`,
    values: Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]),
  });
  // Drain the (empty) answer so that the connection is released.
  for await (const chunk of res.stream) void chunk;
}
