// The `tierline` command: every subcommand registers itself here; failures the user can act
// on print one line (CliError), anything else prints its message and cause, never a bare stack.
import { Command, CommanderError } from 'commander';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerMigrate } from './commands/migrate.ts';
import { CliError, describeError } from './lib/errors.ts';

const program = new Command('tierline')
  .description('Tierline: partner tier compliance pipeline')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerEvaluate(program);
registerMigrate(program);

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
