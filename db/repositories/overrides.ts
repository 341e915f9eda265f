// Manual overrides of the effective tier: active until cleared (cleared ones are kept).
import { sql, type Insertable, type Kysely } from 'kysely';
import type { DB, OverridesTable } from '../types.ts';

export async function insertOverride(db: Kysely<DB>, row: Insertable<OverridesTable>): Promise<string> {
  const inserted = await db.insertInto('overrides').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export async function listActiveOverrides(db: Kysely<DB>) {
  return db
    .selectFrom('overrides')
    .selectAll()
    .where('cleared_at', 'is', null)
    .orderBy('partner_id')
    .orderBy('id')
    .execute();
}

/** Clears a partner's active overrides; returns the ones cleared. */
export async function clearActiveOverrides(db: Kysely<DB>, partnerId: string, by: string) {
  return db
    .updateTable('overrides')
    .set({ cleared_at: sql`now()`, cleared_by: by })
    .where('partner_id', '=', partnerId)
    .where('cleared_at', 'is', null)
    .returning(['id', 'from_day'])
    .execute();
}

/**
 * Serialises override writes for one partner until the transaction ends, so two identical
 * `overrides set` at the same moment store one override, not two.
 */
export async function lockPartnerOverrides(db: Kysely<DB>, partnerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`overrides:${partnerId}`}, 0))`.execute(db);
}

/** The active override of a partner with exactly this tier and these days, if any. */
export async function findActiveOverride(
  db: Kysely<DB>,
  key: { partnerId: string; tier: string; from: string; until: string },
) {
  return db
    .selectFrom('overrides')
    .selectAll()
    .where('partner_id', '=', key.partnerId)
    .where('tier_id', '=', key.tier)
    .where('from_day', '=', key.from)
    .where('until_day', '=', key.until)
    .where('cleared_at', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
}

/** The partner's type (which selects its track), or undefined for a partner never upserted. */
export async function partnerTypeOf(db: Kysely<DB>, partnerId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('partners')
    .select('partner_type')
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  return row?.partner_type;
}
