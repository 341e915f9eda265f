// A contact opts out of a kind of email (from a signed unsubscribe link): recorded
// idempotently and audited, in one transaction; the notifier honours it from then on.
import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/repositories/audit.ts';
import { upsertOptOut } from '../../db/repositories/notification-preferences.ts';
import type { DB, NotificationKind } from '../../db/types.ts';

export interface OptOut {
  partnerId: string;
  email: string;
  /** The kind of email to stop, or '*' for all of them. */
  kind: NotificationKind | '*';
}

/** Records an opt-out (idempotent: the first opt-out time is kept) and audits it. */
export async function recordOptOut(db: Kysely<DB>, claims: OptOut, actor = 'unsubscribe-link'): Promise<void> {
  const email = claims.email.trim().toLowerCase();
  await db.transaction().execute(async (trx) => {
    await upsertOptOut(trx, claims.partnerId, email, claims.kind);
    await recordAudit(trx, {
      actor,
      action: 'notification-opt-out',
      partner_id: claims.partnerId,
      details: JSON.stringify({ kind: claims.kind, email }),
    });
  });
}
