// A partner's state for the read commands: the stored scorecard, or one evaluated from the
// stored facts for a given day; the ledger with its totals; the decisions and the
// effective-tier history (superseded ones marked); the audit log. A partner id no event has
// named is refused, so a typo does not read as "nothing yet".
import type { Kysely } from 'kysely';
import { loadPartnerFacts } from './facts.ts';
import { auditEntries, latestAuditDetails } from '../db/repositories/audit.ts';
import {
  eventsByKey,
  keyedFactEvents,
  ledgerEntries,
  ledgerTotals,
  listDecisions,
  partnerNamed,
  storedScorecard,
  tierHistory,
} from '../db/repositories/reads.ts';
import { activeOverrides } from '../db/repositories/recompute.ts';
import { storedReviewDecisions } from '../db/repositories/review-decisions.ts';
import type { DB } from '../db/types.ts';
import { parseDay, type Day } from '../domain/dates.ts';
import { earliestAffectedDay, supersession, triggersOf, type Envelope } from '../domain/decision-trail.ts';
import { evaluatePartner, type Scorecard } from '../domain/evaluation/scorecard.ts';
import { Refusal } from './errors.ts';
import { loadProgramSet } from './programs.ts';

/** The scorecard stored by the last recompute, if any. */
export async function lastScorecard(db: Kysely<DB>, partnerId: string): Promise<Scorecard | undefined> {
  await knownPartner(db, partnerId);
  return (await storedScorecard(db, partnerId)) as Scorecard | undefined;
}

/**
 * The partner's scorecard as of the day the stored state stands for: the stored one, unless
 * the last nightly run was for a later day and left this partner alone (not due: its tiers,
 * status, risks and ledger hold, but its metric figures may have moved,
 * docs/architecture.md#the-nightly-run); then the stored facts evaluated for the run's day,
 * which is what a recompute for that day would store (SPEC §3.4: the nightly run and
 * `evaluate` give identical scorecards).
 */
export async function currentScorecard(db: Kysely<DB>, partnerId: string): Promise<Scorecard | undefined> {
  const stored = await lastScorecard(db, partnerId);
  if (!stored) return undefined;
  const runDay = await lastNightlyRunDay(db);
  const storedDay = parseDay(stored.asOf);
  if (runDay === undefined || storedDay === undefined || runDay <= storedDay) return stored;
  return scorecardOn(db, partnerId, runDay);
}

/** The as-of day of the last recorded nightly run (`recompute --all`), if any. */
export async function lastNightlyRunDay(db: Kysely<DB>): Promise<Day | undefined> {
  const details: unknown = await latestAuditDetails(db, 'nightly-run');
  const result: unknown = typeof details === 'string' ? JSON.parse(details) : details;
  if (typeof result !== 'object' || result === null || !('asOf' in result)) return undefined;
  return typeof result.asOf === 'string' ? parseDay(result.asOf) : undefined;
}

/** The stored facts evaluated for `day` (with the active overrides and review decisions); undefined for an unknown partner. */
export async function scorecardOn(db: Kysely<DB>, partnerId: string, day: Day): Promise<Scorecard | undefined> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  await knownPartner(db, partnerId);
  const facts = (await loadPartnerFacts(db, [partnerId], program.currency)).get(partnerId);
  if (!facts) return undefined;
  const overrides = await db.transaction().execute((trx) => activeOverrides(trx, [partnerId]));
  const reviews = await storedReviewDecisions(db, [partnerId]);
  return evaluatePartner(program, facts, day, overrides.get(partnerId) ?? [], reviews.get(partnerId) ?? []).scorecard;
}

export async function ledger(db: Kysely<DB>, partnerId: string) {
  await knownPartner(db, partnerId);
  const entries = await ledgerEntries(db, partnerId);
  const totals = await ledgerTotals(db, partnerId);
  return { entries, totals };
}

/** Refuses a partner id no event has named (a typo reads as "nothing" otherwise). */
export async function knownPartner(db: Kysely<DB>, partnerId: string): Promise<void> {
  if (!(await partnerNamed(db, partnerId)))
    throw new Refusal(`unknown partner ${JSON.stringify(partnerId)}: no event has named it`);
}

export interface DecisionView {
  id: string;
  partnerId: string;
  day: string;
  previousTier: string | null;
  newTier: string | null;
  qualifiedTier: string | null;
  program: { id: string | null; version: string | null };
  metrics: unknown;
  criteria: unknown;
  /** The triggers whose business dates could have changed the decision's day. */
  triggerEventIds: string[];
  /** Triggers left out: events dated only after the decision's day. */
  laterEventIds: string[];
  superseded: boolean;
  supersededAt: string | null;
  recordedAt: string;
}

