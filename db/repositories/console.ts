// Query-only reads for the web pages (issue 18): lists over the stored scorecards and the
// partners with keyset pagination (a cursor is the last row's sort key, never an offset, so a
// huge page costs what the first does), counts for the overview, dead letters by id.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

export type PartnerSort = 'id' | 'name';

export interface PartnerFilter {
  /** Matched case-insensitively against the start of the id or the name (a bound parameter, wildcards escaped). */
  search?: string | undefined;
  tier?: string | undefined;
  status?: string | undefined;
  atRisk?: boolean | undefined;
}

export interface PartnerCursor {
  /** The sort column's value of the last row shown. */
  key: string;
  id: string;
}

/** A LIKE prefix pattern of `text`, lower-cased, its wildcards escaped (indexed by text_pattern_ops). */
const prefix = (text: string): string => `${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A page of partners with their stored standing, after `cursor` in (sort, partner_id) order. */
export async function partnersPage(
  db: Kysely<DB>,
  options: { filter: PartnerFilter; sort: PartnerSort; after?: PartnerCursor | undefined; limit: number },
) {
  const { filter, sort, after, limit } = options;
  const sortColumn = sort === 'name' ? 'p.name' : 'p.partner_id';
  let query = db
    .selectFrom('partners as p')
    .leftJoin('scorecards as s', 's.partner_id', 'p.partner_id')
    .select([
      'p.partner_id',
      'p.name',
      'p.partner_type',
      'p.region',
      's.as_of',
      's.track',
      's.tier',
      sql<string | null>`s.scorecard->>'qualifiedTier'`.as('qualified_tier'),
      's.status',
      sql<string | null>`s.scorecard->>'graceEndsOn'`.as('grace_ends_on'),
      sql<string | null>`s.scorecard->'risks'->0->>'on'`.as('first_risk_on'),
    ]);
  if (filter.search) {
    const pattern = prefix(filter.search);
    query = query.where((eb) =>
      eb.or([eb(sql`lower(p.partner_id)`, 'like', pattern), eb(sql`lower(p.name)`, 'like', pattern)]),
    );
  }
  // The scorecards' plain columns (migration 2026_12_04_0200), indexed with partner_id for
  // each combination of the three filters, so a filtered page is an index range in order.
  if (filter.tier) query = query.where('s.tier', '=', filter.tier);
  if (filter.status) query = query.where('s.status', '=', filter.status);
  if (filter.atRisk) query = query.where('s.at_risk', '=', true);
  if (after) {
    query =
      sort === 'name'
        ? query.where(sql<boolean>`(p.name, p.partner_id) > (${after.key}, ${after.id})`)
        : query.where('p.partner_id', '>', after.id);
  }
  return query.orderBy(sql.ref(sortColumn)).orderBy('p.partner_id').limit(limit).execute();
}

export async function partnerRow(db: Kysely<DB>, partnerId: string) {
  return db
    .selectFrom('partners')
    .select(['partner_id', 'name', 'partner_type', 'region', 'status'])
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
}

/**
 * Folds the net changes the scorecards' triggers appended into scorecard_counts (one
 * statement: the deltas it deletes are exactly the ones it adds; deltas appended meanwhile
 * stay for the next fold). Concurrent folds each take their own rows.
 */
export async function foldScorecardCounts(db: Kysely<DB>): Promise<void> {
  await sql`
    with moved as (delete from scorecard_count_deltas returning track, tier, status, partners),
    sums as (select track, tier, status, sum(partners)::bigint as partners from moved group by 1, 2, 3)
    insert into scorecard_counts (track, tier, status, partners)
    select track, tier, status, partners from sums order by 1, 2, 3
    on conflict (track, tier, status) do update set partners = scorecard_counts.partners + excluded.partners`.execute(
    db,
  );
}

/**
 * Partners per track and effective tier: the counts kept by the scorecards' triggers plus any
 * delta not folded yet (a few rows per (track, tier, status), whatever the number of partners).
 */
export async function tierCounts(db: Kysely<DB>) {
  const { rows } = await sql<{ track: string | null; tier: string | null; partners: string }>`
    select track, tier, sum(partners)::text as partners from (
      select track, tier, partners from scorecard_counts
      union all
      select track, tier, partners from scorecard_count_deltas) c
    group by track, tier having sum(partners) <> 0
    order by 1, 2`.execute(db);
  return rows;
}

/** Tier decisions recorded per business day from `fromDay` on, split into promotions and the rest. */
export async function decisionsPerDay(db: Kysely<DB>, fromDay: string) {
  return db
    .selectFrom('decisions')
    .select(['day', sql<string>`count(*)::text`.as('decisions')])
    .where('day', '>=', fromDay)
    .groupBy('day')
    .orderBy('day')
    .execute();
}

/** Scorecards with a dated risk, soonest first. */
export async function atRiskPage(db: Kysely<DB>, limit: number) {
  return db
    .selectFrom('scorecards as s')
    .leftJoin('partners as p', 'p.partner_id', 's.partner_id')
    .select([
      's.partner_id',
      'p.name',
      sql<string | null>`s.scorecard->>'effectiveTier'`.as('tier'),
      sql<string>`s.scorecard->'risks'->0->>'on'`.as('risk_on'),
      sql<string>`s.scorecard->'risks'->0->>'detail'`.as('detail'),
    ])
    .where(sql<number>`jsonb_array_length(s.scorecard->'risks')`, '>', 0)
    .orderBy(sql`s.scorecard->'risks'->0->>'on'`)
    .orderBy('s.partner_id')
    .limit(limit)
    .execute();
}

/** Scorecards one criterion short of the next tier, by partner. */
export async function nearPromotionPage(db: Kysely<DB>, limit: number) {
  return db
    .selectFrom('scorecards as s')
    .leftJoin('partners as p', 'p.partner_id', 's.partner_id')
    .select([
      's.partner_id',
      'p.name',
      's.as_of',
      sql<string | null>`s.scorecard->>'effectiveTier'`.as('tier'),
      sql<string>`s.scorecard->'next'->>'tier'`.as('next_tier'),
      sql<string>`s.scorecard->'next'->'unmet'->0->>'metric'`.as('metric'),
      sql<string>`s.scorecard->'next'->'unmet'->0->>'shortBy'`.as('short_by'),
    ])
    .where(sql<number>`jsonb_array_length(coalesce(s.scorecard->'next'->'unmet', '[]'::jsonb))`, '=', 1)
    .orderBy('s.partner_id')
    .limit(limit)
    .execute();
}

/** Dead letters newest first, before id `before` (keyset), pending only unless `all`. */
export async function deadLettersPage(
  db: Kysely<DB>,
  options: { before?: string | undefined; all: boolean; limit: number },
) {
  let query = db
    .selectFrom('dead_letters')
    .select(['id', 'source', 'event_id', 'reason', 'attempts', 'last_seen_at', 'replayed_at', 'origin', 'origin_line']);
  if (!options.all) query = query.where('replayed_at', 'is', null);
  if (options.before !== undefined) query = query.where('id', '<', options.before);
  return query.orderBy('id', 'desc').limit(options.limit).execute();
}

export async function deadLetterById(db: Kysely<DB>, id: string) {
  return db.selectFrom('dead_letters').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function activeOverridesOf(db: Kysely<DB>, partnerId: string) {
  return db
    .selectFrom('overrides')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('cleared_at', 'is', null)
    .orderBy('id')
    .execute();
}

/** The newest ledger entries of a partner. */
export async function latestLedgerEntries(db: Kysely<DB>, partnerId: string, limit: number) {
  return db
    .selectFrom('ledger_entries')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** A partner's won deals closed in [from, to], newest first, before the (closed_at, deal_id) cursor. */
export async function wonDealsPage(
  db: Kysely<DB>,
  options: {
    partnerId: string;
    from: string;
    to: string;
    before?: { day: string; id: string } | undefined;
    limit: number;
  },
) {
  let query = db
    .selectFrom('deals')
    .select(['deal_id', 'amount', 'currency', 'closed_at', 'customer_id'])
    .where('partner_id', '=', options.partnerId)
    .where('stage', '=', 'closed_won')
    .where('closed_at', '>=', options.from)
    .where('closed_at', '<=', options.to);
  if (options.before) {
    const { day, id } = options.before;
    query = query.where(sql<boolean>`(closed_at, deal_id) < (${day}::date, ${id})`);
  }
  return query.orderBy('closed_at', 'desc').orderBy('deal_id', 'desc').limit(options.limit).execute();
}

/** Certifications held on `day` (earned by then, not expired, revoked or departed), by person. */
export async function heldCertifications(db: Kysely<DB>, partnerId: string, day: string, limit: number) {
  return db
    .selectFrom('certifications_earned as c')
    .select(['c.person_id', 'c.certification_id', 'c.earned_at', 'c.expires_at'])
    .where('c.partner_id', '=', partnerId)
    .where('c.earned_at', '<=', day)
    .where((eb) => eb.or([eb('c.expires_at', 'is', null), eb('c.expires_at', '>', day)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('certification_revocations as r')
            .select('r.event_id')
            .whereRef('r.partner_id', '=', 'c.partner_id')
            .whereRef('r.person_id', '=', 'c.person_id')
            .whereRef('r.certification_id', '=', 'c.certification_id')
            .whereRef('r.revoked_at', '>=', 'c.earned_at')
            .where('r.revoked_at', '<=', day),
        ),
      ),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('person_departures as d')
            .select('d.event_id')
            .whereRef('d.partner_id', '=', 'c.partner_id')
            .whereRef('d.person_id', '=', 'c.person_id')
            .whereRef('d.departed_at', '>=', 'c.earned_at')
            .where('d.departed_at', '<=', day),
        ),
      ),
    )
    .orderBy('c.person_id')
    .orderBy('c.certification_id')
    .limit(limit)
    .execute();
}
