// The nightly run touches only what is due (issue #14 item 2): each scorecard keeps the first
// day after its as-of day on which time alone may change what is stored for the partner
// (domain/evaluation/next-change.ts). null: not known (rows written before this migration,
// or a partner no later day changes is stored as 2999-12-31), so the partner is due.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `alter table scorecards add column next_change_day date`,
  `create index scorecards_next_change_idx on scorecards (next_change_day)`,
];

const downStatements = [`drop index scorecards_next_change_idx`, `alter table scorecards drop column next_change_day`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
