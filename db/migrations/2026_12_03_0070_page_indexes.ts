// Indexes for the web pages (issue 18: every page ≤ 150 ms p95 with 100,000 partners). The
// console reads the stored scorecards by effective tier, by first risk date (at risk) and by
// "one criterion short" (near promotion), searches partners by the start of their id or name
// (case-insensitive, `text_pattern_ops` so `LIKE 'x%'` uses them), and counts decisions per
// day for the overview chart. Each expression matches db/repositories/console.ts exactly.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create index scorecards_tier_idx on scorecards ((scorecard->>'effectiveTier'), partner_id)`,
  `create index scorecards_track_tier_idx on scorecards ((scorecard->>'track'), (scorecard->>'effectiveTier'))`,
  `create index scorecards_first_risk_idx on scorecards ((scorecard->'risks'->0->>'on'), partner_id)
     where jsonb_array_length(scorecard->'risks') > 0`,
  `create index scorecards_near_promotion_idx on scorecards (partner_id)
     where jsonb_array_length(coalesce(scorecard->'next'->'unmet', '[]'::jsonb)) = 1`,
  `create index partners_id_lower_idx on partners (lower(partner_id) text_pattern_ops)`,
  `create index partners_name_lower_idx on partners (lower(name) text_pattern_ops)`,
  `create index partners_name_idx on partners (name, partner_id)`,
  `create index decisions_day_idx on decisions (day)`,
];

const downStatements = [
  `drop index decisions_day_idx`,
  `drop index partners_name_idx`,
  `drop index partners_name_lower_idx`,
  `drop index partners_id_lower_idx`,
  `drop index scorecards_near_promotion_idx`,
  `drop index scorecards_first_risk_idx`,
  `drop index scorecards_track_tier_idx`,
  `drop index scorecards_tier_idx`,
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
