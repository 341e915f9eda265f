// Demotion review (SPEC §9, issue 16): a partner whose demotion awaits a person has status
// `review` in the effective-tier history. Going down refuses while such rows exist.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `alter table effective_tier_history drop constraint effective_tier_history_status_check`,
  `alter table effective_tier_history add constraint effective_tier_history_status_check
     check (status in ('qualified', 'grace', 'hold', 'review', 'override', 'none'))`,
];

const downStatements = [
  `alter table effective_tier_history drop constraint effective_tier_history_status_check`,
  `alter table effective_tier_history add constraint effective_tier_history_status_check
     check (status in ('qualified', 'grace', 'hold', 'override', 'none'))`,
];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
