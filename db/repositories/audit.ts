// The audit trail: who did what, to which partner, and why.
import type { Insertable, Kysely } from 'kysely';
import type { AuditLogTable, DB } from '../types.ts';

export async function recordAudit(db: Kysely<DB>, entry: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}

/** The newest entries first, optionally of one partner. */
export async function auditEntries(db: Kysely<DB>, options: { partnerId?: string | undefined; limit: number }) {
  let query = db.selectFrom('audit_log').selectAll();
  if (options.partnerId !== undefined) query = query.where('partner_id', '=', options.partnerId);
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
}

/** The details of the latest audit entry of `action` (e.g. the last nightly run's result). */
export async function latestAuditDetails(db: Kysely<DB>, action: string) {
  const row = await db
    .selectFrom('audit_log')
    .select('details')
    .where('action', '=', action)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.details;
}
