/**
 * `featurestream produce` against a real Kafka broker: the CLI runs as a child process, the test
 * reads back what arrived on the topic with kafkajs and decodes it with the source's codec.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codecFor } from '../../src/adapters/codecs.js';
import type { ViewIR } from '../../src/core/topology/ir.js';
import {
  REPO,
  kafka,
  services,
  tempDir,
  uniqueName,
  waitFor,
  writeTopology,
} from '../support/e2e.js';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `env` added to this process's environment. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: REPO,
        env: { ...process.env, KAFKA_BROKERS: services().KAFKA_BROKERS ?? '', ...env },
        timeout: 90_000,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const TX_SCHEMA = `{
    txn_id: field.string(),
    card_id: field.string(),
    customer_id: field.string(),
    amount: field.double(),
    merchant_id: field.string(),
    country: field.string(),
    ts: field.timestamp(),
  }`;

/** A topology with a transactions-shaped source on a topic of its own. */
function txTopology(topic: string, format: 'json' | 'avro'): string {
  const view = uniqueName('v').toLowerCase();
  return writeTopology(
    view,
    `const card = entity('card', { keys: ['card_id'] });
export const tx = source('transactions', {
  topic: '${topic}',
  format: '${format}',
  schema: ${TX_SCHEMA},
  eventTime: 'ts',
  key: ['card_id'],
});
export default featureView('${view}', {
  entity: card,
  source: tx,
  features: (f) => ({ n_1m: f.count().over('1m') }),
});`,
  );
}

/** The IR of the source `txTopology` writes (what `codecFor` needs). */
function txSource(topic: string, format: 'json' | 'avro'): ViewIR['source'] {
  const f = (name: string, type: ViewIR['source']['schema'][number]['type']) => ({
    name,
    type,
    nullable: false,
  });
  return {
    name: 'transactions',
    topic,
    format,
    schema: [
      f('txn_id', 'string'),
      f('card_id', 'string'),
      f('customer_id', 'string'),
      f('amount', 'double'),
      f('merchant_id', 'string'),
      f('country', 'string'),
      f('ts', 'timestamp'),
    ],
    eventTime: { field: 'ts' },
    key: ['card_id'],
  };
}

/** Records on the topic: the sum of high watermarks (topics here are new and never compacted). */
async function topicSize(topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

interface Consumed {
  partition: number;
  key: string | null;
  value: Buffer;
}

async function consumeAll(topic: string, expected: number): Promise<Consumed[]> {
  const consumer = kafka().consumer({ groupId: uniqueName('produce-test') });
  await consumer.connect();
  const out: Consumed[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        out.push({
          partition,
          key: message.key?.toString('utf8') ?? null,
          value: message.value ?? Buffer.alloc(0),
        });
        return Promise.resolve();
      },
    });
    await waitFor(`${expected} records on ${topic}`, () => out.length >= expected, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

const now = Date.now();
const tx = (id: string, card: string, over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    txn_id: id,
    card_id: card,
    customer_id: `cust-${card}`,
    amount: 12.5,
    merchant_id: 'm-1',
    country: 'NL',
    ts: now - 60_000,
    ...over,
  });

