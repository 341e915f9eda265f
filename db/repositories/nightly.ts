// The nightly run's set-based step (docs/architecture.md#the-nightly-run): a partner that owes
// no recompute and whose stored scorecard stays valid through the day (as_of ≤ day <
// next_change_day) is only moved to the day; the others are recomputed.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

/**
 * Moves the scorecards of these partners that are not due on `asOf` to `asOf` (as_of and the
 * JSON's asOf), in one statement; returns the partners that are due (owe a recompute, have
 * no scorecard, one not known to be valid through `asOf`, or one computed as of a later day)
 * and how many were moved. Partners already as of `asOf` and not due are neither.
 */
export async function advanceNotDue(
  db: Kysely<DB>,
  partnerIds: readonly string[],
  asOf: string,
): Promise<{ due: string[]; advanced: number }> {
  if (partnerIds.length === 0) return { due: [], advanced: 0 };
  const rows = await sql<{ partner_id: string; advanced: boolean }>`
    with ids as (select distinct id from unnest(${[...partnerIds]}::text[]) as id),
    valid as (
      select s.partner_id, s.as_of from scorecards s join ids on ids.id = s.partner_id
      where s.as_of <= ${asOf}::date and s.next_change_day > ${asOf}::date
        and not exists (select 1 from recompute_requests r where r.partner_id = s.partner_id)),
    moved as (
      update scorecards s set as_of = ${asOf}::date,
        scorecard = jsonb_set(s.scorecard, '{asOf}', to_jsonb(${asOf}::text))
      from valid v
      where s.partner_id = v.partner_id and v.as_of < ${asOf}::date
        and s.as_of < ${asOf}::date and s.next_change_day > ${asOf}::date
      returning s.partner_id)
    select id as partner_id, false as advanced from ids
      where not exists (select 1 from valid v where v.partner_id = ids.id)
    union all
    select partner_id, true from moved`.execute(db);
  return {
    due: rows.rows.filter((r) => !r.advanced).map((r) => r.partner_id),
    advanced: rows.rows.filter((r) => r.advanced).length,
  };
}
