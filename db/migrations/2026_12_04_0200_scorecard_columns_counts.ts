// The console's filters and overview without reading every stored scorecard (issue 18: every
// page ≤ 150 ms p95 at 100,000 partners).
//
// - `scorecards` gets the track, effective tier, status and "has a dated risk" of its JSON as
//   plain columns. They are STORED generated columns: Postgres computes them from `scorecard`
//   in the very statement that writes it (the recompute's upsert, the nightly run's move, any
//   other writer), so they cannot disagree with it; adding them fills them for every row.
//   Indexes on them serve the partners list's filters in partner order, alone or combined.
// - `scorecard_counts` holds partners per (track, tier, status). Statement-level triggers with
//   transition tables append each writing statement's net change per key to
//   `scorecard_count_deltas` (insert-only, so concurrent recomputes never wait on a shared
//   counter row; a statement that changes no key appends nothing). The overview folds the
//   deltas into the counts (db/repositories/console.ts) and reads counts plus what is left:
//   O(tracks × tiers × statuses), whatever the number of partners.
// - `scorecards.review`: the demotion review pending on the scorecard's day (fromTier, toTier,
//   since, autoApprovesOn), written by the recompute with the scorecard, null when none or not
//   known (a scorecard written before this migration). The reviews page lists it without
//   evaluating the partner again unless the partner owes a recompute.
// - The jsonb expression indexes by tier of 2026_12_03_0070 are replaced by the column ones.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `alter table scorecards
     add column track text generated always as (scorecard->>'track') stored,
     add column tier text generated always as (scorecard->>'effectiveTier') stored,
     add column status text generated always as (scorecard->>'status') stored,
     add column at_risk boolean generated always as
       (coalesce(jsonb_array_length(case when jsonb_typeof(scorecard->'risks') = 'array' then scorecard->'risks' end), 0) > 0) stored,
     add column review jsonb`,
  `drop index scorecards_tier_idx`,
  `drop index scorecards_track_tier_idx`,
  `create index scorecards_tier_partner_idx on scorecards (tier, partner_id)`,
  `create index scorecards_status_partner_idx on scorecards (status, partner_id)`,
  `create index scorecards_tier_status_partner_idx on scorecards (tier, status, partner_id)`,
  `create index scorecards_at_risk_partner_idx on scorecards (partner_id) where at_risk`,
  `create index scorecards_at_risk_tier_idx on scorecards (tier, partner_id) where at_risk`,
  `create index scorecards_at_risk_status_idx on scorecards (status, partner_id) where at_risk`,
  `create index scorecards_at_risk_tier_status_idx on scorecards (tier, status, partner_id) where at_risk`,
  `create table scorecard_counts (
     track text,
     tier text,
     status text,
     partners bigint not null,
     constraint scorecard_counts_key unique nulls not distinct (track, tier, status)
   )`,
  `create table scorecard_count_deltas (
     id bigint generated always as identity primary key,
     track text,
     tier text,
     status text,
     partners bigint not null
   )`,
  `insert into scorecard_counts (track, tier, status, partners)
     select track, tier, status, count(*) from scorecards group by 1, 2, 3`,
  `create function scorecard_counts_inserted() returns trigger language plpgsql as $$
   begin
     insert into scorecard_count_deltas (track, tier, status, partners)
       select track, tier, status, count(*) from new_rows group by 1, 2, 3;
     return null;
   end $$`,
  `create function scorecard_counts_deleted() returns trigger language plpgsql as $$
   begin
     insert into scorecard_count_deltas (track, tier, status, partners)
       select track, tier, status, -count(*) from old_rows group by 1, 2, 3;
     return null;
   end $$`,
  `create function scorecard_counts_updated() returns trigger language plpgsql as $$
   begin
     insert into scorecard_count_deltas (track, tier, status, partners)
       select track, tier, status, sum(n) from (
         select track, tier, status, 1 as n from new_rows
         union all
         select track, tier, status, -1 from old_rows) changed
       group by 1, 2, 3 having sum(n) <> 0;
     return null;
   end $$`,
  `create function scorecard_counts_truncated() returns trigger language plpgsql as $$
   begin
     delete from scorecard_count_deltas;
     delete from scorecard_counts;
     return null;
   end $$`,
  `create trigger scorecards_counts_insert after insert on scorecards
     referencing new table as new_rows for each statement execute function scorecard_counts_inserted()`,
  `create trigger scorecards_counts_delete after delete on scorecards
     referencing old table as old_rows for each statement execute function scorecard_counts_deleted()`,
  `create trigger scorecards_counts_update after update on scorecards
     referencing old table as old_rows new table as new_rows for each statement execute function scorecard_counts_updated()`,
  `create trigger scorecards_counts_truncate after truncate on scorecards
     for each statement execute function scorecard_counts_truncated()`,
];

const downStatements = [
  `drop trigger scorecards_counts_truncate on scorecards`,
  `drop trigger scorecards_counts_update on scorecards`,
  `drop trigger scorecards_counts_delete on scorecards`,
  `drop trigger scorecards_counts_insert on scorecards`,
  `drop function scorecard_counts_truncated()`,
  `drop function scorecard_counts_updated()`,
  `drop function scorecard_counts_deleted()`,
  `drop function scorecard_counts_inserted()`,
  `drop table scorecard_count_deltas`,
  `drop table scorecard_counts`,
  `alter table scorecards drop column review, drop column at_risk, drop column status, drop column tier, drop column track`,
  `create index scorecards_tier_idx on scorecards ((scorecard->>'effectiveTier'), partner_id)`,
  `create index scorecards_track_tier_idx on scorecards ((scorecard->>'track'), (scorecard->>'effectiveTier'))`,
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
