// The demotion review use case (docs/program.md#demotion-review): a person approves or rejects
// the demotion a partner's review holds back. A decision is checked against the review the
// stored facts, overrides and earlier decisions leave pending on its day, then stored and
// audited with the recompute it owes from that day, in one transaction (Postgres is the
// record: waking the workers through Redis is the caller's extra). The same decision again is
// a no-op; a decision contradicting the one already made is refused.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/repositories/audit.ts';
import { partnerNamed } from '../db/repositories/reads.ts';
import { activeOverrides } from '../db/repositories/recompute.ts';
import { requestRecomputes } from '../db/repositories/recompute-requests.ts';
import {
  insertReviewDecision,
  lockPartnerReviews,
  scorecardsInReview,
  storedReviewDecisions,
} from '../db/repositories/review-decisions.ts';
import { toJsonb } from '../db/json.ts';
import type { DB } from '../db/types.ts';
import { dayOrThrow, formatDay, parseDay, type Day } from '../domain/dates.ts';
import { evaluatePartner, type PendingReviewInfo } from '../domain/evaluation/scorecard.ts';
import { emptyFacts } from '../domain/facts/types.ts';
import type { ProgramSet } from '../domain/program/load.ts';
import type { ReviewDecision } from '../domain/reviews.ts';
import { Refusal } from './errors.ts';
import { loadPartnerFacts } from './facts.ts';
import { loadProgramSet } from './programs.ts';

export interface ReviewRequest {
  partnerId: string;
  decision: 'approve' | 'reject';
  /** The decision's day; absent: today in the program's timezone. */
  on?: string | undefined;
  by: string;
  /** Required to reject. */
  reason?: string | undefined;
}

export interface ReviewDefaults {
  today(timezone: string): Day;
}

export interface ReviewDecided {
  partnerId: string;
  decision: 'approve' | 'reject';
  fromTier: string;
  /** The qualified tier on the decision's day (where an approval takes the partner). */
  toTier: string | null;
  on: string;
  by: string;
  reason: string | null;
  /** False: the same decision was already stored (`by`, `on` and `reason` are the stored ones). */
  created: boolean;
}

export interface PendingReviewView extends PendingReviewInfo {
  partnerId: string;
  asOf: Day;
}

const PAST = { approve: 'approved', reject: 'rejected' } as const;

const nonEmpty = (name: string, value: string | undefined): void => {
  if (value !== undefined && value.trim() === '') throw new Refusal(`${name} must not be empty`);
};

/** The checks that need no services (ids non-empty, the date parses, a rejection's reason). */
export function checkReviewRequest(request: ReviewRequest): void {
  nonEmpty('the partner id', request.partnerId);
  nonEmpty('--by', request.by);
  nonEmpty('--reason', request.reason);
  if (request.decision === 'reject' && request.reason === undefined) throw new Refusal('a rejection needs --reason');
  if (request.on !== undefined && parseDay(request.on) === undefined)
    throw new Refusal(`--on: expected a date YYYY-MM-DD, got ${JSON.stringify(request.on)}`);
}

async function requireProgram(db: Kysely<DB>): Promise<ProgramSet> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  return program;
}

/** The review pending on `day` before that day's decisions, from the stored inputs. */
async function pendingOn(
  db: Kysely<DB>,
  program: ProgramSet,
  partnerId: string,
  day: Day,
  decisions: readonly ReviewDecision[],
): Promise<PendingReviewInfo | null> {
  const facts = (await loadPartnerFacts(db, [partnerId], program.currency)).get(partnerId) ?? emptyFacts(partnerId);
  const overrides = (await activeOverrides(db, [partnerId])).get(partnerId) ?? [];
  return evaluatePartner(program, facts, day, overrides, decisions).review;
}

const describeDecision = (d: ReviewDecision): string =>
  `${PAST[d.decision]} on ${formatDay(d.on)} by ${d.by}${d.reason === null ? '' : ` (${d.reason})`}`;

/** Why nothing is pending on `on`: a retry of the last decision (returned), or a refusal. */
async function nothingPending(
  db: Kysely<DB>,
  program: ProgramSet,
  request: ReviewRequest,
  on: Day,
  today: Day,
  stored: readonly ReviewDecision[],
): Promise<ReviewDecision> {
  const { partnerId } = request;
  // Stored in id order; a stable sort by day keeps the later line last within a day.
  const upToOn = stored.filter((d) => d.on <= on).toSorted((a, b) => a.on - b.on);
  const previous = upToOn[upToOn.length - 1];
  if (previous !== undefined && previous.decision === request.decision) return previous;
  const later = on < today ? await pendingOn(db, program, partnerId, today, stored) : null;
  if (later !== null && later.since > on)
    throw new Refusal(
      `the demotion review of ${partnerId} opened on ${formatDay(later.since)}: a decision dated ${formatDay(on)} is before it`,
    );
  const lastWords =
    previous === undefined ? '' : ` (the last decision: ${previous.fromTier} ${describeDecision(previous)})`;
  throw new Refusal(`no demotion review of ${partnerId} is pending on ${formatDay(on)}${lastWords}`);
}

