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
