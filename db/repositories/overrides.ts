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
