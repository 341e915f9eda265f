// Demotion review decisions (docs/program.md#demotion-review): append-only, read in id order
// (the order the timeline applies decisions of one day in).
import { sql, type Insertable, type Kysely } from 'kysely';
import { dayOrThrow } from '../../domain/dates.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import type { DB, ReviewDecisionRow, ReviewDecisionsTable } from '../types.ts';

export async function insertReviewDecision(db: Kysely<DB>, row: Insertable<ReviewDecisionsTable>): Promise<string> {
  const inserted = await db.insertInto('review_decisions').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/** The decisions of these partners, each partner's in id order. */
export async function reviewDecisionsOf(
  db: Kysely<DB>,
  partnerIds: readonly string[],
): Promise<Map<string, ReviewDecisionRow[]>> {
  const out = new Map<string, ReviewDecisionRow[]>();
  if (partnerIds.length === 0) return out;
  const rows = await db
    .selectFrom('review_decisions')
    .selectAll()
    .where('partner_id', 'in', [...partnerIds])
    .orderBy('id')
    .execute();
  for (const r of rows) out.set(r.partner_id, [...(out.get(r.partner_id) ?? []), r]);
  return out;
}

/** The decisions of these partners as the engine reads them, each partner's in id order. */
export async function storedReviewDecisions(
  db: Kysely<DB>,
  partnerIds: readonly string[],
): Promise<Map<string, ReviewDecision[]>> {
  const rows = await reviewDecisionsOf(db, partnerIds);
  return new Map([...rows].map(([id, list]) => [id, list.map(asReviewDecision)]));
}

export function asReviewDecision(r: ReviewDecisionRow): ReviewDecision {
  return {
    partnerId: r.partner_id,
    fromTier: r.from_tier,
    decision: r.decision,
    on: dayOrThrow(r.on_day),
    by: r.decided_by,
    reason: r.reason,
  };
}

/** Serialises review decisions for one partner until the transaction ends. */
export async function lockPartnerReviews(db: Kysely<DB>, partnerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`reviews:${partnerId}`}, 0))`.execute(db);
}

/**
 * The stored scorecards whose status is `review` (the pending reviews as of the last
 * recompute), each with its stored review and whether the partner owes a recompute (a
 * decision, override or fact stored since: the stored review may be out of date).
 */
export async function scorecardsInReview(db: Kysely<DB>, partnerId?: string) {
  let query = db
    .selectFrom('scorecards as s')
    .select([
      's.partner_id',
      's.scorecard',
      's.review',
      sql<boolean>`exists (select 1 from recompute_requests r where r.partner_id = s.partner_id)`.as('owed'),
    ])
    .where('s.status', '=', 'review');
  if (partnerId !== undefined) query = query.where('s.partner_id', '=', partnerId);
  return query.orderBy('s.partner_id').execute();
}
