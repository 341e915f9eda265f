// What the partner's own page shows (SPEC §12): the stored scorecard in words (tier names,
// status and its dates), progress toward the next tier per unmet criterion of the cheapest
// path, dated risks, benefits, ledger totals, and the effective tier at each month start of
// the last 24 months. Read-only; undefined when the partner has no scorecard yet.
import type { Kysely } from 'kysely';
import { heldCertifications, partnerRow, wonDealsPage } from '../../db/repositories/console.ts';
import { ledgerTotals, storedScorecard, tierHistory } from '../../db/repositories/reads.ts';
import type { DB } from '../../db/types.ts';
import { addMonths, formatDay, parseDay, periodStart, type Day } from '../../domain/dates.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { ProgramSet } from '../../domain/program/load.ts';

export interface TierInfo {
  id: string;
  name: string;
}

export interface Progress {
  metric: string;
  label: string;
  actual: string;
  required: string;
  shortBy: string;
  /** 0..100, whole percent (display only). */
  percent: number;
}

export interface MonthTier {
  month: string;
  tierId: string | null;
  /** Position in the track, 0 = entry tier; -1 = none. */
  rank: number;
}

export interface PartnerPage {
  partnerId: string;
  name: string;
  scorecard: Scorecard;
  tiers: TierInfo[];
  effective: TierInfo | null;
  qualified: TierInfo | null;
  next: TierInfo | null;
  progress: Progress[];
  ledger: Array<{ benefit: string; currency: string; total: string }>;
  history: MonthTier[];
}

function trackTiers(program: ProgramSet, trackId: string | null): TierInfo[] {
  for (const version of program.versions.toReversed()) {
    const track = version.program.tracks.find((t) => t.id === trackId);
    if (track) return track.tiers.map((t) => ({ id: t.id, name: t.name }));
  }
  return [];
}

function metricLabel(program: ProgramSet, metric: string): string {
  for (const version of program.versions.toReversed()) {
    const m = version.program.metrics[metric];
    if (m) return m.label ?? metric;
  }
  return metric;
}

/** actual / required as a whole percent in 0..100, from decimal strings (display only, never stored). */
export function percentOf(actual: string, required: string): number {
  const a = Number(actual);
  const r = Number(required);
  if (!Number.isFinite(a) || !Number.isFinite(r) || r <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((a / r) * 100)));
}

/** The tier in force on each of the 24 month starts up to `asOf`, from the current history rows. */
export function monthlyTiers(
  rows: ReadonlyArray<{ valid_from: string; valid_to: string | null; tier_id: string | null }>,
  tiers: readonly TierInfo[],
  asOf: Day,
): MonthTier[] {
  const out: MonthTier[] = [];
  const first = addMonths(periodStart(asOf, 'month'), -23);
  for (let i = 0; i < 24; i++) {
    const month = formatDay(addMonths(first, i));
    const row = rows.find((r) => r.valid_from <= month && (r.valid_to === null || month < r.valid_to));
    const tierId = row?.tier_id ?? null;
    out.push({ month: month.slice(0, 7), tierId, rank: tiers.findIndex((t) => t.id === tierId) });
  }
  return out;
}

/** `program`: the stored program (the caller's cache; SPEC §12 pages read it on every request). */
export async function partnerPage(
  db: Kysely<DB>,
  partnerId: string,
  program: ProgramSet | undefined,
): Promise<PartnerPage | undefined> {
  const scorecard = (await storedScorecard(db, partnerId)) as Scorecard | undefined;
  if (!scorecard) return undefined;
  const [partner, totals, rows] = await Promise.all([
    partnerRow(db, partnerId),
    ledgerTotals(db, partnerId),
    tierHistory(db, partnerId, { all: false }),
  ]);
  if (!program) return undefined;
  const tiers = trackTiers(program, scorecard.track);
  const find = (id: string | null | undefined): TierInfo | null =>
    id == null ? null : (tiers.find((t) => t.id === id) ?? { id, name: id });
  const asOf = parseDay(scorecard.asOf);
  return {
    partnerId,
    name: partner?.name ?? partnerId,
    scorecard,
    tiers,
    effective: find(scorecard.effectiveTier),
    qualified: find(scorecard.qualifiedTier),
    next: find(scorecard.next?.tier),
    progress: (scorecard.next?.unmet ?? []).map((u) => ({
      metric: u.metric,
      label: metricLabel(program, u.metric),
      actual: u.actual,
      required: u.required,
      shortBy: u.shortBy,
      percent: percentOf(u.actual, u.required),
    })),
    ledger: totals.map((t) => ({ benefit: t.benefit, currency: t.currency, total: t.total })),
    history: asOf === undefined ? [] : monthlyTiers(rows, tiers, asOf),
  };
}

export const COUNTED_PAGE = 20;

export function encodeDealCursor(cursor: { day: string; id: string }): string {
  return Buffer.from(JSON.stringify([cursor.day, cursor.id]), 'utf8').toString('base64url');
}

export function decodeDealCursor(value: unknown): { day: string; id: string } | undefined {
  if (typeof value !== 'string' || value.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      parseDay(parsed[0]) !== undefined &&
      typeof parsed[1] === 'string'
    )
      return { day: parsed[0], id: parsed[1] };
  } catch {
    // Not ours: the first page.
  }
  return undefined;
}

/**
 * What counted, as of the scorecard's day: the won deals closed in the 12 months up to it
 * (newest first, COUNTED_PAGE at a time, keyset by close day and deal id) and the
 * certifications held that day. Shown to explain the numbers; the engine stays the reference.
 */
export async function whatCounted(db: Kysely<DB>, partnerId: string, asOf: string, before: unknown) {
  const day = parseDay(asOf);
  if (day === undefined) return { deals: [], next: undefined, certifications: [] };
  const from = formatDay(addMonths(day, -12) + 1);
  const [deals, certifications] = await Promise.all([
    wonDealsPage(db, { partnerId, from, to: asOf, before: decodeDealCursor(before), limit: COUNTED_PAGE + 1 }),
    heldCertifications(db, partnerId, asOf, 200),
  ]);
  const shown = deals.slice(0, COUNTED_PAGE);
  const last = shown[shown.length - 1];
  const next =
    deals.length > COUNTED_PAGE && last
      ? encodeDealCursor({ day: last.closed_at ?? asOf, id: last.deal_id })
      : undefined;
  return { deals: shown, next, certifications, from };
}
