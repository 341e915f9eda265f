// Console reports (issue 18 item 4): a finance or what-if run the console submits as a
// background job. The id is derived from the kind and its parameters, so a resubmission
// of the same parameters finds the same row (insert ... on conflict do nothing). `result`
// is what the page shows (bounded: the first rows, the totals); `csv` is the finance
// report's every row, read only by the CSV download.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table console_reports (
    id            text primary key,
    kind          text not null check (kind in ('finance', 'whatif')),
    params        jsonb not null,
    status        text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
    error         text,
    result        jsonb,
    csv           text,
    requested_by  text not null,
    created_at    timestamptz not null default now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    check (status <> 'done' or (result is not null and finished_at is not null)),
    check (status <> 'failed' or (error is not null and finished_at is not null))
  )`,
];

const downStatements = [`drop table console_reports`];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const s of upStatements) await sql.raw(s).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const s of downStatements) await sql.raw(s).execute(db);
}
