import { open } from 'node:fs/promises';
import { userError } from '../core/errors.js';

const MAX_HEADER_BYTES = 1 << 20;

/** Splits one CSV record (RFC 4180 quoting) into fields. */
export function parseCsvRecord(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c ?? '';
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c ?? '';
  }
  out.push(cur);
  return out;
}

/**
 * The column names of a CSV file's header line (the only part of the file read in Node).
 * Errors: unreadable file, empty file, empty or duplicate column names.
 */
export async function readCsvHeader(path: string): Promise<string[]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw userError(
      'LABELS_NOT_FOUND',
      `labels file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      'check the path',
    );
  }
  let text = '';
  try {
    const buf = Buffer.alloc(64 * 1024);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      text += buf.subarray(0, bytesRead).toString('utf8');
      if (/\r?\n/.test(text) || pos >= MAX_HEADER_BYTES) break;
    }
  } finally {
    await fh.close();
  }
  const line = (text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '').trimEnd();
  if (line === '') {
    throw userError(
      'LABELS_EMPTY',
      `labels file ${path} is empty (no header line)`,
      'write a header line with the column names, then one label per line',
    );
  }
  const cols = parseCsvRecord(line).map((c) => c.trim());
  const seen = new Set<string>();
  cols.forEach((c, i) => {
    if (c === '')
      throw userError(
        'LABELS_HEADER',
        `labels file ${path}: column ${i + 1} of the header has no name`,
        'name every column in the header line',
      );
    if (seen.has(c))
      throw userError(
        'LABELS_HEADER',
        `labels file ${path}: column '${c}' appears twice in the header`,
        'give every column a unique name',
      );
    seen.add(c);
  });
  return cols;
}
