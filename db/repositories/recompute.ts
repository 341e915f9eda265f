// Writing the recomputed state of a batch of partners in the caller's transaction, a few
// set-based statements per batch: the effective-tier history (superseded, never
// rewritten), decisions for new tier changes, the scorecards, and ledger entries appended
// so that totals match the evaluation to the cent.
import { sql, type Transaction } from 'kysely';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { NotificationRequest } from '../../domain/alerts.ts';
import type { DayExplanation } from '../../domain/evaluation/explain.ts';
import type { LedgerLine } from '../../domain/evaluation/ledger.ts';
import type { HistorySegment, Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule, TierChange } from '../../domain/evaluation/timeline.ts';
import { decimalToRatio, formatMinor } from '../../domain/money.ts';
import { toJsonb } from '../json.ts';
import { MICROS } from './recompute-requests.ts';
import type { Benefit, DB, RecomputeRequestRow } from '../types.ts';

type Trx = Transaction<DB>;

/**
 * Serialises recomputes of these partners across processes, for the transaction's length.
 * Taken in one statement in partner order, so two batches sharing partners wait for each
 * other instead of deadlocking (a hash collision could still cross them: Postgres then
 * reports a deadlock, which inTransaction retries).
 */
export async function lockPartners(trx: Trx, partnerIds: readonly string[]): Promise<void> {
  if (partnerIds.length === 0) return;
  await sql`select count(pg_advisory_xact_lock(hashtextextended('recompute:' || id, 0))) from (select distinct id from unnest(${[...partnerIds]}::text[]) as id order by id) ids`.execute(
    trx,
  );
}

export type TakenRequest = RecomputeRequestRow & { micros: string };

