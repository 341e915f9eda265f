// Writing one partner's recomputed state in the caller's transaction: the effective-tier
// history (superseded, never rewritten), decisions for new tier changes, the scorecard, and
// ledger entries appended so that totals match the evaluation to the cent.
import { sql, type Kysely, type Transaction } from 'kysely';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { NotificationRequest } from '../../domain/alerts.ts';
import type { DayExplanation } from '../../domain/evaluation/explain.ts';
import type { LedgerLine } from '../../domain/evaluation/ledger.ts';
import type { HistorySegment, Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule, TierChange } from '../../domain/evaluation/timeline.ts';
import { decimalToRatio, formatMinor } from '../../domain/money.ts';
import { toJsonb } from '../json.ts';
import type { Benefit, DB, RecomputeRequestRow } from '../types.ts';

type Trx = Transaction<DB>;

/** Serialises recomputes of one partner across processes, for the transaction's length. */
export async function lockPartner(trx: Trx, partnerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`recompute:${partnerId}`}, 0))`.execute(trx);
}

/** requested_at in µs since the epoch: a JS Date would drop the microseconds it is compared by. */
export const MICROS = sql<string>`(extract(epoch from requested_at) * 1000000)::bigint::text`;

export type TakenRequest = RecomputeRequestRow & { micros: string };

export async function takeRequest(trx: Trx, partnerId: string): Promise<TakenRequest | undefined> {
  return trx.selectFrom('recompute_requests').selectAll().select(MICROS.as('micros')).where('partner_id', '=', partnerId).forUpdate().executeTakeFirst();
}

/** Clears the request unless a newer one replaced it meanwhile (that one keeps its own job). */
export async function clearRequest(trx: Trx, request: TakenRequest): Promise<void> {
  await trx.deleteFrom('recompute_requests').where('partner_id', '=', request.partner_id).where(MICROS, '=', request.micros).execute();
}

/**
 * The version (xmin) of each partner's stored scorecard: every recompute rewrites it, so a
 * changed version means another recompute of that partner committed in between.
 */
export async function scorecardVersions(db: Kysely<DB> | Trx, partnerIds: readonly string[]): Promise<Map<string, string>> {
  if (partnerIds.length === 0) return new Map();
  const rows = await db.selectFrom('scorecards').select(['partner_id', sql<string>`xmin::text`.as('version')]).where('partner_id', 'in', [...partnerIds]).execute();
  return new Map(rows.map((r) => [r.partner_id, r.version]));
}

export async function activeOverrides(trx: Trx, partnerIds: readonly string[]): Promise<Map<string, OverrideRule[]>> {
  const out = new Map<string, OverrideRule[]>();
  if (partnerIds.length === 0) return out;
  const rows = await trx.selectFrom('overrides').selectAll().where('partner_id', 'in', [...partnerIds]).where('cleared_at', 'is', null).orderBy('id').execute();
  for (const r of rows) {
    const rule: OverrideRule = { tier: r.tier_id, from: dayOrThrow(r.from_day), until: dayOrThrow(r.until_day), reason: r.reason, by: r.created_by };
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
  a.valid_from === b.valid_from && a.valid_to === b.valid_to && a.tier_id === b.tier_id && a.status === b.status && a.program_version === b.program_version;

/** Supersedes the stored runs from the first one that differs; returns the first changed day, if any. */
export async function writeHistory(trx: Trx, partnerId: string, programId: string, segments: readonly HistorySegment[]): Promise<string | undefined> {
  const wanted: HistoryRow[] = segments.map((s, i) => ({
    valid_from: formatDay(s.from),
    valid_to: i === segments.length - 1 ? null : formatDay(s.to + 1),
    tier_id: s.tierId,
    status: s.status,
    program_version: s.programVersion,
  }));
  const stored = await trx
    .selectFrom('effective_tier_history')
    .select(['id', 'valid_from', 'valid_to', 'tier_id', 'status', 'program_version'])
    .where('partner_id', '=', partnerId)
    .where('superseded_at', 'is', null)
    .orderBy('valid_from')
    .execute();
  let same = 0;
  while (same < wanted.length && same < stored.length && sameRow(wanted[same] as HistoryRow, stored[same] as HistoryRow)) same++;
  if (same === wanted.length && same === stored.length) return undefined;
  const replaced = stored.slice(same);
  if (replaced.length > 0) {
    await trx.updateTable('effective_tier_history').set({ superseded_at: sql`now()` }).where('id', 'in', replaced.map((r) => r.id)).execute();
  }
  const added = wanted.slice(same);
  if (added.length > 0) {
    await trx.insertInto('effective_tier_history').values(added.map((r) => ({ ...r, partner_id: partnerId, program_id: programId }))).execute();
  }
  return added[0]?.valid_from ?? replaced[0]?.valid_from;
}

/** Records tier changes not recorded before, each with what decided it. Returns how many. */
export async function writeDecisions(
  trx: Trx,
  partnerId: string,
  programId: string,
  changes: readonly TierChange[],
  explain: (change: TierChange) => DayExplanation,
  triggerEventIds: readonly string[],
): Promise<TierChange[]> {
  if (changes.length === 0) return [];
  const stored = await trx.selectFrom('decisions').select(['day', 'previous_tier', 'new_tier']).where('partner_id', '=', partnerId).execute();
  const seen = new Set(stored.map((d) => `${d.day}|${d.previous_tier}|${d.new_tier}`));
  const fresh = changes.filter((c) => !seen.has(`${formatDay(c.day)}|${c.from}|${c.to}`));
  if (fresh.length === 0) return [];
  await trx
    .insertInto('decisions')
    .values(
      fresh.map((c) => {
        const why = explain(c);
        return {
          partner_id: partnerId,
          day: formatDay(c.day),
          previous_tier: c.from,
          new_tier: c.to,
          qualified_tier: c.qualified,
          program_id: programId,
          program_version: why.programVersion,
          metrics: toJsonb(why.metrics),
          criteria: toJsonb({ kind: c.kind, track: why.track, tiers: why.tiers }),
          trigger_event_ids: [...triggerEventIds],
        };
      }),
    )
    .execute();
  return fresh;
}

export async function writeScorecard(trx: Trx, scorecard: Scorecard): Promise<void> {
  await trx
    .insertInto('scorecards')
    .values({ partner_id: scorecard.partnerId, as_of: scorecard.asOf, scorecard: toJsonb(scorecard) })
    .onConflict((oc) => oc.column('partner_id').doUpdateSet({ as_of: scorecard.asOf, scorecard: toJsonb(scorecard), computed_at: sql`now()` }))
    .execute();
}

function minorOf(amount: string, digits: number): bigint {
  const { num, den } = decimalToRatio(amount);
  return (num * 10n ** BigInt(digits)) / den;
}

const LEDGER_ROWS_PER_INSERT = 5_000;

/**
 * Appends what makes each (deal, benefit) total equal the evaluation: an accrual for a
 * first entry, an adjustment after. Computed as a difference under the partner's lock, so
 * running it twice appends nothing the second time.
 */
export async function writeLedger(trx: Trx, partnerId: string, lines: readonly LedgerLine[], currency: string, digits: number): Promise<number> {
  const stored = await trx
    .selectFrom('ledger_entries')
    .select(['deal_id', 'benefit', 'closed_at', sql<string>`sum(amount)::text`.as('total'), sql<string>`count(*)::text`.as('entries')])
    .where('partner_id', '=', partnerId)
    .groupBy(['deal_id', 'benefit', 'closed_at'])
    .execute();
  const have = new Map<string, { total: bigint; closedAt: string }>();
  for (const row of stored) {
    const key = `${row.deal_id}\u0000${row.benefit}`;
    const prior = have.get(key);
    have.set(key, { total: (prior?.total ?? 0n) + minorOf(row.total, digits), closedAt: row.closed_at });
  }
  const want = new Map<string, LedgerLine>();
  for (const line of lines) want.set(`${line.dealId}\u0000${line.benefit}`, line);
  const entries: Array<{ deal: string; benefit: Benefit; amount: bigint; kind: 'accrual' | 'adjustment'; closedAt: string; tier: string | null; rate: string }> = [];
  for (const [key, line] of want) {
    const prior = have.get(key);
    const delta = line.amountMinor - (prior?.total ?? 0n);
    if (delta === 0n && prior) continue;
    if (delta === 0n && line.amountMinor === 0n) continue;
    entries.push({ deal: line.dealId, benefit: line.benefit, amount: delta, kind: prior ? 'adjustment' : 'accrual', closedAt: formatDay(line.closedAt), tier: line.tierId, rate: line.rate });
  }
  for (const [key, prior] of have) {
    if (want.has(key) || prior.total === 0n) continue;
    const [deal, benefit] = key.split('\u0000') as [string, Benefit];
    entries.push({ deal, benefit, amount: -prior.total, kind: 'adjustment', closedAt: prior.closedAt, tier: null, rate: '0' });
  }
  if (entries.length === 0) return 0;
  // In slices: one statement may bind at most 65,535 parameters (9 per row), and a partner
  // with thousands of deals owes more rows than that on its first computation.
  for (let i = 0; i < entries.length; i += LEDGER_ROWS_PER_INSERT) {
    await trx
      .insertInto('ledger_entries')
      .values(entries.slice(i, i + LEDGER_ROWS_PER_INSERT).map((e) => ({ partner_id: partnerId, deal_id: e.deal, benefit: e.benefit, amount: formatMinor(e.amount, digits), currency, kind: e.kind, closed_at: e.closedAt, tier_id: e.tier, rate: e.rate })))
      .execute();
  }
  return entries.length;
}

/** Notification requests into the outbox, once per deduplication key; old ones as 'skipped'. */
export async function writeOutbox(trx: Trx, requests: readonly NotificationRequest[]): Promise<number> {
  if (requests.length === 0) return 0;
  const rows = await trx
    .insertInto('outbox')
    .values(requests.map((r) => ({ dedup_key: r.dedupKey, kind: r.kind, partner_id: r.partnerId, payload: toJsonb({ day: r.day, ...r.payload }), status: r.send ? ('pending' as const) : ('skipped' as const) })))
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .returning('id')
    .execute();
  return rows.length;
}
