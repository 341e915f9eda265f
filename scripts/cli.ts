// The `tierline` command: every subcommand registers itself here; failures the user can act
// on print one line (CliError), anything else prints its message and cause, never a bare stack.
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerOverrides } from './commands/overrides.ts';
import { registerProgram } from './commands/program.ts';
import { registerReads } from './commands/reads.ts';
import { registerRecompute } from './commands/recompute.ts';
import { registerServe } from './commands/serve.ts';
import { registerWorkers } from './commands/workers.ts';
import { CliError, describeError } from './lib/errors.ts';

// `tierline ... | head` closes our stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('tierline')
  .description('Tierline: partner tier compliance pipeline')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerEvaluate(program);
registerMigrate(program);
registerProgram(program);
registerIngest(program);
registerWorkers(program);
registerRecompute(program);
registerReads(program);
registerDlq(program);
registerOverrides(program);
registerServe(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else if (error instanceof CliError) {
    process.stderr.write(`tierline: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else {
    const cause = error instanceof Error && error.cause ? ` (cause: ${describeError(error.cause)})` : '';
    process.stderr.write(`tierline: ${describeError(error)}${cause}\n`);
    if (process.env.TIERLINE_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    process.exitCode = 1;
  }
}
