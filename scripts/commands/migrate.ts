// `tierline migrate`: creates the database when missing, then applies pending
// migrations (docs/cli.md). Every failure becomes a one-line CliError, which the CLI
// prints without a stack trace (exit 1).
import type { Command } from 'commander';
import { databaseUrl } from '../../config/urls.ts';
import { createDb, ensureDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { CliError } from '../lib/errors.ts';
import { errorMessage } from '../../lib/errors.ts';

/** Runs the command, writing progress lines to `out`; throws CliError on failure. */
export async function migrate(
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = console.log,
): Promise<void> {
  try {
    const url = databaseUrl(env);
    const { database, created } = await ensureDatabase(url);
    if (created) out(`created database ${database}`);
    const db = createDb(url, { max: 1 });
    try {
      const applied = await migrateToLatest(db);
      if (applied.length === 0) out('schema is up to date');
      for (const name of applied) out(`applied ${name}`);
    } finally {
      await db.destroy();
    }
  } catch (err) {
    const message = errorMessage(err);
    // One line even when the database's message spans several.
    throw new CliError(message.replace(/\s*\n\s*/g, ' '), 1, { cause: err });
  }
}

export function registerMigrate(program: Command): Command {
  return program
    .command('migrate')
    .description('create the database if missing and bring its schema up to date (DATABASE_URL)')
    .action(async () => {
      await migrate();
    });
}
