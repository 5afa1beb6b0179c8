import type { Row } from '../core/topology/compile.js';
import type { FieldIR } from '../core/topology/ir.js';
import type { ArchivedEvent } from './source-processor.js';

/**
 * Decodes a page of the event archive (ports/event-archive `ArchivePage.lines`: JSON lines of
 * `[offset, ingestedAtMs, …fields in schema order]`) into the rows the stream decoded.
 */
export function decodeArchivePage(lines: string, schema: readonly FieldIR[]): ArchivedEvent[] {
  const text = lines.trim();
  if (text === '') return [];
  const arrays = JSON.parse(`[${text.replace(/\n/g, ',')}]`) as unknown[][];
  const names = schema.map((f) => f.name);
  const n = names.length;
  const out = new Array<ArchivedEvent>(arrays.length);
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i] ?? [];
    const row: Row = {};
    for (let j = 0; j < n; j++) row[names[j] ?? ''] = a[j + 2] ?? null;
    out[i] = { offset: Number(a[0]), ingestedAt: Number(a[1]), row };
  }
  return out;
}
