// The dead-letter store (docs/events.md): invalid events kept whole with the reason,
// listable and replayable.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // raw is bytea, not text: the store must keep a line exactly as received, and
  // lines that are not valid UTF-8 (or hold NUL bytes) cannot live in a text column.
  // source/event_id are null when the line could not be parsed far enough to know them.
  `create table dead_letters (
    id            bigserial primary key,
    source        text,
    event_id      text,
    raw           bytea not null,
    raw_hash      text not null,
    reason        jsonb not null,
    first_seen_at timestamptz not null default now(),
    last_seen_at  timestamptz not null default now(),
    attempts      integer not null default 1 check (attempts >= 1),
    replayed_at   timestamptz
  )`,
  // The same bad line delivered again bumps attempts/last_seen_at instead of piling up.
  `create unique index dead_letters_pending_raw_idx on dead_letters (raw_hash) where replayed_at is null`,
  `create index dead_letters_event_idx on dead_letters (source, event_id) where event_id is not null`,
  `create index dead_letters_last_seen_idx on dead_letters (last_seen_at)`,
];

const downStatements = [`drop table dead_letters`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
