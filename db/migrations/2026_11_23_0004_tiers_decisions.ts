// What evaluation produces and remembers: manual overrides, the effective-dated
// tier history, the decision audit trail, the latest scorecard per partner, and
// the recompute work still owed (docs/program.md#evaluation, docs/scorecard.md, README.md#configuration).
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // from_day..until_day inclusive (docs/program.md#policy); overlapping overrides: the higher id wins.
  `create table overrides (
    id         bigserial primary key,
    partner_id text not null,
    tier_id    text not null,
    from_day   date not null,
    until_day  date not null,
    reason     text not null,
    created_by text not null,
    created_at timestamptz not null default now(),
    cleared_at timestamptz,
    cleared_by text,
    check (until_day >= from_day),
    check ((cleared_at is null) = (cleared_by is null))
  )`,
  `create index overrides_partner_active_idx on overrides (partner_id, from_day) where cleared_at is null`,

  // Effective-dated: [valid_from, valid_to), valid_to null = open-ended. A recompute
  // supersedes the rows it replaces and inserts new ones, so every past answer
  // stays readable ("what did we believe on that day").
  `create table effective_tier_history (
    id              bigserial primary key,
    partner_id      text not null,
    valid_from      date not null,
    valid_to        date,
    tier_id         text,
    status          text not null check (status in ('qualified', 'grace', 'hold', 'override', 'none')),
    program_id      text,
    program_version text,
    recorded_at     timestamptz not null default now(),
    superseded_at   timestamptz,
    check (valid_to is null or valid_to > valid_from),
    check ((tier_id is null) = (status = 'none'))
  )`,
  `create index effective_tier_history_current_idx on effective_tier_history (partner_id, valid_from)
     where superseded_at is null`,
  `create index effective_tier_history_partner_recorded_idx on effective_tier_history (partner_id, recorded_at)`,
  // Enforced in the database so no code path can rewrite history by accident.
  `create function effective_tier_history_supersede_only() returns trigger language plpgsql as $$
   begin
     if old.superseded_at is not null or new.superseded_at is null
        or (to_jsonb(new) - 'superseded_at') is distinct from (to_jsonb(old) - 'superseded_at') then
       raise exception 'effective_tier_history row % is never updated, only superseded once', old.id;
     end if;
     return new;
   end $$`,
  `create trigger effective_tier_history_supersede_only before update on effective_tier_history
     for each row execute function effective_tier_history_supersede_only()`,

  // One row per tier change (or other decision) with the inputs that produced it.
  `create table decisions (
    id                bigserial primary key,
    partner_id        text not null,
    day               date not null,
    previous_tier     text,
    new_tier          text,
    qualified_tier    text,
    program_id        text,
    program_version   text,
    metrics           jsonb not null default '{}',
    criteria          jsonb not null default '{}',
    trigger_event_ids text[] not null default '{}',
    created_at        timestamptz not null default now()
  )`,
  `create index decisions_partner_day_idx on decisions (partner_id, day, id)`,

  // The scorecard JSON of docs/scorecard.md as last computed, for `tierline scorecard`.
  `create table scorecards (
    partner_id  text primary key,
    as_of       date not null,
    scorecard   jsonb not null,
    computed_at timestamptz not null default now()
  )`,

  // Work owed: written in the same transaction as the facts that caused it, deleted
  // when the recompute commits. Losing Redis loses no work (README.md#configuration): a sweep
  // re-enqueues whatever is still here. from_day null = from the start of history.
  `create table recompute_requests (
    partner_id        text primary key,
    from_day          date,
    trigger_event_ids text[] not null default '{}',
    requested_at      timestamptz not null default now()
  )`,
  `create index recompute_requests_requested_idx on recompute_requests (requested_at)`,
];

const downStatements = [
  `drop table recompute_requests`,
  `drop table scorecards`,
  `drop table decisions`,
  `drop table effective_tier_history`,
  `drop function effective_tier_history_supersede_only()`,
  `drop table overrides`,
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
