// The stored facts of many partners at once, as rows: one query per fact table for a whole
// set of partners, never one per partner. services/facts.ts turns them into the domain's
// PartnerFacts (currency conversion, days).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../types.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** The rows of every fact table for these partners (at least one); deals in the order they were received. */
export async function readFactRows(db: Db, partnerIds: readonly string[]) {
  const ids = [...partnerIds];
  // Only the columns the domain reads: decoding rows is most of a recompute's time, and the
  // timestamps left out would each be parsed into a Date for nothing.
  const [partners, deals, earned, revoked, departed, invoices, credits] = await Promise.all([
    db
      .selectFrom('partners')
      .select(['partner_id', 'name', 'partner_type', 'region', 'contacts', 'status', 'version', 'source_event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
    db
      .selectFrom('deals')
      .select([
        'partner_id',
        'deal_id',
        'stage',
        'amount',
        'currency',
        'fx_rate',
        'customer_id',
        'registered_at',
        'closed_at',
        'version',
        'event_id',
      ])
      .where('partner_id', 'in', ids)
      .orderBy('received_seq')
      .execute(),
    db
      .selectFrom('certifications_earned')
      .select(['partner_id', 'person_id', 'certification_id', 'earned_at', 'expires_at', 'event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
    db
      .selectFrom('certification_revocations')
      .select(['partner_id', 'person_id', 'certification_id', 'revoked_at', 'event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
    db
      .selectFrom('person_departures')
      .select(['partner_id', 'person_id', 'departed_at', 'event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
    db
      .selectFrom('invoices')
      .select(['partner_id', 'invoice_id', 'amount', 'currency', 'fx_rate', 'booked_at', 'recurring', 'event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
    db
      .selectFrom('invoice_credits')
      .select(['partner_id', 'invoice_id', 'credit_id', 'amount', 'currency', 'fx_rate', 'credited_at', 'event_id'])
      .where('partner_id', 'in', ids)
      .execute(),
  ]);
  return { partners, deals, earned, revoked, departed, invoices, credits };
}

export type FactRows = Awaited<ReturnType<typeof readFactRows>>;
