#!/usr/bin/env node
/** The `featurestream` command line: the composition root that wires adapters by configuration. */
import { FeatureStreamError } from '../core/errors.js';
import { START_HELP, startCommand } from './commands/start.js';
import { RUN_HELP, runCommand } from './commands/run.js';
import { PRODUCE_HELP, produceCommand } from './commands/produce.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { BACKFILL_HELP, backfillCommand } from './commands/backfill.js';
import { TRAINING_SET_HELP, trainingSetCommand } from './commands/training-set.js';
import { SCORE_BATCH_HELP, scoreBatchCommand } from './commands/score-batch.js';
import { CONSISTENCY_HELP, consistencyCommand } from './commands/consistency.js';
import { SQL_HELP, sqlCommand } from './commands/sql.js';

const COMMANDS: Record<
  string,
  { help: string; run: (argv: readonly string[]) => Promise<number> }
> = {
  start: { help: START_HELP, run: startCommand },
  run: { help: RUN_HELP, run: runCommand },
  produce: { help: PRODUCE_HELP, run: produceCommand },
  serve: { help: SERVE_HELP, run: serveCommand },
  backfill: { help: BACKFILL_HELP, run: backfillCommand },
  'training-set': { help: TRAINING_SET_HELP, run: trainingSetCommand },
  'score-batch': { help: SCORE_BATCH_HELP, run: scoreBatchCommand },
  consistency: { help: CONSISTENCY_HELP, run: consistencyCommand },
  sql: { help: SQL_HELP, run: sqlCommand },
};

const USAGE = `featurestream <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)} ${c.help.split('\n')[2] ?? ''}`)
  .join('\n')}

Run \`featurestream <command> --help\` for a command's options.`;

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`featurestream: unknown command '${name}'\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.help}\n`);
    return 0;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof FeatureStreamError && err.domain !== 'internal') {
      process.stderr.write(`featurestream: ${err.toLine()}\n`);
      process.exit(err.domain === 'user' ? 2 : 1);
    }
    if (
      err instanceof TypeError &&
      (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    ) {
      process.stderr.write(`featurestream: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `featurestream: internal error: ${err instanceof Error ? (process.env.FS_DEBUG === '1' ? (err.stack ?? err.message) : err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