/** The owed requests of these partners, locked (in partner order) until the transaction ends. */
export async function takeRequests(trx: Trx, partnerIds: readonly string[]): Promise<Map<string, TakenRequest>> {
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
export async function clearRequests(trx: Trx, requests: readonly TakenRequest[]): Promise<void> {
  if (requests.length === 0) return;
  await sql`delete from recompute_requests using unnest(${requests.map((q) => q.partner_id)}::text[], ${requests.map((q) => q.micros)}::text[]) as taken(partner_id, micros)
    where recompute_requests.partner_id = taken.partner_id and ${MICROS} = taken.micros`.execute(trx);
}

/** The day each partner's stored scorecard is computed as of. */
export async function scorecardDays(trx: Trx, partnerIds: readonly string[]): Promise<Map<string, string>> {
  if (partnerIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('scorecards')
    .select(['partner_id', 'as_of'])
    .where('partner_id', 'in', [...partnerIds])
    .execute();
  return new Map(rows.map((r) => [r.partner_id, r.as_of]));
}

export async function activeOverrides(trx: Trx, partnerIds: readonly string[]): Promise<Map<string, OverrideRule[]>> {
  const out = new Map<string, OverrideRule[]>();
  if (partnerIds.length === 0) return out;
  const rows = await trx
    .selectFrom('overrides')
    .selectAll()
    .where('partner_id', 'in', [...partnerIds])
    .where('cleared_at', 'is', null)
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const rule: OverrideRule = {
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

interface HistoryRow {
  valid_from: string;
  valid_to: string | null;
  tier_id: string | null;
  status: Scorecard['status'];
  program_version: string | null;
}

const sameRow = (a: HistoryRow, b: HistoryRow): boolean =>
  a.valid_from === b.valid_from &&
  a.valid_to === b.valid_to &&
  a.tier_id === b.tier_id &&
  a.status === b.status &&
  a.program_version === b.program_version;

/** One statement may bind at most 65,535 parameters: multi-row inserts go in slices. */
const ROWS_PER_INSERT = 5_000;

async function inSlices<T>(rows: readonly T[], write: (slice: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await write(rows.slice(i, i + ROWS_PER_INSERT));
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

export interface PartnerHistory {
  partnerId: string;
  segments: readonly HistorySegment[];
}

/** Supersedes each partner's stored runs from the first one that differs, and appends the new ones. */
export async function writeHistories(trx: Trx, programId: string, partners: readonly PartnerHistory[]): Promise<void> {
  if (partners.length === 0) return;
  const stored = groupBy(
    await trx
      .selectFrom('effective_tier_history')
      .select(['id', 'partner_id', 'valid_from', 'valid_to', 'tier_id', 'status', 'program_version'])
      .where(
        'partner_id',
        'in',
        partners.map((p) => p.partnerId),
      )
      .where('superseded_at', 'is', null)
      .orderBy('partner_id')
      .orderBy('valid_from')
      .execute(),
    (r) => r.partner_id,
  );
  const superseded: number[] = [];
  const added: Array<HistoryRow & { partner_id: string; program_id: string }> = [];
  for (const { partnerId, segments } of partners) {
    const wanted: HistoryRow[] = segments.map((s, i) => ({
      valid_from: formatDay(s.from),
      valid_to: i === segments.length - 1 ? null : formatDay(s.to + 1),
      tier_id: s.tierId,
      status: s.status,
      program_version: s.programVersion,
    }));
    const have = stored.get(partnerId) ?? [];
    let same = 0;
    while (same < wanted.length && same < have.length && sameRow(wanted[same] as HistoryRow, have[same] as HistoryRow))
      same++;
    for (const r of have.slice(same)) superseded.push(Number(r.id));
    for (const r of wanted.slice(same)) added.push({ ...r, partner_id: partnerId, program_id: programId });
  }
  if (superseded.length > 0) {
    await sql`update effective_tier_history set superseded_at = now() where id = any(${superseded}::bigint[])`.execute(
      trx,
    );
  }
  await inSlices(added, (slice) => trx.insertInto('effective_tier_history').values(slice).execute());
}

export interface PartnerChanges {
  partnerId: string;
  changes: readonly TierChange[];
  explain: (change: TierChange) => DayExplanation;
  triggerEventIds: readonly string[];
}

/** Records tier changes not recorded before, each with what decided it. Returns the new ones per partner. */
export async function writeDecisions(
  trx: Trx,
  programId: string,
  partners: readonly PartnerChanges[],
): Promise<Map<string, TierChange[]>> {
  const fresh = new Map<string, TierChange[]>();
  const changed = partners.filter((p) => p.changes.length > 0);
  if (changed.length === 0) return fresh;
  const stored = await trx
    .selectFrom('decisions')
    .select(['partner_id', 'day', 'previous_tier', 'new_tier'])
    .where(
      'partner_id',
      'in',
      changed.map((p) => p.partnerId),
    )
    .execute();
  const seen = new Set(stored.map((d) => `${d.partner_id}\u0000${d.day}|${d.previous_tier}|${d.new_tier}`));
  const rows = [];
  for (const p of changed) {
    const mine = p.changes.filter((c) => !seen.has(`${p.partnerId}\u0000${formatDay(c.day)}|${c.from}|${c.to}`));
    if (mine.length === 0) continue;
    fresh.set(p.partnerId, mine);
    for (const c of mine) {
      const why = p.explain(c);
      rows.push({
        partner_id: p.partnerId,
        day: formatDay(c.day),
        previous_tier: c.from,
        new_tier: c.to,
        qualified_tier: c.qualified,
        program_id: programId,
        program_version: why.programVersion,
        metrics: toJsonb(why.metrics),
        criteria: toJsonb({ kind: c.kind, track: why.track, tiers: why.tiers }),
        trigger_event_ids: [...p.triggerEventIds],
      });
    }
  }
  await inSlices(rows, (slice) => trx.insertInto('decisions').values(slice).execute());
  return fresh;
}

export async function writeScorecards(trx: Trx, scorecards: readonly Scorecard[]): Promise<void> {
  await inSlices(scorecards, (slice) =>
    trx
      .insertInto('scorecards')
      .values(slice.map((s) => ({ partner_id: s.partnerId, as_of: s.asOf, scorecard: toJsonb(s) })))
      .onConflict((oc) =>
        oc
          .column('partner_id')
          .doUpdateSet({ as_of: sql`excluded.as_of`, scorecard: sql`excluded.scorecard`, computed_at: sql`now()` }),
      )
      .execute(),
  );
}

function minorOf(amount: string, digits: number): bigint {
  const { num, den } = decimalToRatio(amount);
  return (num * 10n ** BigInt(digits)) / den;
}

export interface PartnerLedger {
  partnerId: string;
  lines: readonly LedgerLine[];
}

interface LedgerRow {
  partner_id: string;
  deal_id: string;
  benefit: Benefit;
  amount: string;
  currency: string;
  kind: 'accrual' | 'adjustment';
  closed_at: string;
  tier_id: string | null;
  rate: string;
}

/** What makes each (deal, benefit) total of one partner equal the evaluation. */
function ledgerDelta(
  partnerId: string,
  lines: readonly LedgerLine[],
  have: ReadonlyMap<string, { total: bigint; closedAt: string }>,
  currency: string,
  digits: number,
): LedgerRow[] {
  const want = new Map<string, LedgerLine>();
  for (const line of lines) want.set(`${line.dealId}\u0000${line.benefit}`, line);
  const out: LedgerRow[] = [];
  const row = (
    deal: string,
    benefit: Benefit,
    amount: bigint,
    kind: LedgerRow['kind'],
    closedAt: string,
    tier: string | null,
    rate: string,
  ): LedgerRow => ({
    partner_id: partnerId,
    deal_id: deal,
    benefit,
    amount: formatMinor(amount, digits),
    currency,
    kind,
    closed_at: closedAt,
    tier_id: tier,
    rate,
  });
  for (const [key, line] of want) {
    const prior = have.get(key);
    const delta = line.amountMinor - (prior?.total ?? 0n);
    if (delta === 0n && prior) continue;
    if (delta === 0n && line.amountMinor === 0n) continue;
    out.push(
      row(
        line.dealId,
        line.benefit,
        delta,
        prior ? 'adjustment' : 'accrual',
        formatDay(line.closedAt),
        line.tierId,
        line.rate,
      ),
    );
  }
  for (const [key, prior] of have) {
    if (want.has(key) || prior.total === 0n) continue;
    const [deal, benefit] = key.split('\u0000') as [string, Benefit];
    out.push(row(deal, benefit, -prior.total, 'adjustment', prior.closedAt, null, '0'));
  }
  return out;
}

/**
 * Appends what makes each (deal, benefit) total equal the evaluation: an accrual for a
 * first entry, an adjustment after. Computed as a difference under the partners' locks, so
 * running it twice appends nothing the second time. Returns the entries written per partner.
 */
export async function writeLedgers(
  trx: Trx,
  partners: readonly PartnerLedger[],
  currency: string,
  digits: number,
): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  if (partners.length === 0) return written;
  const stored = await trx
    .selectFrom('ledger_entries')
    .select(['partner_id', 'deal_id', 'benefit', 'closed_at', sql<string>`sum(amount)::text`.as('total')])
    .where(
      'partner_id',
      'in',
      partners.map((p) => p.partnerId),
    )
    .groupBy(['partner_id', 'deal_id', 'benefit', 'closed_at'])
    .execute();
  const haves = new Map<string, Map<string, { total: bigint; closedAt: string }>>();
  for (const r of stored) {
    let have = haves.get(r.partner_id);
    if (!have) haves.set(r.partner_id, (have = new Map()));
    const key = `${r.deal_id}\u0000${r.benefit}`;
    const prior = have.get(key);
    have.set(key, { total: (prior?.total ?? 0n) + minorOf(r.total, digits), closedAt: r.closed_at });
  }
  const rows: LedgerRow[] = [];
  for (const p of partners) {
    const mine = ledgerDelta(p.partnerId, p.lines, haves.get(p.partnerId) ?? new Map(), currency, digits);
    if (mine.length > 0) written.set(p.partnerId, mine.length);
    rows.push(...mine);
  }
  await inSlices(rows, (slice) => trx.insertInto('ledger_entries').values(slice).execute());
  return written;
}

/** Notification requests into the outbox, once per deduplication key; old ones as 'skipped'. Returns how many were new, per partner. */
export async function writeOutbox(trx: Trx, requests: readonly NotificationRequest[]): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  await inSlices(requests, async (slice) => {
    const rows = await trx
      .insertInto('outbox')
      .values(
        slice.map((r) => ({
          dedup_key: r.dedupKey,
          kind: r.kind,
          partner_id: r.partnerId,
          payload: toJsonb({ day: r.day, ...r.payload }),
          status: r.send ? ('pending' as const) : ('skipped' as const),
        })),
      )
      .onConflict((oc) => oc.column('dedup_key').doNothing())
      .returning('partner_id')
      .execute();
    for (const r of rows) written.set(r.partner_id, (written.get(r.partner_id) ?? 0) + 1);
  });
  return written;
}
