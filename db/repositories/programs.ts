// Program versions in Postgres: stored whole (the validated JSON), read back into a
// ProgramSet. One program id per deployment.
import type { Kysely, Transaction } from 'kysely';
import { buildProgramSet, validateVersions, type LoadResult, type ProgramSet } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';

type Db = Kysely<DB> | Transaction<DB>;

export async function listProgramVersions(db: Db) {
  return db
    .selectFrom('program_versions')
    .select(['program_id', 'version', 'effective_from', 'loaded_at'])
    .orderBy('program_id')
    .orderBy('effective_from')
    .execute();
}

export async function storedPrograms(db: Db): Promise<Program[]> {
  const rows = await db.selectFrom('program_versions').select(['definition']).orderBy('effective_from').execute();
  return rows.map((r) => r.definition as unknown as Program);
}

/** The stored program, or undefined when none was loaded. */
export async function loadProgramSet(db: Db): Promise<ProgramSet | undefined> {
  const definitions = await storedPrograms(db);
  if (definitions.length === 0) return undefined;
  const validated = validateVersions(definitions);
  const set = validated.ok ? buildProgramSet(validated.value) : validated;
  if (!set.ok) throw new Error(`stored program versions no longer validate: ${set.problems.join('; ')}`);
  return set.value;
}

export type StoreOutcome = { version: string; effectiveFrom: string; stored: boolean };

/**
 * Adds versions to the stored program. The combined set must validate as one program
 * (same id, currency and timezone; distinct effectiveFrom); a version already stored must
 * be identical. Nothing is stored unless everything is.
 */
export async function storeProgramVersions(
  trx: Transaction<DB>,
  programs: readonly Program[],
): Promise<LoadResult<StoreOutcome[]>> {
  const existing = await storedPrograms(trx);
  const byVersion = new Map(existing.map((p) => [p.version, p]));
  const problems: string[] = [];
  const fresh: Program[] = [];
  for (const p of programs) {
    const stored = byVersion.get(p.version);
    if (stored === undefined) fresh.push(p);
    else if (JSON.stringify(stored) !== JSON.stringify(p))
      problems.push(
        `version ${p.version} is already loaded with a different definition; give the change a new version`,
      );
  }
  const combined = buildProgramSet([...existing, ...fresh]);
  if (!combined.ok) problems.push(...combined.problems);
  if (problems.length > 0) return { ok: false, problems };
  for (const p of fresh) {
    await trx
      .insertInto('program_versions')
      .values({ program_id: p.id, version: p.version, effective_from: p.effectiveFrom, definition: toJsonb(p) })
      .execute();
  }
  return {
    ok: true,
    value: programs.map((p) => ({ version: p.version, effectiveFrom: p.effectiveFrom, stored: fresh.includes(p) })),
  };
}
