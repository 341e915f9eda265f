// The statements of a batch recompute, run in the caller's transaction, set-based: one per
// table and batch of partners, whatever the number of partners (inserts in slices of at
// most ROWS_PER_INSERT rows). What to write is decided by the caller.
import { sql, type Insertable, type Kysely } from 'kysely';
import { dayOrThrow, type Day } from '../../domain/dates.ts';
import { MICROS } from './recompute-requests.ts';
import type {
  DB,
  DecisionsTable,
  EffectiveTierHistoryTable,
  LedgerEntriesTable,
  RecomputeRequestRow,
  ScorecardsTable,
} from '../types.ts';

/**
 * Serialises recomputes of these partners across processes, for the transaction's length.
 * Taken in one statement in partner order, so two batches sharing partners wait for each
 * other instead of deadlocking (a hash collision could still cross them: Postgres then
 * reports a deadlock, which inTransaction retries).
 */
export async function lockPartners(trx: Kysely<DB>, partnerIds: readonly string[]): Promise<void> {
  if (partnerIds.length === 0) return;
  await sql`select count(pg_advisory_xact_lock(hashtextextended('recompute:' || id, 0)))
            from (select distinct id from unnest(${[...partnerIds]}::text[]) as id order by id) ids`.execute(trx);
}

export type TakenRequest = RecomputeRequestRow & { micros: string };

