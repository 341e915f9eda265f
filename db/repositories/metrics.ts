// What the whole system holds, counted for GET /metrics at scrape time.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

/** Tier changes recorded, by criteria kind (null for a decision without one). */
export async function decisionsByKind(db: Kysely<DB>) {
  return db
    .selectFrom('decisions')
    .select([sql<string | null>`criteria->>'kind'`.as('kind'), sql<string>`count(*)::text`.as('n')])
    .groupBy(sql`criteria->>'kind'`)
    .execute();
}

export async function outboxByStatus(db: Kysely<DB>) {
  return db
    .selectFrom('outbox')
    .select(['status', sql<string>`count(*)::text`.as('n')])
    .groupBy('status')
    .execute();
}

/** Partners owed a recompute. */
export async function owedRecomputes(db: Kysely<DB>): Promise<string | undefined> {
  const row = await db
    .selectFrom('recompute_requests')
    .select(sql<string>`count(*)::text`.as('n'))
    .executeTakeFirst();
  return row?.n;
}

export async function deadLettersByReplayed(db: Kysely<DB>) {
  return db
    .selectFrom('dead_letters')
    .select([sql<boolean>`replayed_at is not null`.as('replayed'), sql<string>`count(*)::text`.as('n')])
    .groupBy(sql`replayed_at is not null`)
    .execute();
}
