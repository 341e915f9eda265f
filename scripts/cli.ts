// The `tierline` command. Start-up loads only what the command being run needs: the table
// below names each command, its help line and the module that registers it, so
// `tierline --help` loads commander alone and `tierline evaluate` never loads BullMQ, kysely
// or fastify. Failures the user can act on print one line (CliError); anything else prints
// its message and cause, never a bare stack.
import { Command, CommanderError } from 'commander';
import { COMMANDS, commandFor, type CommandEntry } from './command-table.ts';
import { CliError, describeError } from './lib/errors.ts';
import { VERSION } from './lib/version.ts';

// `tierline ... | head` closes our stdout early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command('tierline')
  .description('Tierline: partner tier compliance pipeline')
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/** The command named on the command line (`tierline help X` names X), if it is one of ours. */
function requested(argv: readonly string[]): CommandEntry | undefined {
  const [first, second] = argv.slice(2);
  return commandFor(first === 'help' ? second : first);
}

try {
  const entry = requested(process.argv);
  if (entry) {
    (await entry.load())(program);
  } else {
    // Help, a typo or no command: list every command from the table without loading any.
    const terms = new Map(COMMANDS.flatMap((c) => c.names.map((n) => [n.name, n.term] as const)));
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? cmd.name() });
    for (const c of COMMANDS) for (const n of c.names) program.command(n.name).description(n.description);
  }
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