const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : d);

/**
 * A partner's decisions: by default those still part of the current effective history; with
 * `all`, every one recorded, superseded ones marked (computed at read time against the
 * current history, so a correction that restores an earlier history restores its decisions).
 */
export async function decisionTrail(
  db: Kysely<DB>,
  partnerId: string,
  options: { all: boolean },
): Promise<DecisionView[]> {
  await knownPartner(db, partnerId);
  const rows = await listDecisions(db, partnerId);
  const current = (await tierHistory(db, partnerId, { all: false })).map((r) => ({
    validFrom: r.valid_from,
    validTo: r.valid_to,
    tierId: r.tier_id,
    recordedAt: iso(r.recorded_at),
  }));
  const affected = await affectedDays(db, partnerId, [...new Set(rows.flatMap((d) => d.trigger_event_ids))]);
  const views = rows.map((d): DecisionView => {
    const recordedAt = iso(d.created_at);
    const s = supersession({ day: d.day, previousTier: d.previous_tier, newTier: d.new_tier, recordedAt }, current);
    const triggers = triggersOf(d.day, d.trigger_event_ids, affected);
    return {
      id: d.id,
      partnerId: d.partner_id,
      day: d.day,
      previousTier: d.previous_tier,
      newTier: d.new_tier,
      qualifiedTier: d.qualified_tier,
      program: { id: d.program_id, version: d.program_version },
      metrics: d.metrics,
      criteria: d.criteria,
      triggerEventIds: triggers,
      laterEventIds: d.trigger_event_ids.filter((t) => !triggers.includes(t)),
      superseded: s.superseded,
      supersededAt: s.supersededAt,
      recordedAt,
    };
  });
  return options.all ? views : views.filter((v) => !v.superseded);
}

/** For each trigger that is a stored event, the earliest business day it could have changed. */
async function affectedDays(
  db: Kysely<DB>,
  partnerId: string,
  keys: readonly string[],
): Promise<Map<string, string | null>> {
  const events = await eventsByKey(db, partnerId, keys);
  const envelope = (payload: unknown, type: string): Envelope => ({
    type,
    data: ((payload as { data?: Record<string, unknown> }).data ?? {}) as Record<string, unknown>,
  });
  const envelopes = events.map((e) => ({ key: e.key, envelope: envelope(e.payload, e.type) }));
  const idsOf = (type: string, field: string): string[] =>
    envelopes.filter((e) => e.envelope.type === type).map((e) => String(e.envelope.data[field]));
  const related = (
    await keyedFactEvents(db, partnerId, {
      dealIds: idsOf('deal.upserted', 'dealId'),
      invoiceIds: idsOf('invoice.booked', 'invoiceId'),
    })
  ).map((r) => envelope(r.payload, r.type));
  return new Map(envelopes.map((e) => [e.key, earliestAffectedDay(e.envelope, related)]));
}

export interface HistoryView {
  id: string;
  validFrom: string;
  /** Exclusive; null = still in force. */
  validTo: string | null;
  tier: string | null;
  status: string;
  program: { id: string | null; version: string | null };
  recordedAt: string;
  superseded: boolean;
  supersededAt: string | null;
}

/** The effective-tier history: the current rows, or with `all` every row, superseded ones marked. */
export async function effectiveHistory(
  db: Kysely<DB>,
  partnerId: string,
  options: { all: boolean },
): Promise<HistoryView[]> {
  await knownPartner(db, partnerId);
  const rows = await tierHistory(db, partnerId, options);
  return rows.map((r) => ({
    id: r.id,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    tier: r.tier_id,
    status: r.status,
    program: { id: r.program_id, version: r.program_version },
    recordedAt: iso(r.recorded_at),
    superseded: r.superseded_at !== null,
    supersededAt: r.superseded_at === null ? null : iso(r.superseded_at),
  }));
}

export interface AuditView {
  id: string;
  at: string;
  actor: string;
  action: string;
  partnerId: string | null;
  details: unknown;
}

/** The audit log, newest first. */
export async function auditLog(
  db: Kysely<DB>,
  options: { partnerId?: string | undefined; limit: number },
): Promise<AuditView[]> {
  const rows = await auditEntries(db, options);
  return rows.map((r) => ({
    id: r.id,
    at: iso(r.at),
    actor: r.actor,
    action: r.action,
    partnerId: r.partner_id,
    details: r.details,
  }));
}