describe('featurestream produce', () => {
  it('sends the valid lines of a JSON-lines file, keyed by card_id, and reports the others', async () => {
    const topic = uniqueName('produce_json');
    const topology = txTopology(topic, 'json');
    const dir = tempDir('produce');
    const file = join(dir, 'events.jsonl');
    const rejectsFile = join(dir, 'rejects.jsonl');
    const iso = new Date(now - 30_000).toISOString();
    const lines = [
      /* 1 */ tx('g1', 'card-1'),
      /* 2 */ tx('g2', 'card-2', { ts: iso }),
      /* 3 */ '{"txn_id": "bad", not json',
      /* 4 */ tx('g3', 'card-1', { amount: 99 }),
      /* 5 */ tx('s1', 'card-3', { amount: '12.50' }),
      /* 6 */ '',
      /* 7 */ JSON.stringify({
        txn_id: 'k1',
        customer_id: 'c',
        amount: 1,
        merchant_id: 'm',
        country: 'NL',
        ts: now,
      }),
      /* 8 */ tx('k2', ''),
      /* 9 */ '[1, 2, 3]',
      /* 10 */ tx('g4', 'card-1', { extra: 'dropped' }),
      /* 11 */ tx('t1', 'card-4', { ts: '1970-01-01T00:00:00Z' }),
      /* 12 */ tx('g5', 'card|5'),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);

    const r = await cli([
      'produce',
      'transactions',
      '--file',
      file,
      '--topologies',
      topology,
      '--rejects',
      rejectsFile,
      '--batch',
      '3',
    ]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/read 12 lines · sent 5 · rejected 6/);

    const rejects = readFileSync(rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; reason: string; detail: string; raw: string });
    expect(rejects.map((x) => [x.line, x.reason])).toEqual([
      [3, 'invalid_json'],
      [5, 'schema_violation'],
      [7, 'schema_violation'],
      [8, 'missing_key'],
      [9, 'schema_violation'],
      [11, 'absurd_timestamp'],
    ]);
    for (const x of rejects) expect(x.raw).toBe(lines[x.line - 1]);
    expect(rejects[1]?.detail).toMatch(/field 'amount' should be a double/);
    expect(rejects[2]?.detail).toMatch(/field 'card_id' is missing/);
    expect(rejects[3]?.detail).toMatch(/key field 'card_id' is ""/);
    expect(rejects[4]?.detail).toMatch(/not a JSON object/);
    // the same reasons on stderr, with their line numbers, in line order
    const errLines = r.stderr.trim().split('\n');
    expect(errLines.map((l) => /^line (\d+): (\w+): /.exec(l)?.slice(1, 3))).toEqual(
      rejects.map((x) => [String(x.line), x.reason]),
    );

    // exactly the good records arrived, keyed by card_id, decodable by the source's codec
    const size = await topicSize(topic);
    const got = await consumeAll(topic, size);
    const codec = codecFor(txSource(topic, 'json'));
    expect(size, got.map((m) => `${m.partition} ${m.key} ${m.value.toString()}`).join('\n')).toBe(
      5,
    );
    const rows = got.map((m) => {
      const d = codec.decode(m.value);
      if (!d.ok) throw new Error(d.detail);
      expect(m.key).toBe(d.row.card_id);
      return d.row;
    });
    expect(rows.map((row) => row.txn_id).sort()).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    const g2 = rows.find((row) => row.txn_id === 'g2');
    expect(g2?.ts).toBe(Date.parse(iso)); // ISO-8601 time sent as epoch ms
    expect(rows.find((row) => row.txn_id === 'g4')).not.toHaveProperty('extra');
    // one card, one partition
    const card1 = new Set(got.filter((m) => m.key === 'card-1').map((m) => m.partition));
    expect(card1.size).toBe(1);
    // events of a card keep their order
    expect(rows.filter((row) => row.card_id === 'card-1').map((row) => row.txn_id)).toEqual([
      'g1',
      'g3',
      'g4',
    ]);
  });

  it('sends Avro in the Confluent wire format (magic byte 0, schema id)', async () => {
    const topic = uniqueName('produce_avro');
    const topology = txTopology(topic, 'avro');
    const file = join(tempDir('produce'), 'avro.jsonl');
    writeFileSync(
      file,
      [tx('a1', 'card-1'), tx('a2', 'card-2', { amount: 0.1 }), tx('a3', 'card-1')].join('\n'),
    );
    const r = await cli(['produce', 'transactions', '--file', file, '--topologies', topology]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sent 3 · rejected 0/);
    const got = await consumeAll(topic, 3);
    const codec = codecFor(txSource(topic, 'avro'));
    const byId = new Map<unknown, unknown>();
    for (const m of got) {
      expect(m.value[0]).toBe(0);
      expect(m.value.readUInt32BE(1)).toBe(1);
      const d = codec.decode(m.value);
      if (!d.ok) throw new Error(d.detail);
      expect(m.key).toBe(d.row.card_id);
      byId.set(d.row.txn_id, d.row);
    }
    expect(byId.get('a2')).toEqual({
      txn_id: 'a2',
      card_id: 'card-2',
      customer_id: 'cust-card-2',
      amount: 0.1,
      merchant_id: 'm-1',
      country: 'NL',
      ts: now - 60_000,
    });
    expect([...byId.keys()].sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('--generate 200 --rate 0 sends 200 demo transactions', async () => {
    const topic = uniqueName('produce_gen');
    const topology = txTopology(topic, 'json');
    const started = Date.now();
    const r = await cli([
      'produce',
      'transactions',
      '--generate',
      '200',
      '--rate',
      '0',
      '--cards',
      '50',
      '--topologies',
      topology,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sent 200 · rejected 0/);
    expect(await topicSize(topic)).toBe(200);
    const got = await consumeAll(topic, 200);
    const codec = codecFor(txSource(topic, 'json'));
    const partitionsOfCard = new Map<string, Set<number>>();
    for (const m of got) {
      const d = codec.decode(m.value);
      if (!d.ok) throw new Error(d.detail);
      expect(m.key).toBe(d.row.card_id);
      expect(d.row.ts).toBeGreaterThanOrEqual(started);
      const set = partitionsOfCard.get(String(d.row.card_id)) ?? new Set<number>();
      set.add(m.partition);
      partitionsOfCard.set(String(d.row.card_id), set);
    }
    for (const set of partitionsOfCard.values()) expect(set.size).toBe(1);
  });

  it('fails with one line on bad input', async () => {
    const topology = txTopology(uniqueName('produce_err'), 'json');
    const purchases = writeTopology(
      'purchases',
      `const customer = entity('customer', { keys: ['customer_id'] });
export const p = source('purchases', {
  topic: '${uniqueName('purchases')}',
  schema: { order_id: field.string(), customer_id: field.string(), amount: field.double(), ts: field.timestamp() },
  eventTime: 'ts',
  key: ['customer_id'],
});
export default featureView('${uniqueName('p').toLowerCase()}', {
  entity: customer,
  source: p,
  features: (f) => ({ n_1m: f.count().over('1m') }),
});`,
    );
    const cases: { args: string[]; env?: Record<string, string>; expect: RegExp }[] = [
      {
        args: ['produce', 'nope', '--generate', '1', '--topologies', topology],
        expect: /UNKNOWN_SOURCE: no source 'nope' in .* \(known: transactions\)/,
      },
      {
        args: ['produce', 'transactions', '--generate', '1', '--topologies', topology],
        env: { KAFKA_BROKERS: '' },
        expect: /KAFKA_REQUIRED: .*KAFKA_BROKERS is not set/,
      },
      {
        args: ['produce', 'purchases', '--generate', '1', '--topologies', purchases],
        expect:
          /GENERATE_UNSUPPORTED: .*source 'purchases' does not accept: field 'order_id' is missing/,
      },
      {
        args: ['produce', 'transactions', '--topologies', topology],
        expect: /CLI_ARG: produce needs exactly one of --file PATH and --generate N/,
      },
      {
        args: ['produce', 'transactions', '--file', '/no/such/file', '--topologies', topology],
        expect: /FILE_NOT_FOUND: --file \/no\/such\/file/,
      },
    ];
    for (const c of cases) {
      const r = await cli(c.args, c.env);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^featurestream: /);
      expect(lines[0]).toMatch(c.expect);
    }
  });
});
