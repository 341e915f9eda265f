// Where each dead letter came from (issue #21 item 4): the file and line of `tierline ingest`,
// or the request of the HTTP receiver, and the ingest run that saw it last, so
// `ingest --wait` can show its own dead letters' reasons and `dlq list` can say where to look.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // origin: a file path (origin_line its line, 1-based) or a description such as
  // "POST /events/crm (request 42)"; null for rows stored before this migration.
  `alter table dead_letters
     add column origin text,
     add column origin_line integer check (origin_line >= 1),
     add column run_id text`,
  `create index dead_letters_run_idx on dead_letters (run_id, origin_line) where run_id is not null`,
];

const downStatements = [
  `drop index dead_letters_run_idx`,
  `alter table dead_letters drop column run_id, drop column origin_line, drop column origin`,
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
