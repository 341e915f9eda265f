// Incremental recompute (issue 14): where a partner's policy timeline stood at the end of chosen
// days (month ends, and the two latest days computed), so a recompute resumes the walk on the day
// after the latest one before the earliest affected day. `inputs` is a digest of what the
// checkpoint was computed with that is not dated (program, overrides, review decisions): a
// checkpoint of other inputs is never resumed from.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table timeline_checkpoints (
     partner_id text not null,
     day date not null,
     inputs text not null,
     checkpoint jsonb not null,
     primary key (partner_id, day)
   )`,
];

const downStatements = [`drop table timeline_checkpoints`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
