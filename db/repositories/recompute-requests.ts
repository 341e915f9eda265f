// Owed recomputes, kept in Postgres so that losing Redis loses no work: one row per partner
// with the earliest affected day (null: the whole history) and what triggered it.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../types.ts';

/** requested_at in µs since the epoch, as text: a JS Date would drop the microseconds it is compared by. */
export const MICROS = sql<string>`(extract(epoch from requested_at) * 1000000)::bigint::text`;

export interface OwedRecompute {
  partnerId: string;
  /** recompute_requests.requested_at in µs since the epoch: the job id's version. */
  requestedAt: string;
}

export async function requestRecomputes(
  trx: Transaction<DB>,
  affected: Map<string, string | null>,
  eventIds: Map<string, string[]>,
): Promise<void> {
  if (affected.size === 0) return;
  const rows = [...affected].sort(([a], [b]) => (a < b ? -1 : 1));
  await trx
    .insertInto('recompute_requests')
    .values(
      rows.map(([partnerId, fromDay]) => ({
        partner_id: partnerId,
        from_day: fromDay,
        trigger_event_ids: (eventIds.get(partnerId) ?? []).slice(0, 100),
        requested_at: sql`clock_timestamp()`,
      })),
    )
    .onConflict((oc) =>
      oc.column('partner_id').doUpdateSet({
        // null means "from the start of history" and absorbs any day.
        from_day: sql`case when recompute_requests.from_day is null or excluded.from_day is null then null
                           else least(recompute_requests.from_day, excluded.from_day) end`,
        trigger_event_ids: sql`(recompute_requests.trigger_event_ids || excluded.trigger_event_ids)[1:100]`,
        requested_at: sql`clock_timestamp()`,
      }),
    )
    .execute();
}

/** Owed recomputes of these partners, with the version that names their job. */
export async function pendingRecomputes(
  db: Kysely<DB> | Transaction<DB>,
  partnerIds: readonly string[],
): Promise<OwedRecompute[]> {
  if (partnerIds.length === 0) return [];
  const rows = await db
    .selectFrom('recompute_requests')
    .select(['partner_id', MICROS.as('micros')])
    .where('partner_id', 'in', [...partnerIds])
    .execute();
  return rows.map((r) => ({ partnerId: r.partner_id, requestedAt: r.micros }));
}

/** Every partner owes a recompute from `fromDay` (a new program version): one statement. */
export async function requestRecomputeOfAll(
  trx: Kysely<DB> | Transaction<DB>,
  fromDay: string,
  trigger: string,
): Promise<number> {
  const result = await sql`
    insert into recompute_requests (partner_id, from_day, trigger_event_ids, requested_at)
    select partner_id, ${fromDay}::date, array[${trigger}]::text[], clock_timestamp()
    from (select distinct partner_id from inbox where outcome in ('accepted', 'stale')) partners
    on conflict (partner_id) do update set
      from_day = case when recompute_requests.from_day is null then null else least(recompute_requests.from_day, excluded.from_day) end,
      trigger_event_ids = (recompute_requests.trigger_event_ids || excluded.trigger_event_ids)[1:100],
      requested_at = clock_timestamp()`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}
