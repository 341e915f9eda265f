// Loads db/migrations/*.ts. Kysely's FileMigrationProvider reads the same folder
// the same way, but it calls import() from inside node_modules: under vitest that
// import bypasses the TypeScript transform and Node refuses a `.ts` file. Doing the
// import() from this module lets whichever loader runs us (tsx, vitest) handle it.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';

const MIGRATION_FILE = /^\d{4}_\d{2}_\d{2}_\d{4}_[a-z0-9_]+\.(ts|js|mts|mjs)$/;

function isMigration(value: unknown): value is Migration {
  return typeof value === 'object' && value !== null && typeof (value as Migration).up === 'function';
}

export class MigrationFolderProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((f) => !f.endsWith('.d.ts')).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      if (!MIGRATION_FILE.test(file)) {
        // A misnamed file would silently never run; refuse it instead.
        throw new Error(`${path.join(this.folder, file)} is not named YYYY_MM_DD_NNNN_name.ts`);
      }
      const mod: unknown = await import(pathToFileURL(path.join(this.folder, file)).href);
      const migration = isMigration(mod) ? mod : (mod as { default?: unknown }).default;
      if (!isMigration(migration)) throw new Error(`${path.join(this.folder, file)} exports no up() function`);
      migrations[file.slice(0, file.lastIndexOf('.'))] = { up: migration.up, down: migration.down };
    }
    return migrations;
  }
}
