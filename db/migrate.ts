// Applies and reverts db/migrations with Kysely's Migrator (which runs pending
// migrations in one transaction under an advisory lock, so two processes running
// `migrate` at once are safe).
import { fileURLToPath } from 'node:url';
import { Migrator, NO_MIGRATIONS, type Kysely, type MigrationResultSet } from 'kysely';
import { MigrationFolderProvider } from './migration-provider.ts';
import { errorMessage } from '../lib/errors.ts';

/** Relative to this module, so it works whatever the current directory is. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations/', import.meta.url));

/** A migration failed; `cause` is the database's error. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrateOptions {
  /** Another migrations folder (tests use fixtures); defaults to db/migrations. */
  folder?: string;
}

function migrator<T>(db: Kysely<T>, { folder = MIGRATIONS_FOLDER }: MigrateOptions = {}): Migrator {
  return new Migrator({ db, provider: new MigrationFolderProvider(folder) });
}

function unwrap({ error, results }: MigrationResultSet, verb: string): string[] {
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error');
    // No failing migration means the failure came first (connection, lock, bad file):
    // rethrow it unchanged so callers still see e.g. DatabaseUnreachableError.
    if (!failed) throw error;
    const why = errorMessage(error);
    throw new MigrationError(`migration ${failed.migrationName} failed to ${verb}: ${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Applies every pending migration; returns the names applied, oldest first. */
export async function migrateToLatest<T>(db: Kysely<T>, options: MigrateOptions = {}): Promise<string[]> {
  return unwrap(await migrator(db, options).migrateToLatest(), 'apply');
}

/** Reverts the latest migration, or all of them with `{ all: true }`; returns the names reverted. */
export async function migrateDown<T>(
  db: Kysely<T>,
  options: MigrateOptions & { all?: boolean } = {},
): Promise<string[]> {
  const m = migrator(db, options);
  return unwrap(options.all ? await m.migrateTo(NO_MIGRATIONS) : await m.migrateDown(), 'revert');
}

/** Names of the migrations known to the code, and whether each is applied. */
export async function migrationStatus<T>(
  db: Kysely<T>,
  options: MigrateOptions = {},
): Promise<{ name: string; applied: boolean }[]> {
  const list = await migrator(db, options).getMigrations();
  return list.map((m) => ({ name: m.name, applied: m.executedAt !== undefined }));
}
