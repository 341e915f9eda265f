// Program versions in Postgres: stored whole (the validated JSON). One program id per deployment.
import type { Kysely } from 'kysely';
import type { Program } from '../../domain/program/schema.ts';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';

export async function listProgramVersions(db: Kysely<DB>) {
  return db
    .selectFrom('program_versions')
    .select(['program_id', 'version', 'effective_from', 'loaded_at'])
    .orderBy('program_id')
    .orderBy('effective_from')
    .execute();
}

export async function storedPrograms(db: Kysely<DB>): Promise<Program[]> {
  const rows = await db.selectFrom('program_versions').select(['definition']).orderBy('effective_from').execute();
  return rows.map((r) => r.definition as unknown as Program);
}

export async function insertProgramVersion(db: Kysely<DB>, p: Program): Promise<void> {
  await db
    .insertInto('program_versions')
    .values({ program_id: p.id, version: p.version, effective_from: p.effectiveFrom, definition: toJsonb(p) })
    .execute();
}
