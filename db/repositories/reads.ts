// A partner's stored state as the read commands show it: the last scorecard, the ledger
// (entries and totals per benefit) and the tier decisions.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

export async function storedScorecard(db: Kysely<DB>, partnerId: string): Promise<unknown> {
  const row = await db
    .selectFrom('scorecards')
    .select('scorecard')
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  return row?.scorecard;
}

export async function ledgerEntries(db: Kysely<DB>, partnerId: string) {
  return db.selectFrom('ledger_entries').selectAll().where('partner_id', '=', partnerId).orderBy('id').execute();
}

export async function ledgerTotals(db: Kysely<DB>, partnerId: string) {
  return db
    .selectFrom('ledger_entries')
    .select(['benefit', 'currency', sql<string>`sum(amount)::text`.as('total')])
    .where('partner_id', '=', partnerId)
    .groupBy(['benefit', 'currency'])
    .execute();
}

export async function listDecisions(db: Kysely<DB>, partnerId: string) {
  return db
    .selectFrom('decisions')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .orderBy('day')
    .orderBy('id')
    .execute();
}

/** Whether any event (stored or stale) has named this partner, or a partner row exists. */
export async function partnerNamed(db: Kysely<DB>, partnerId: string): Promise<boolean> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .or([
          eb.exists(eb.selectFrom('inbox').select('event_id').where('partner_id', '=', partnerId)),
          eb.exists(eb.selectFrom('partners').select('partner_id').where('partner_id', '=', partnerId)),
        ])
        .as('named'),
    ])
    .executeTakeFirstOrThrow();
  return Boolean(row.named);
}

/** The partner's effective-tier history rows: current ones only, or every row ever recorded. */
export async function tierHistory(db: Kysely<DB>, partnerId: string, options: { all: boolean }) {
  let query = db.selectFrom('effective_tier_history').selectAll().where('partner_id', '=', partnerId);
  if (!options.all) query = query.where('superseded_at', 'is', null);
  return query.orderBy('valid_from').orderBy('id').execute();
}

const EVENT_KEY = sql<string>`source || ':' || event_id`;

/** The inbox envelopes of these events (keys `source:eventId`) that named the partner. */
export async function eventsByKey(db: Kysely<DB>, partnerId: string, keys: readonly string[]) {
  if (keys.length === 0) return [];
  return db
    .selectFrom('inbox')
    .select([EVENT_KEY.as('key'), 'type', 'payload'])
    .where('partner_id', '=', partnerId)
    .where(EVENT_KEY, 'in', [...keys])
    .execute();
}

/** Every envelope of these deals and invoices (all versions, and the invoices' credits). */
export async function keyedFactEvents(
  db: Kysely<DB>,
  partnerId: string,
  keys: { dealIds: readonly string[]; invoiceIds: readonly string[] },
) {
  if (keys.dealIds.length === 0 && keys.invoiceIds.length === 0) return [];
  return db
    .selectFrom('inbox')
    .select(['type', 'payload'])
    .where('partner_id', '=', partnerId)
    .where((eb) =>
      eb.or([
        ...(keys.dealIds.length
          ? [
              eb.and([
                eb('type', '=', 'deal.upserted'),
                eb(sql<string>`payload->'data'->>'dealId'`, 'in', [...keys.dealIds]),
              ]),
            ]
          : []),
        ...(keys.invoiceIds.length
          ? [
              eb.and([
                eb('type', 'in', ['invoice.booked', 'invoice.credited']),
                eb(sql<string>`payload->'data'->>'invoiceId'`, 'in', [...keys.invoiceIds]),
              ]),
            ]
          : []),
      ]),
    )
    .execute();
}

/** Stored scorecards in partner order after `after`, `limit` at a time (what-if's current side). */
export async function scorecardsAfter(db: Kysely<DB>, after: string | null, limit: number) {
  let query = db.selectFrom('scorecards').select(['partner_id', 'scorecard']);
  if (after !== null) query = query.where('partner_id', '>', after);
  return query.orderBy('partner_id').limit(limit).execute();
}

export async function countScorecards(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('scorecards')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
