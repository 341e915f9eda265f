// Stored timeline checkpoints (migration 2026_12_03_0050): the latest one each partner may resume
// from, and replacing those a recompute made stale. Which days and inputs count is the caller's.
import { sql, type Kysely } from 'kysely';
import type { DB, JsonValue } from '../types.ts';

export interface CheckpointWanted {
  partnerId: string;
  /** The checkpoint must be before this day ('YYYY-MM-DD', or 'infinity'). */
  before: string;
  /** Digest of the undated inputs it must have been computed with. */
  digest: string;
}

export interface FoundCheckpoint {
  partnerId: string;
  /** The day the stored scorecard is computed as of (null: never computed). */
  asOf: string | null;
  checkpoint: JsonValue | null;
}

/**
 * Per partner, its stored scorecard's day and the latest checkpoint of its inputs before
 * `before`, the scorecard's day + 1 and `asOf` (what the stored state says nothing about later).
 */
export async function latestCheckpoints(
  db: Kysely<DB>,
  wanted: readonly CheckpointWanted[],
  asOf: string,
): Promise<FoundCheckpoint[]> {
  if (wanted.length === 0) return [];
  const { rows } = await sql<{ partner_id: string; as_of: string | null; checkpoint: JsonValue | null }>`
    select w.partner_id, s.as_of, c.checkpoint
    from unnest(${wanted.map((w) => w.partnerId)}::text[], ${wanted.map((w) => w.before)}::date[],
                ${wanted.map((w) => w.digest)}::text[]) as w(partner_id, before, digest)
    left join scorecards s on s.partner_id = w.partner_id
    left join lateral (
      select checkpoint from timeline_checkpoints c
      where c.partner_id = w.partner_id and c.inputs = w.digest and s.as_of is not null
        and c.day < least(w.before, s.as_of + 1, ${asOf}::date)
      order by c.day desc limit 1
    ) c on true`.execute(db);
  return rows.map((r) => ({ partnerId: r.partner_id, asOf: r.as_of, checkpoint: r.checkpoint }));
}

export interface CheckpointRow {
  partnerId: string;
  day: string;
  checkpoint: string;
}

export interface CheckpointReplacement {
  partnerId: string;
  /** Checkpoints from this day on are stale ('-infinity': all of them). */
  from: string;
  /** Digest of the inputs the new ones are computed with; those of other inputs are stale too. */
  digest: string;
}

/**
 * Deletes each partner's stale checkpoints (from its day on, of other inputs, those before
 * `keepFrom` not on a month end, and those before `monthEndsFrom`) and inserts the new ones.
 */
export async function replaceCheckpoints(
  db: Kysely<DB>,
  replaced: readonly CheckpointReplacement[],
  rows: readonly CheckpointRow[],
  keepFrom: string,
  monthEndsFrom: string,
): Promise<void> {
  if (replaced.length === 0) return;
  await sql`
    delete from timeline_checkpoints c
    using unnest(${replaced.map((r) => r.partnerId)}::text[], ${replaced.map((r) => r.from)}::date[],
                 ${replaced.map((r) => r.digest)}::text[]) as r(partner_id, from_day, digest)
    where c.partner_id = r.partner_id
      and (c.day >= r.from_day or c.inputs <> r.digest or (c.day < ${keepFrom}::date and (extract(day from c.day + 1) <> 1 or c.day < ${monthEndsFrom}::date)))`.execute(
    db,
  );
  if (rows.length === 0) return;
  await sql`
    insert into timeline_checkpoints (partner_id, day, inputs, checkpoint)
    select n.partner_id, n.day, r.digest, n.checkpoint::jsonb
    from unnest(${rows.map((r) => r.partnerId)}::text[], ${rows.map((r) => r.day)}::date[], ${rows.map((r) => r.checkpoint)}::text[])
      as n(partner_id, day, checkpoint)
    join unnest(${replaced.map((r) => r.partnerId)}::text[], ${replaced.map((r) => r.digest)}::text[]) as r(partner_id, digest)
      on r.partner_id = n.partner_id`.execute(db);
}
