// Recomputing partners: evaluate with the pure engine over the stored facts, then write the
// history, decisions, scorecards and ledger of a whole batch of partners in one
// transaction, under their advisory locks. Facts are read after the locks are taken, so a
// batch never writes a state older than one another recompute has committed.
import type { Kysely } from 'kysely';
import {
  activeOverrides,
  clearRequests,
  lockPartners,
  standingCurrent,
  takeRequests,
} from '../../db/repositories/recompute.ts';
import { storedReviewDecisions } from '../../db/repositories/review-decisions.ts';
import { inTransaction } from '../../db/transactions.ts';
import type { DB } from '../../db/types.ts';
import { notificationRequests, type NotificationRequest } from '../../domain/alerts.ts';
import { formatDay, type Day } from '../../domain/dates.ts';
import { explainDay } from '../../domain/evaluation/explain.ts';
import type { PartnerEvaluation } from '../../domain/evaluation/scorecard.ts';
import { nextChangeDay } from '../../domain/evaluation/next-change.ts';
import type { TierChange } from '../../domain/evaluation/timeline.ts';
import { versionIndexOn, type ProgramSet } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';
import {
  evaluateIncrementally,
  writeCheckpoints,
  type Evaluated as EvaluatedPartner,
  type PartnerInputs,
} from './incremental.ts';
import { emptySummary, mergeSummaries, type RecomputeSummary } from './summary.ts';
import { writeDecisions, writeHistories, writeLedgers, writeOutbox, writeScorecards } from './write.ts';

/**
 * Partners per transaction: their facts are held in memory together (a chunk of 500 with
 * several chunks side by side took a worker past 900 MB), and their locks are held until
 * it commits, which a streaming recompute of one of them waits for.
 */
export const BATCH_SIZE = 100;

export interface RecomputeOptions {
  /**
   * Skip a partner that owes nothing and is already computed as of `asOf`, or whose stored
   * standing holds through `asOf` (as the nightly run leaves it): every change of its inputs
   * (facts, overrides, a program version) leaves a request in the same transaction, so the
   * stored result is the one this would write. A burst of events for
   * one partner queues one wake-up per committed batch; the first recompute covers them all.
   */
  onlyIfOwed?: boolean;
  /** Called after each batch's transaction commits (the chaos harness's hook). */
  afterCommit?: () => void;
}

/** Recomputes partners as of `asOf`, BATCH_SIZE to a transaction. Returns what each one changed. */
export async function recomputeEach(
  db: Kysely<DB>,
  program: ProgramSet,
  partnerIds: readonly string[],
  asOf: Day,
  options: RecomputeOptions = {},
): Promise<Map<string, RecomputeSummary>> {
  const ids = [...new Set(partnerIds)];
  const out = new Map<string, RecomputeSummary>();
  for (let i = 0; i < ids.length; i += BATCH_SIZE) {
    const done = await inTransaction(db, (trx) =>
      recomputeBatch(trx, program, ids.slice(i, i + BATCH_SIZE), asOf, options.onlyIfOwed ?? false),
    );
    options.afterCommit?.();
    for (const [id, s] of done) out.set(id, s);
  }
  return out;
}

/** Recomputes partners as of `asOf` and sums what changed (a nightly chunk is one call). */
export async function recomputePartners(
  db: Kysely<DB>,
  program: ProgramSet,
  partnerIds: readonly string[],
  asOf: Day,
  options: RecomputeOptions = {},
): Promise<RecomputeSummary> {
  return [...(await recomputeEach(db, program, partnerIds, asOf, options)).values()].reduce(
    mergeSummaries,
    emptySummary(),
  );
}

interface Evaluated extends EvaluatedPartner {
  triggerEventIds: readonly string[];
}

const resumedDay = (e: PartnerEvaluation): string | null => (e.resumedAt === null ? null : formatDay(e.resumedAt));