/** The owed requests of these partners, locked (in partner order) until the transaction ends. */
export async function takeRequests(trx: Kysely<DB>, partnerIds: readonly string[]): Promise<Map<string, TakenRequest>> {
  if (partnerIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('recompute_requests')
    .selectAll()
    .select(MICROS.as('micros'))
    .where('partner_id', 'in', [...partnerIds])
    .orderBy('partner_id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.partner_id, r]));
}

/** Clears the requests unless a newer one replaced it meanwhile (that one keeps its own job). */
export async function clearRequests(trx: Kysely<DB>, requests: readonly TakenRequest[]): Promise<void> {
  if (requests.length === 0) return;
  await sql`delete from recompute_requests
    using unnest(${requests.map((q) => q.partner_id)}::text[], ${requests.map((q) => q.micros)}::text[]) as taken(partner_id, micros)
    where recompute_requests.partner_id = taken.partner_id and ${MICROS} = taken.micros`.execute(trx);
}

/**
 * Of these partners, those whose stored scorecard is as of `asOf`, or as of an earlier day with
 * a standing that holds through `asOf` (next_change_day after it): nothing is due for them.
 */
export async function standingCurrent(
  db: Kysely<DB>,
  partnerIds: readonly string[],
  asOf: string,
): Promise<Set<string>> {
  if (partnerIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('scorecards')
    .select('partner_id')
    .where('partner_id', 'in', [...partnerIds])
    .where((eb) => eb.or([eb('as_of', '=', asOf), eb.and([eb('as_of', '<', asOf), eb('next_change_day', '>', asOf)])]))
    .execute();
  return new Set(rows.map((r) => r.partner_id));
}

/** An override in force, as the engine reads it. */
export interface ActiveOverride {
  tier: string;
  from: Day;
  until: Day;
  reason: string;
  by: string;
}

/** Each partner's overrides not cleared, in the order they were made. */
export async function activeOverrides(
  db: Kysely<DB>,
  partnerIds: readonly string[],
): Promise<Map<string, ActiveOverride[]>> {
  const out = new Map<string, ActiveOverride[]>();
  if (partnerIds.length === 0) return out;
  const rows = await db
    .selectFrom('overrides')
    .selectAll()
    .where('partner_id', 'in', [...partnerIds])
    .where('cleared_at', 'is', null)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const rule: ActiveOverride = {
      tier: r.tier_id,
      from: dayOrThrow(r.from_day),
      until: dayOrThrow(r.until_day),
      reason: r.reason,
      by: r.created_by,
    };
    out.set(r.partner_id, [...(out.get(r.partner_id) ?? []), rule]);
  }
  return out;
}

/** One statement may bind at most 65,535 parameters: multi-row inserts go in slices. */
const ROWS_PER_INSERT = 5_000;

async function inSlices<T>(rows: readonly T[], write: (slice: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await write(rows.slice(i, i + ROWS_PER_INSERT));
}

/** The history runs of these partners not superseded, by partner then valid_from. */
export async function currentHistory(db: Kysely<DB>, partnerIds: readonly string[]) {
  return db
    .selectFrom('effective_tier_history')
    .select(['id', 'partner_id', 'valid_from', 'valid_to', 'tier_id', 'status', 'program_version'])
    .where('partner_id', 'in', [...partnerIds])
    .where('superseded_at', 'is', null)
    .orderBy('partner_id')
    .orderBy('valid_from')
    .execute();
}

export async function supersedeHistory(db: Kysely<DB>, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`update effective_tier_history set superseded_at = now() where id = any(${[...ids]}::bigint[])`.execute(db);
}

export async function insertHistory(
  db: Kysely<DB>,
  rows: readonly Insertable<EffectiveTierHistoryTable>[],
): Promise<void> {
  await inSlices(rows, (slice) => db.insertInto('effective_tier_history').values(slice).execute());
}

/** The tier changes recorded for these partners. */
export async function recordedDecisions(db: Kysely<DB>, partnerIds: readonly string[]) {
  return db
    .selectFrom('decisions')
    .select(['partner_id', 'day', 'previous_tier', 'new_tier'])
    .where('partner_id', 'in', [...partnerIds])
    .orderBy('id')
    .execute();
}

export async function insertDecisions(db: Kysely<DB>, rows: readonly Insertable<DecisionsTable>[]): Promise<void> {
  await inSlices(rows, (slice) => db.insertInto('decisions').values(slice).execute());
}

export async function upsertScorecards(db: Kysely<DB>, rows: readonly Insertable<ScorecardsTable>[]): Promise<void> {
  await inSlices(rows, (slice) =>
    db
      .insertInto('scorecards')
      .values(slice)
      .onConflict((oc) =>
        oc.column('partner_id').doUpdateSet({
          as_of: sql`excluded.as_of`,
          scorecard: sql`excluded.scorecard`,
          next_change_day: sql`excluded.next_change_day`,
          review: sql`excluded.review`,
          computed_at: sql`now()`,
        }),
      )
      .execute(),
  );
}

export interface LedgerSumRow {
  partner_id: string;
  deal_id: string;
  benefit: 'commission' | 'mdf' | 'rebate';
  closed_at: string;
  total: string;
}

/**
 * The ledger of these partners summed per (partner, deal, benefit, closed_at): of a partner with
 * a `from` day only the deals with an entry closed on or after it (all their entries).
 */
export async function ledgerSums(
  db: Kysely<DB>,
  partners: ReadonlyArray<{ partnerId: string; from: string | null }>,
): Promise<LedgerSumRow[]> {
  const whole = partners.filter((p) => p.from === null).map((p) => p.partnerId);
  const since = partners.filter((p): p is { partnerId: string; from: string } => p.from !== null);
  const { rows } = await sql<LedgerSumRow>`
    select partner_id, deal_id, benefit, closed_at, sum(amount)::text as total
    from ledger_entries where partner_id = any(${whole}::text[])
    group by partner_id, deal_id, benefit, closed_at
    union all
    select le.partner_id, le.deal_id, le.benefit, le.closed_at, sum(le.amount)::text as total
    from ledger_entries le
    join (
      select distinct l.partner_id, l.deal_id
      from ledger_entries l
      join unnest(${since.map((p) => p.partnerId)}::text[], ${since.map((p) => p.from)}::date[]) as w(partner_id, from_day)
        on l.partner_id = w.partner_id and l.closed_at >= w.from_day
    ) k on le.partner_id = k.partner_id and le.deal_id = k.deal_id
    group by le.partner_id, le.deal_id, le.benefit, le.closed_at`.execute(db);
  return rows;
}

export async function insertLedgerEntries(
  db: Kysely<DB>,
  rows: readonly Insertable<LedgerEntriesTable>[],
): Promise<void> {
  await inSlices(rows, (slice) => db.insertInto('ledger_entries').values(slice).execute());
}
