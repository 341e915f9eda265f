// Reading the decisions after corrections (docs/cli.md#decisions): a decision is part of the
// current effective history when the current (not superseded) history rows still change
// from its previous tier to its new tier on its day; a late event that rewrote the history
// leaves the old decision in the trail, superseded. A decision's triggers are the events
// whose arrival asked for the recompute that made it; only those whose business dates could
// have changed its day (on or before it) explain it.
import { dayOrThrow, formatDay } from './dates.ts';

/** A current effective-tier history row (exclusive end; null = still in force). */
export interface CurrentRow {
  validFrom: string;
  validTo: string | null;
  tierId: string | null;
  /** ISO timestamp. */
  recordedAt: string;
}

export interface DecisionChange {
  day: string;
  previousTier: string | null;
  newTier: string | null;
  /** ISO timestamp. */
  recordedAt: string;
}

export interface Supersession {
  superseded: boolean;
  /** When the history that replaced it was recorded (ISO), when known. */
  supersededAt: string | null;
}

const dayBefore = (day: string): string => formatDay(dayOrThrow(day) - 1);

const covering = (rows: readonly CurrentRow[], day: string): CurrentRow | undefined =>
  rows.find((r) => r.validFrom <= day && (r.validTo === null || day < r.validTo));

export function supersession(decision: DecisionChange, current: readonly CurrentRow[]): Supersession {
  const before = covering(current, dayBefore(decision.day));
  const on = covering(current, decision.day);
  const holds = (on?.tierId ?? null) === decision.newTier && (before?.tierId ?? null) === decision.previousTier;
  if (holds) return { superseded: false, supersededAt: null };
  const later = [before, on]
    .filter((r): r is CurrentRow => r !== undefined && r.recordedAt > decision.recordedAt)
    .map((r) => r.recordedAt)
    .sort();
  return { superseded: true, supersededAt: later[0] ?? null };
}

/** An event envelope as the inbox stores it. */
export interface Envelope {
  type: string;
  data: Record<string, unknown>;
}

const dates = (data: Record<string, unknown>, ...fields: string[]): string[] =>
  fields.map((f) => data[f]).filter((v): v is string => typeof v === 'string');

const relatedKey = (e: Envelope): string | undefined =>
  e.type === 'deal.upserted'
    ? `deal:${String(e.data['dealId'])}`
    : e.type === 'invoice.booked' || e.type === 'invoice.credited'
      ? `invoice:${String(e.data['invoiceId'])}`
      : undefined;

/**
 * The earliest business day an event could have changed: its own dates, and for a deal or
 * an invoice those of every version (a deal moved to a later day changes the day it left)
 * and an invoice's credits (they take its `recurring`). null: any day (a partner profile).
 */
export function earliestAffectedDay(event: Envelope, related: readonly Envelope[]): string | null {
  const own = (e: Envelope): string[] => {
    switch (e.type) {
      case 'deal.upserted':
        return dates(e.data, 'closedAt', 'registeredAt');
      case 'certification.earned':
        return dates(e.data, 'earnedAt');
      case 'certification.revoked':
        return dates(e.data, 'revokedAt');
      case 'person.departed':
        return dates(e.data, 'departedAt');
      case 'invoice.booked':
        return dates(e.data, 'bookedAt');
      case 'invoice.credited':
        return dates(e.data, 'creditedAt');
      default:
        return [];
    }
  };
  // A credit is about its own day; a deal or a booking about every version's.
  const mine = event.type === 'invoice.credited' ? undefined : relatedKey(event);
  const days = [...own(event), ...related.filter((r) => mine !== undefined && relatedKey(r) === mine).flatMap(own)];
  if (event.type === 'partner.upserted' || days.length === 0) return null;
  return days.sort()[0] ?? null;
}

/**
 * The triggers that could explain a decision of `day`: events dated on or before it, events
 * with no business date, and triggers that are not events (overrides, program loads).
 */
export function triggersOf(
  day: string,
  triggerIds: readonly string[],
  affected: ReadonlyMap<string, string | null>,
): string[] {
  return triggerIds.filter((id) => {
    if (!affected.has(id)) return true;
    const earliest = affected.get(id) ?? null;
    return earliest === null || earliest <= day;
  });
}
