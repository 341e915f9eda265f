// Incremental recompute (docs/architecture.md#incremental-recompute): each partner resumes from
// its latest stored checkpoint before the earliest day anything changed (its request's from_day,
// or the day after its stored scorecard's day), reads only the facts that can count from there on,
// and evaluates only the days after it. A partner without a usable checkpoint is evaluated whole.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { latestCheckpoints, replaceCheckpoints } from '../../db/repositories/checkpoints.ts';
import { currentHistory, type TakenRequest } from '../../db/repositories/recompute.ts';
import type { DB } from '../../db/types.ts';
import { dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import {
  checkpointDays,
  factWindows,
  MONTH_ENDS_KEPT_DAYS,
  loadCheckpoint,
  storeCheckpoint,
  type StoredCheckpoint,
} from '../../domain/evaluation/checkpoint.ts';
import {
  evaluatePartnerWith,
  type HistorySegment,
  type PartnerEvaluation,
  type TimelineCheckpoint,
} from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { emptyFacts, type PartnerFacts } from '../../domain/facts/types.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { loadWindowedFacts } from '../facts.ts';

export type StoredRun = Awaited<ReturnType<typeof currentHistory>>[number];

export interface PartnerInputs {
  overrides: readonly OverrideRule[];
  reviews: readonly ReviewDecision[];
}

export interface Evaluated {
  partnerId: string;
  facts: PartnerFacts;
  /** History whole (the stored runs before the resumed run, then the evaluation's). */
  evaluation: PartnerEvaluation;
  /** The stored history runs, read once for the history difference. */
  stored: StoredRun[];
}

const programDigests = new WeakMap<ProgramSet, string>();

/** JSON with object keys sorted: a program read back from jsonb has its keys in another order than the file's. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function programDigest(set: ProgramSet): string {
  let digest = programDigests.get(set);
  if (digest === undefined) {
    digest = createHash('sha256').update(canonicalJson(set)).digest('base64url');
    programDigests.set(set, digest);
  }
  return digest;
}

/**
 * What a checkpoint depends on that is not dated: the program, the overrides and the review
 * decisions. Dated inputs (facts) leave a request from their day instead; these, when they
 * change, make every stored checkpoint of the partner unusable, so it is evaluated whole once.
 */
export function inputsDigest(set: ProgramSet, inputs: PartnerInputs): string {
  return createHash('sha256')
    .update(programDigest(set))
    .update(canonicalJson(inputs.overrides))
    .update(canonicalJson(inputs.reviews))
    .digest('base64url');
}

const runSegment = (r: StoredRun): HistorySegment => ({
  from: dayOrThrow(r.valid_from),
  to: r.valid_to === null ? Infinity : dayOrThrow(r.valid_to) - 1,
  tierId: r.tier_id,
  status: r.status,
  programVersion: r.program_version ?? '',
});

/**
 * The stored runs before the checkpoint's run, when they end exactly where it starts (they always
 * do unless the history was written otherwise); undefined when the checkpoint cannot be used.
 */
function priorRuns(stored: readonly StoredRun[], checkpoint: TimelineCheckpoint): HistorySegment[] | undefined {
  const runs = stored.map(runSegment);
  const before = runs.filter((r) => r.from < checkpoint.run.from);
  const at = runs[before.length];
  const last = before[before.length - 1];
  if (!at || at.from !== checkpoint.run.from || at.to < checkpoint.day) return undefined;
  if (at.tierId !== checkpoint.run.tierId || at.status !== checkpoint.run.status) return undefined;
  if (last ? last.to !== checkpoint.run.from - 1 : checkpoint.run.from !== checkpoint.start) return undefined;
  return before;
}

interface Plan {
  partnerId: string;
  resume: TimelineCheckpoint | undefined;
  prior: HistorySegment[];
  digest: string;
}

/**
 * Evaluates a batch's partners (under their locks), each from its latest usable checkpoint:
 * three statements (checkpoints, history, facts) whatever the number of partners.
 */
export async function evaluateIncrementally(
  trx: Kysely<DB>,
  program: ProgramSet,
  partnerIds: readonly string[],
  requests: ReadonlyMap<string, TakenRequest>,
  asOf: Day,
  inputsOf: (partnerId: string) => PartnerInputs,
): Promise<Evaluated[]> {
  const digests = new Map(partnerIds.map((id) => [id, inputsDigest(program, inputsOf(id))]));
  // A request without a day (a profile change) needs the whole history.
  const wanted = partnerIds
    .filter((id) => !requests.has(id) || requests.get(id)?.from_day != null)
    .map((id) => ({ partnerId: id, before: requests.get(id)?.from_day ?? 'infinity', digest: digests.get(id) ?? '' }));
  const [found, history] = await Promise.all([
    latestCheckpoints(trx, wanted, formatDay(asOf)),
    currentHistory(trx, partnerIds),
  ]);
  const checkpoints = new Map(found.map((f) => [f.partnerId, f.checkpoint]));
  const stored = new Map<string, StoredRun[]>();
  for (const r of history) stored.set(r.partner_id, [...(stored.get(r.partner_id) ?? []), r]);
  const plans: Plan[] = partnerIds.map((partnerId) => {
    const json = checkpoints.get(partnerId);
    const checkpoint = json ? loadCheckpoint(json as unknown as StoredCheckpoint) : undefined;
    const prior = checkpoint && priorRuns(stored.get(partnerId) ?? [], checkpoint);
    return {
      partnerId,
      resume: prior ? checkpoint : undefined,
      prior: prior ?? [],
      digest: digests.get(partnerId) ?? '',
    };
  });
  const facts = await loadWindowedFacts(
    trx,
    plans.map(({ partnerId, resume }) =>
      resume
        ? { partnerId, ...factWindows(program, resume.day + 1, asOf) }
        : { partnerId, closed: null, registered: null, invoices: null },
    ),
    program.currency,
  );
  return plans.map(({ partnerId, resume, prior }) => {
    const f = facts.get(partnerId) ?? emptyFacts(partnerId);
    const { overrides, reviews } = inputsOf(partnerId);
    const evaluation = evaluatePartnerWith(program, f, asOf, {
      overrides,
      reviews,
      resume,
      checkpointOn: checkpointDays(asOf),
    });
    return {
      partnerId,
      facts: f,
      evaluation: resume ? { ...evaluation, history: [...prior, ...evaluation.history] } : evaluation,
      stored: stored.get(partnerId) ?? [],
    };
  });
}

/** Replaces the batch's checkpoints made stale by these evaluations with the ones they took. */
export async function writeCheckpoints(
  trx: Kysely<DB>,
  program: ProgramSet,
  evaluated: readonly Evaluated[],
  asOf: Day,
  inputsOf: (partnerId: string) => PartnerInputs,
): Promise<void> {
  await replaceCheckpoints(
    trx,
    evaluated.map((e) => ({
      partnerId: e.partnerId,
      from: e.evaluation.resumedAt === null ? '-infinity' : formatDay(e.evaluation.resumedAt),
      digest: inputsDigest(program, inputsOf(e.partnerId)),
    })),
    evaluated.flatMap((e) =>
      e.evaluation.checkpoints.map((c) => ({
        partnerId: e.partnerId,
        day: formatDay(c.day),
        checkpoint: JSON.stringify(storeCheckpoint(c)),
      })),
    ),
    formatDay(asOf - 1),
    formatDay(asOf - MONTH_ENDS_KEPT_DAYS),
  );
}
