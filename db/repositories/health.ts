// Reachability of the database, for startup checks and health endpoints.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

export async function pingDatabase(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
