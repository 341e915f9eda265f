// Contact opt-outs: a row per (partner, email, kind); kind '*' stops every kind;
// opted_out_at null means opted back in.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

/** Records an opt-out; the first opt-out time is kept. `email` lower-case. */
export async function upsertOptOut(db: Kysely<DB>, partnerId: string, email: string, kind: string): Promise<void> {
  await db
    .insertInto('notification_preferences')
    .values({ partner_id: partnerId, email, kind, opted_out_at: sql`now()` })
    .onConflict((oc) =>
      oc
        .columns(['partner_id', 'email', 'kind'])
        .doUpdateSet({ opted_out_at: sql`coalesce(notification_preferences.opted_out_at, now())` }),
    )
    .execute();
}

/** Of `emails` (lower-case), those opted out of `kind` for this partner (directly or with '*'). */
export async function optedOut(
  db: Kysely<DB>,
  partnerId: string,
  kind: string,
  emails: readonly string[],
): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await db
    .selectFrom('notification_preferences')
    .select('email')
    .where('partner_id', '=', partnerId)
    .where('email', 'in', [...emails])
    .where('kind', 'in', [kind, '*'])
    .where('opted_out_at', 'is not', null)
    .execute();
  return new Set(rows.map((r) => r.email));
}
