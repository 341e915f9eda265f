// Contact opt-outs (notification_preferences): recorded from an unsubscribe token, honoured
// by the notifier. A row per (partner, email, kind); kind '*' stops every kind; opted_out_at
// null means opted back in.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { UnsubscribeClaims } from './unsubscribe.ts';

/** Records an opt-out (idempotent: the first opt-out time is kept) and audits it. */
export async function recordOptOut(
  db: Kysely<DB>,
  claims: UnsubscribeClaims,
  actor = 'unsubscribe-link',
): Promise<void> {
  const email = claims.email.trim().toLowerCase();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('notification_preferences')
      .values({ partner_id: claims.partnerId, email, kind: claims.kind, opted_out_at: sql`now()` })
      .onConflict((oc) =>
        oc
          .columns(['partner_id', 'email', 'kind'])
          .doUpdateSet({ opted_out_at: sql`coalesce(notification_preferences.opted_out_at, now())` }),
      )
      .execute();
    await trx
      .insertInto('audit_log')
      .values({
        actor,
        action: 'notification-opt-out',
        partner_id: claims.partnerId,
        details: JSON.stringify({ kind: claims.kind, email }),
      })
      .execute();
  });
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
