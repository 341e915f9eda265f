// The nightly run's set-based step (docs/architecture.md#the-nightly-run): a partner that owes
// no recompute and whose stored standing holds through the day (as_of ≤ day <
// next_change_day) is left as it is, its scorecard exact for its own as-of day; the others are
// recomputed.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../types.ts';

/**
 * Of these partners, those due on `asOf`: owing a recompute, without a scorecard, with one not
 * known to hold through `asOf` (next_change_day ≤ asOf or null), or with one computed as of a
 * later day. One statement; nothing is written. `notDue`: how many of them are not due and not
 * already as of `asOf` (left as of an earlier day).
 */
export async function duePartners(
  db: Kysely<DB>,
  partnerIds: readonly string[],
  asOf: string,
): Promise<{ due: string[]; notDue: number }> {
  if (partnerIds.length === 0) return { due: [], notDue: 0 };
  const { rows } = await sql<{ partner_id: string; due: boolean }>`
    select ids.id as partner_id,
      not coalesce(s.as_of <= ${asOf}::date and s.next_change_day > ${asOf}::date
        and not exists (select 1 from recompute_requests r where r.partner_id = ids.id), false) as due
    from (select distinct id from unnest(${[...partnerIds]}::text[]) as id) ids
    left join scorecards s on s.partner_id = ids.id
    where s.as_of is distinct from ${asOf}::date or s.next_change_day <= ${asOf}::date
      or exists (select 1 from recompute_requests r where r.partner_id = ids.id)`.execute(db);
  return { due: rows.filter((r) => r.due).map((r) => r.partner_id), notDue: rows.filter((r) => !r.due).length };
}
