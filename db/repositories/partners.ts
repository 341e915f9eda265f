// Partner ids and rows, read set-based.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../types.ts';
import { MICROS } from './recompute-requests.ts';

type Db = Kysely<DB> | Transaction<DB>;

/**
 * Every partner with at least one valid event (docs/events.md#facts; every inbox row is one),
 * in id order, a page at a time. A loose index scan over inbox (partner_id, ...): one index
 * probe per partner, however many events each has.
 */
export async function partnerIdsAfter(db: Db, after: string | null, limit: number): Promise<string[]> {
  const rows = await sql<{ partner_id: string }>`
    with recursive p(partner_id) as (
      (select partner_id from inbox where ${after === null ? sql`true` : sql`partner_id > ${after}`} order by partner_id limit 1)
      union all
      select (select i.partner_id from inbox i where i.partner_id > p.partner_id order by i.partner_id limit 1)
      from p where p.partner_id is not null
    )
    select partner_id from p where partner_id is not null limit ${limit}`.execute(db);
  return rows.rows.map((r) => r.partner_id);
}

/** Owed recomputes older than `olderThanMs` (their wake-up job may have been lost with Redis). */
export async function overdueRequests(db: Db, olderThanMs: number, limit: number) {
  return db
    .selectFrom('recompute_requests')
    .select(['partner_id', MICROS.as('micros')])
    .where('requested_at', '<', sql<Date>`clock_timestamp() - make_interval(secs => ${olderThanMs / 1000})`)
    .orderBy('requested_at')
    .limit(limit)
    .execute();
}

/** What the notifier needs of a partner: its name, contacts and status. */
export async function partnerContacts(db: Db, partnerId: string) {
  return db
    .selectFrom('partners')
    .select(['name', 'contacts', 'status'])
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
}
