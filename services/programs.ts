// The program-load use case: versions validated as one program together with the stored
// ones, stored, and every partner asked to be recomputed from the earliest new version.
// Also the stored program read back (and re-validated) as a ProgramSet.
import type { Kysely, Transaction } from 'kysely';
import { insertProgramVersion, storedPrograms } from '../db/repositories/programs.ts';
import { requestRecomputeOfAll } from '../db/repositories/recompute-requests.ts';
import { inTransaction } from '../db/transactions.ts';
import type { DB } from '../db/types.ts';
import { buildProgramSet, validateVersions, type LoadResult, type ProgramSet } from '../domain/program/load.ts';
import { formatDifferences, jsonDifferences, type Difference } from '../domain/program/diff.ts';
import type { Program } from '../domain/program/schema.ts';
import { canonicalJson } from '../domain/events/parse.ts';
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

/** What loading a version would do against the stored ones. */
export type VersionChange =
  | { version: string; effectiveFrom: string; change: 'new' | 'unchanged' }
  | { version: string; effectiveFrom: string; change: 'differs'; differences: Difference[] };

export interface LoadPlan {
  versions: VersionChange[];
  /** Why the load would be refused; empty when it would succeed. */
  problems: string[];
}

/** As stored in jsonb and read back: keys whose value is undefined are gone. */
const asJson = (p: Program): unknown => JSON.parse(JSON.stringify(p));

/**
 * Compares versions with the stored ones. A version already stored must have the same
 * definition: compared as canonical JSON, since jsonb returns the keys in its own order.
 * The combined set must validate as one program (same id, currency and timezone; distinct
 * effectiveFrom).
 */
export function planVersions(existing: readonly Program[], programs: readonly Program[]): LoadPlan {
  const byVersion = new Map(existing.map((p) => [p.version, p]));
  const problems: string[] = [];
  const versions: VersionChange[] = [];
  for (const p of programs) {
    const stored = byVersion.get(p.version);
    const base = { version: p.version, effectiveFrom: p.effectiveFrom };
    if (stored === undefined) versions.push({ ...base, change: 'new' });
    else if (canonicalJson(asJson(stored)) === canonicalJson(asJson(p)))
      versions.push({ ...base, change: 'unchanged' });
    else {
      const differences = jsonDifferences(asJson(stored), asJson(p));
      versions.push({ ...base, change: 'differs', differences });
      problems.push(
        [
          `version ${p.version} is already loaded with a different definition; give the change a new version (stored → file):`,
          ...formatDifferences(differences),
        ].join('\n    '),
      );
    }
  }
  const fresh = programs.filter((_, i) => versions[i]?.change === 'new');
  const combined = buildProgramSet([...existing, ...fresh]);
  if (!combined.ok) problems.push(...combined.problems);
  return { versions, problems };
}

/** What loading the versions would do, storing nothing (`tierline program validate`). */
export async function planProgramLoad(db: Kysely<DB>, programs: readonly Program[]): Promise<LoadPlan> {
  return planVersions(await storedPrograms(db), programs);
}

/**
 * Adds versions to the stored program (see planVersions); a version stored with the same
 * definition is left as it is. Nothing is stored unless everything is (run it in the
 * caller's transaction).
 */
export async function storeProgramVersions(
  trx: Transaction<DB>,
  programs: readonly Program[],
): Promise<LoadResult<StoreOutcome[]>> {
  const plan = planVersions(await storedPrograms(trx), programs);
  if (plan.problems.length > 0) return { ok: false, problems: plan.problems };
  const outcomes: StoreOutcome[] = [];
  for (const [i, p] of programs.entries()) {
    const stored = plan.versions[i]?.change === 'new';
    if (stored) await insertProgramVersion(trx, p);
    outcomes.push({ version: p.version, effectiveFrom: p.effectiveFrom, stored });
  }
  return { ok: true, value: outcomes };
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