async function recomputeBatch(
  trx: Kysely<DB>,
  program: ProgramSet,
  partnerIds: string[],
  asOf: Day,
  onlyIfOwed: boolean,
): Promise<Map<string, RecomputeSummary>> {
  await lockPartners(trx, partnerIds);
  const requests = await takeRequests(trx, partnerIds);
  let ids = partnerIds;
  if (onlyIfOwed) {
    const current = await standingCurrent(
      trx,
      partnerIds.filter((id) => !requests.has(id)),
      formatDay(asOf),
    );
    ids = partnerIds.filter((id) => requests.has(id) || !current.has(id));
  }
  const out = new Map<string, RecomputeSummary>();
  if (ids.length === 0) return out;
  const [overrides, reviews] = await Promise.all([activeOverrides(trx, ids), storedReviewDecisions(trx, ids)]);
  const inputsOf = (partnerId: string): PartnerInputs => ({
    overrides: overrides.get(partnerId) ?? [],
    reviews: reviews.get(partnerId) ?? [],
  });
  const evaluated: Evaluated[] = (await evaluateIncrementally(trx, program, ids, requests, asOf, inputsOf)).map(
    (e) => ({ ...e, triggerEventIds: requests.get(e.partnerId)?.trigger_event_ids ?? [] }),
  );
  await writeHistories(
    trx,
    program.id,
    evaluated.map((e) => ({ partnerId: e.partnerId, segments: e.evaluation.history })),
    evaluated.flatMap((e) => e.stored),
  );
  const fresh = await writeDecisions(
    trx,
    program.id,
    evaluated.map((e) => ({
      partnerId: e.partnerId,
      changes: e.evaluation.changes,
      explain: (c: TierChange) => explainDay(program, e.facts, c.day),
      triggerEventIds: e.triggerEventIds,
    })),
  );
  await writeScorecards(
    trx,
    evaluated.map((e) => e.evaluation.scorecard),
    new Map(evaluated.map((e) => [e.partnerId, nextChangeOf(program, asOf, e, inputsOf(e.partnerId))])),
    new Map(evaluated.map((e) => [e.partnerId, e.evaluation.review])),
  );
  await writeCheckpoints(trx, program, evaluated, asOf, inputsOf);
  const ledger = await writeLedgers(
    trx,
    evaluated.map((e) => ({ partnerId: e.partnerId, lines: e.evaluation.ledger, from: resumedDay(e.evaluation) })),
    program.currency,
    program.digits,
  );
  const notices = evaluated.flatMap((e) => notificationsOf(program, asOf, e, fresh.get(e.partnerId) ?? []));
  const notified = await writeOutbox(trx, notices, asOf);
  await clearRequests(trx, [...requests.values()]);
  for (const e of evaluated) {
    const mine = fresh.get(e.partnerId) ?? [];
    const s = emptySummary();
    s.partners = 1;
    s.decisions = mine.length;
    s.ledgerEntries = ledger.get(e.partnerId) ?? 0;
    s.notifications = notified.get(e.partnerId)?.sendable ?? 0;
    s.notificationsSkipped = notified.get(e.partnerId)?.skipped ?? 0;
    for (const c of mine) s.changes[c.kind]++;
    out.set(e.partnerId, s);
  }
  return out;
}

/** The day the nightly run must recompute this partner again (domain/evaluation/next-change.ts). */
function nextChangeOf(program: ProgramSet, asOf: Day, e: Evaluated, inputs: PartnerInputs): Day | null {
  return nextChangeDay({ set: program, facts: e.facts, asOf, ...inputs, evaluation: e.evaluation });
}

function notificationsOf(program: ProgramSet, asOf: Day, e: Evaluated, fresh: TierChange[]): NotificationRequest[] {
  return notificationRequests({
    partnerId: e.partnerId,
    program: program.versions[versionIndexOn(program, asOf)]?.program ?? (program.versions[0]?.program as Program),
    today: asOf,
    terminated: e.facts.profile?.status === 'terminated',
    changes: fresh,
    current: e.evaluation.changes,
    scorecard: e.evaluation.scorecard,
    history: e.evaluation.history,
  });
}
