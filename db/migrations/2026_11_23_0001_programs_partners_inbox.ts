// Program versions, the partner registry and the ingest inbox that makes
// `(source, id)` delivery idempotent (docs/events.md#envelope).
// Migrations never import app code: they must keep working as the app changes.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // One arrival order for every event, so "equal versions: the one received last
  // wins" (docs/events.md#dealupserted) has a tie-breaker that survives restarts.
  `create sequence event_received_seq`,

  `create table program_versions (
    program_id     text not null,
    version        text not null,
    effective_from date not null,
    definition     jsonb not null,
    loaded_at      timestamptz not null default now(),
    primary key (program_id, version),
    unique (program_id, effective_from)
  )`,

  // No foreign keys from facts to partners: a partner may have facts before (or
  // without) its partner.upserted event and is then listed with status none.
  `create table partners (
    partner_id      text primary key,
    name            text not null,
    partner_type    text not null,
    region          text,
    status          text not null default 'active' check (status in ('active', 'terminated')),
    -- bigint: source systems may use timestamps as versions.
    version         bigint not null check (version >= 0),
    contacts        jsonb not null default '[]' check (jsonb_typeof(contacts) = 'array'),
    source_event_id text not null,
    updated_at      timestamptz not null default now()
  )`,

  // The first valid delivery of a (source, event_id) claims it; later deliveries
  // bump the counters (duplicate) or land in inbox_conflicts (different payload).
  `create table inbox (
    source            text not null check (source in ('crm', 'lms', 'erp')),
    event_id          text not null,
    partner_id        text not null,
    type              text not null,
    payload           jsonb not null,
    payload_hash      text not null,
    outcome           text not null check (outcome in ('accepted', 'duplicate', 'stale', 'conflict')),
    received_at       timestamptz not null default now(),
    received_seq      bigint not null default nextval('event_received_seq'),
    deliveries        integer not null default 1 check (deliveries >= 1),
    last_delivered_at timestamptz not null default now(),
    primary key (source, event_id)
  )`,
  `create index inbox_partner_idx on inbox (partner_id, received_seq)`,

  `create table inbox_conflicts (
    id           bigserial primary key,
    source       text not null,
    event_id     text not null,
    payload      jsonb not null,
    payload_hash text not null,
    received_at  timestamptz not null default now(),
    foreign key (source, event_id) references inbox (source, event_id),
    unique (source, event_id, payload_hash)
  )`,
];

const downStatements = [
  `drop table inbox_conflicts`,
  `drop table inbox`,
  `drop table partners`,
  `drop table program_versions`,
  `drop sequence event_received_seq`,
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
