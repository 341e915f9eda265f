// The database's readiness check.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

/** Answers when Postgres does. */
export async function pingDatabase(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
