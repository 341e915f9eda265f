// Writing a batch's evaluations, in the batch's transaction: the domain decides what to
// write (history diff, new decisions, ledger delta), this maps it to rows, and each table
// gets one set-based statement for the whole batch.
import type { Kysely } from 'kysely';
import { toJsonb } from '../../db/json.ts';
import {
  currentHistory,
  insertDecisions,
  insertHistory,
  insertLedgerEntries,
  ledgerSums,
  recordedDecisions,
  supersedeHistory,
  upsertScorecards,
} from '../../db/repositories/recompute.ts';
import { insertOutbox } from '../../db/repositories/outbox.ts';
import type { DB } from '../../db/types.ts';
import type { NotificationRequest } from '../../domain/alerts.ts';
import { digestDayFor } from '../../domain/digest.ts';
import { formatDay, MAX_DAY_STRING, type Day } from '../../domain/dates.ts';
import { unrecordedChanges } from '../../domain/evaluation/decisions-diff.ts';
import type { DayExplanation } from '../../domain/evaluation/explain.ts';
import { diffHistory, historyRuns, type HistoryRun } from '../../domain/evaluation/history-diff.ts';
import type { LedgerLine } from '../../domain/evaluation/ledger.ts';
import { ledgerDelta, storedTotals } from '../../domain/evaluation/ledger-delta.ts';
import type { HistorySegment, PendingReviewInfo, Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { TierChange } from '../../domain/evaluation/timeline.ts';
import { formatMinor } from '../../domain/money.ts';

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

type StoredRunRow = Awaited<ReturnType<typeof currentHistory>>[number];

/**
 * Supersedes each partner's stored runs from the first one that differs, and appends the new
 * ones. `read`: the current runs of these partners, when the caller has read them already.
 */
export async function writeHistories(
  trx: Kysely<DB>,
  programId: string,
  partners: readonly PartnerHistory[],
  read?: readonly StoredRunRow[],
) {
  if (partners.length === 0) return;
  const stored = groupBy(
    (
      read ??
      (await currentHistory(
        trx,
        partners.map((p) => p.partnerId),
      ))
    ).map((r) => ({
      id: r.id,
      partnerId: r.partner_id,
      validFrom: r.valid_from,
      validTo: r.valid_to,
      tierId: r.tier_id,
      status: r.status,
      programVersion: r.program_version,
    })),
    (r) => r.partnerId,
  );
  const superseded: string[] = [];
  const added: Array<HistoryRun & { partnerId: string }> = [];
  for (const { partnerId, segments } of partners) {
    const diff = diffHistory(stored.get(partnerId) ?? [], historyRuns(segments));
    for (const r of diff.superseded) superseded.push(r.id);
    for (const r of diff.added) added.push({ ...r, partnerId });
  }
  await supersedeHistory(trx, superseded);
  await insertHistory(
    trx,
    added.map((r) => ({
      valid_from: r.validFrom,
      valid_to: r.validTo,
      tier_id: r.tierId,
      status: r.status,
      program_version: r.programVersion,
      partner_id: r.partnerId,
      program_id: programId,
    })),
  );
}

export interface PartnerChanges {
  partnerId: string;
  changes: readonly TierChange[];
  explain: (change: TierChange) => DayExplanation;
  triggerEventIds: readonly string[];
}

/** Records tier changes not recorded before, each with what decided it. Returns the new ones per partner. */
export async function writeDecisions(
  trx: Kysely<DB>,
  programId: string,
  partners: readonly PartnerChanges[],
): Promise<Map<string, TierChange[]>> {
  const fresh = new Map<string, TierChange[]>();
  const changed = partners.filter((p) => p.changes.length > 0);
  if (changed.length === 0) return fresh;
  const recorded = groupBy(
    (
      await recordedDecisions(
        trx,
        changed.map((p) => p.partnerId),
      )
    ).map((d) => ({ partnerId: d.partner_id, day: d.day, previousTier: d.previous_tier, newTier: d.new_tier })),
    (d) => d.partnerId,
  );
  const rows = [];
  for (const p of changed) {
    const mine = unrecordedChanges(p.changes, recorded.get(p.partnerId) ?? []);
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
  await insertDecisions(trx, rows);
  return fresh;
}

/**
 * Upserts the scorecards with each one's next-change day (domain/evaluation/next-change.ts):
 * null there (no later day changes anything) is stored as MAX_DAY_STRING; a partner missing
 * from `nextChangeDays` gets null (not known: the nightly run recomputes it). `reviews`: each
 * one's pending demotion review (stored for the reviews page; missing or null: none).
 */
export async function writeScorecards(
  trx: Kysely<DB>,
  scorecards: readonly Scorecard[],
  nextChangeDays: ReadonlyMap<string, Day | null> = new Map(),
  reviews: ReadonlyMap<string, PendingReviewInfo | null> = new Map(),
): Promise<void> {
  const reviewOf = (id: string): string | null => {
    const review = reviews.get(id);
    return review
      ? toJsonb({
          fromTier: review.fromTier,
          toTier: review.toTier,
          since: formatDay(review.since),
          autoApprovesOn: formatDay(review.autoApprovesOn),
        })
      : null;
  };
  const nextOf = (id: string): string | null => {
    if (!nextChangeDays.has(id)) return null;
    const day = nextChangeDays.get(id);
    return day === undefined || day === null ? MAX_DAY_STRING : formatDay(day);
  };
  await upsertScorecards(
    trx,
    scorecards.map((s) => ({
      partner_id: s.partnerId,
      as_of: s.asOf,
      scorecard: toJsonb(s),
      next_change_day: nextOf(s.partnerId),
      review: reviewOf(s.partnerId),
    })),
  );
}

export interface PartnerLedger {
  partnerId: string;
  lines: readonly LedgerLine[];
  /** The lines are those of deals closed from this day on (a resumed evaluation); null: all. */
  from?: string | null;
}

/**
 * Appends what makes each (deal, benefit) total equal the evaluation (ledgerDelta), under
 * the partners' locks. Returns the entries written per partner.
 */
export async function writeLedgers(
  trx: Kysely<DB>,
  partners: readonly PartnerLedger[],
  currency: string,
  digits: number,
): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  if (partners.length === 0) return written;
  const sums = groupBy(
    (
      await ledgerSums(
        trx,
        partners.map((p) => ({ partnerId: p.partnerId, from: p.from ?? null })),
      )
    ).map((r) => ({
      partnerId: r.partner_id,
      dealId: r.deal_id,
      benefit: r.benefit,
      closedAt: r.closed_at,
      total: r.total,
    })),
    (r) => r.partnerId,
  );
  const rows = [];
  for (const p of partners) {
    const have = storedTotals(sums.get(p.partnerId) ?? [], digits);
    const mine = ledgerDelta(p.lines, have);
    if (mine.length > 0) written.set(p.partnerId, mine.length);
    for (const e of mine)
      rows.push({
        partner_id: p.partnerId,
        deal_id: e.dealId,
        benefit: e.benefit,
        amount: formatMinor(e.amountMinor, digits),
        currency,
        kind: e.kind,
        closed_at: e.closedAt,
        tier_id: e.tierId,
        rate: e.rate,
      });
  }
  await insertLedgerEntries(trx, rows);
  return written;
}

/**
 * Notification requests into the outbox, once per deduplication key; old ones as 'skipped'.
 * A partner's row to be sent is stamped with `today`, the day whose digest it belongs to
 * under `alerts.digest: "daily"`.
 * Returns, per partner, how many new rows will be sent and how many were recorded as skipped.
 */
export async function writeOutbox(trx: Kysely<DB>, requests: readonly NotificationRequest[], today: Day) {
  const written = new Map<string, { sendable: number; skipped: number }>();
  const inserted = await insertOutbox(
    trx,
    requests.map((r) => ({
      dedup_key: r.dedupKey,
      kind: r.kind,
      partner_id: r.partnerId,
      payload: toJsonb({ day: r.day, ...r.payload }),
      status: r.send ? ('pending' as const) : ('skipped' as const),
      skip_reason: r.send ? null : (r.skipReason ?? null),
      digest_day: digestDayFor(r.kind, r.send, formatDay(today)),
    })),
  );
  for (const row of inserted) {
    const counts = written.get(row.partner_id) ?? { sendable: 0, skipped: 0 };
    if (row.status === 'skipped') counts.skipped++;
    else counts.sendable++;
    written.set(row.partner_id, counts);
  }
  return written;
}
