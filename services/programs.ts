// The program-load use case: versions validated as one program together with the stored
// ones, stored, and every partner asked to be recomputed from the earliest new version.
// Also the stored program read back (and re-validated) as a ProgramSet.
import type { Kysely, Transaction } from 'kysely';
import { insertProgramVersion, storedPrograms } from '../db/repositories/programs.ts';
import { requestRecomputeOfAll } from '../db/repositories/recompute-requests.ts';
import { inTransaction } from '../db/transactions.ts';
import type { DB } from '../db/types.ts';
import { buildProgramSet, validateVersions, type LoadResult, type ProgramSet } from '../domain/program/load.ts';
import type { Program } from '../domain/program/schema.ts';
import { JOBS, QUEUES, jobKey } from '../queues/catalog.ts';
import { enqueueMany, type Queues } from '../queues/queues.ts';

/** The stored program, or undefined when none was loaded. */
export async function loadProgramSet(db: Kysely<DB>): Promise<ProgramSet | undefined> {
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
 * be identical. Nothing is stored unless everything is (run it in the caller's transaction).
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
  for (const p of fresh) await insertProgramVersion(trx, p);
  return {
    ok: true,
    value: programs.map((p) => ({ version: p.version, effectiveFrom: p.effectiveFrom, stored: fresh.includes(p) })),
  };
}

/**
 * Stores the versions and, in the same transaction, makes every partner owe a recompute
 * from the earliest new version's effectiveFrom (a new version changes evaluation from
 * there). Returns how many partners owe one.
 */
export async function loadProgramVersions(
  db: Kysely<DB>,
  programId: string,
  programs: readonly Program[],
): Promise<{ stored: LoadResult<StoreOutcome[]>; owed: number }> {
  return inTransaction(db, async (trx) => {
    const stored = await storeProgramVersions(trx, programs);
    if (!stored.ok) return { stored, owed: 0 };
    const fresh = stored.value
      .filter((v) => v.stored)
      .map((v) => v.effectiveFrom)
      .sort();
    const owed = fresh[0] ? await requestRecomputeOfAll(trx, fresh[0], `program:${programId}`) : 0;
    return { stored, owed };
  });
}

/** Queues a run over every partner (`now` names the job). */
export async function queueRecomputeOfAll(queues: Queues, now: number): Promise<void> {
  await enqueueMany(queues, JOBS.nightlyRun, QUEUES.recompute, [{}], { jobId: jobKey('program-load', String(now)) });
}