/**
 * Stores an approval or rejection of the partner's pending review, audited, with the
 * recompute it owes from its day, in one transaction. Refused (nothing stored): an unknown
 * partner, a day after today, no review pending on the day, a review already decided the other way.
 */
export async function decideReview(
  db: Kysely<DB>,
  request: ReviewRequest,
  defaults: ReviewDefaults,
): Promise<ReviewDecided> {
  checkReviewRequest(request);
  const { partnerId, decision, by } = request;
  const program = await requireProgram(db);
  if (!(await partnerNamed(db, partnerId)))
    throw new Refusal(`unknown partner ${JSON.stringify(partnerId)}: no event has named it`);
  const today = defaults.today(program.timezone);
  const on = request.on === undefined ? today : dayOrThrow(request.on);
  if (on > today) throw new Refusal(`--on ${formatDay(on)} is after today (${formatDay(today)})`);
  const reason = request.reason ?? null;
  return db.transaction().execute(async (trx) => {
    await lockPartnerReviews(trx, partnerId);
    const stored = (await storedReviewDecisions(trx, [partnerId])).get(partnerId) ?? [];
    const review = await pendingOn(
      trx,
      program,
      partnerId,
      on,
      stored.filter((d) => d.on < on),
    );
    if (review === null) {
      const previous = await nothingPending(trx, program, request, on, today, stored);
      return { ...previous, on: formatDay(previous.on), toTier: null, created: false };
    }
    // Decisions already made on this review (on its days from X on, for its tier).
    const made = stored.filter((d) => d.fromTier === review.fromTier && d.on >= review.since);
    const other = made.find((d) => d.decision !== decision);
    if (other !== undefined)
      throw new Refusal(
        `the demotion review of ${partnerId} (${review.fromTier} since ${formatDay(review.since)}) was already ${describeDecision(other)}`,
      );
    const same = made.find((d) => d.decision === decision);
    const base = { partnerId, decision, fromTier: review.fromTier, toTier: review.toTier };
    if (same !== undefined)
      return { ...base, on: formatDay(same.on), by: same.by, reason: same.reason, created: false };
    const day = formatDay(on);
    const id = await insertReviewDecision(trx, {
      partner_id: partnerId,
      from_tier: review.fromTier,
      decision,
      on_day: day,
      decided_by: by,
      reason,
    });
    await recordAudit(trx, {
      actor: by,
      action: `review.${decision}`,
      partner_id: partnerId,
      details: toJsonb({ id, fromTier: review.fromTier, toTier: review.toTier, on: day, reason }),
    });
    await requestRecomputes(trx, new Map([[partnerId, day]]), new Map([[partnerId, [`review:${id}`]]]));
    return { ...base, on: day, by, reason, created: true };
  });
}

/**
 * The pending reviews: the partners whose last recompute left them in review, as of that day.
 * The review stored with the scorecard is the recompute's own evaluation: it stands while the
 * partner owes no recompute. A partner that owes one (a decision, override or fact stored
 * since), or whose scorecard has no stored review (written before it was stored), is
 * evaluated again as of that day with what is stored now (a decision whose recompute has not
 * run yet no longer lists its review).
 */
export async function pendingReviews(db: Kysely<DB>): Promise<PendingReviewView[]> {
  const program = await requireProgram(db);
  const rows = await scorecardsInReview(db);
  const again = rows.filter((r) => r.owed || storedReview(r.review) === undefined).map((r) => r.partner_id);
  const [facts, overrides, decisions] = await Promise.all([
    loadPartnerFacts(db, again, program.currency),
    activeOverrides(db, again),
    storedReviewDecisions(db, again),
  ]);
  const evaluateAgain = new Set(again);
  const out: PendingReviewView[] = [];
  for (const r of rows) {
    const asOf = dayOrThrow(String((r.scorecard as { asOf?: unknown }).asOf));
    const review = evaluateAgain.has(r.partner_id)
      ? evaluatePartner(
          program,
          facts.get(r.partner_id) ?? emptyFacts(r.partner_id),
          asOf,
          overrides.get(r.partner_id) ?? [],
          decisions.get(r.partner_id) ?? [],
        ).review
      : (storedReview(r.review) ?? null);
    if (review !== null) out.push({ partnerId: r.partner_id, asOf, ...review });
  }
  return out;
}

/** A review as the recompute stores it with the scorecard; undefined when there is none or it does not read. */
function storedReview(value: unknown): PendingReviewInfo | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const since = typeof v.since === 'string' ? parseDay(v.since) : undefined;
  const autoApprovesOn = typeof v.autoApprovesOn === 'string' ? parseDay(v.autoApprovesOn) : undefined;
  if (
    typeof v.fromTier !== 'string' ||
    typeof v.toTier !== 'string' ||
    since === undefined ||
    autoApprovesOn === undefined
  )
    return undefined;
  return { fromTier: v.fromTier, toTier: v.toTier, since, autoApprovesOn };
}
