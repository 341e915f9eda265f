// The audit trail: who did what, to which partner, and why.
import type { Insertable, Kysely } from 'kysely';
import type { AuditLogTable, DB } from '../types.ts';

export async function recordAudit(db: Kysely<DB>, entry: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(entry).execute();
}
