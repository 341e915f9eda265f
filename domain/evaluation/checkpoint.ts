// Incremental evaluation (docs/architecture.md#incremental-recompute): which checkpoints are
// kept, which facts a walk resumed on a day needs, and a checkpoint as plain JSON.
import { periodStart, type Day } from '../dates.ts';
import { parsePeriod, subtractPeriod } from '../period.ts';
import type { ProgramSet } from '../program/load.ts';
import type { Metric } from '../program/schema.ts';
import type { PendingReview } from './policy.ts';
import type { HistorySegment, TimelineCheckpoint } from './scorecard.ts';

export const isMonthEnd = (day: Day): boolean => periodStart(day + 1, 'month') === day + 1;

/**
 * How far back month-end checkpoints are kept: a late fact older than that makes the partner's
 * next recompute whole (rare), and a partner keeps a handful of checkpoints, not one per month of
 * its history (a first run over 100,000 partners writes ~5 each).
 */
export const MONTH_ENDS_KEPT_DAYS = 92;

/**
 * The days a recompute as of `asOf` takes checkpoints on: the month ends of the last
 * MONTH_ENDS_KEPT_DAYS, and the day before and the as-of day itself, so a fact of today
 * resumes one day back and so does the next day's run.
 */
export const checkpointDays =
  (asOf: Day) =>
  (day: Day): boolean =>
    day >= asOf - 1 || (day >= asOf - MONTH_ENDS_KEPT_DAYS && isMonthEnd(day));

/**
 * The earliest day whose facts can still count on some day from `from` to `asOf`, per kind of
 * dated fact; null when every fact counts (a metric without a window). Certifications always
 * count whole ('active' windows end by expiry, revocation or departure), so they are not
 * limited. A fact older than its bound only contributes on days before `from`.
 */
export interface FactWindows {
  /** closed_won deals by closedAt. */
  closed: Day | null;
  /** deals by registeredAt. */
  registered: Day | null;
  /** invoices by bookedAt, credits by creditedAt (with the invoices they credit). */
  invoices: Day | null;
}

function earliestCounted(metric: Metric, from: Day): Day | null {
  const window = metric.window;
  if (window === undefined) return null;
  if (window === 'active') return from;
  if ('calendar' in window) return periodStart(from, window.calendar);
  const period = parsePeriod(window.trailing);
  // The window on D is (D − P, D]; D − P is non-decreasing in D, so `from` bounds every later day.
  return period ? subtractPeriod(from, period) + 1 : null;
}

export function factWindows(set: ProgramSet, from: Day, asOf: Day): FactWindows {
  const out: FactWindows = { closed: from, registered: from, invoices: from };
  const lower = (key: keyof FactWindows, day: Day | null): void => {
    const current = out[key];
    out[key] = current === null || day === null ? null : Math.min(current, day);
  };
  set.versions.forEach(({ program, effectiveFrom }, i) => {
    const until = set.versions[i + 1]?.effectiveFrom;
    if (effectiveFrom > asOf || (until !== undefined && until <= from)) return;
    for (const metric of Object.values(program.metrics)) {
      const day = earliestCounted(metric, from);
      if (metric.from === 'deals') lower('closed', day);
      else if (metric.from === 'registrations') lower('registered', day);
      else if (metric.from === 'invoices') lower('invoices', day);
    }
  });
  return out;
}

/** A checkpoint as stored (jsonb): days as numbers, money as decimal strings of minor units. */
export interface StoredCheckpoint {
  day: Day;
  start: Day;
  versionIndex: number;
  hasTier: boolean;
  state: {
    e: number;
    runStart: Day | null;
    lastPromotion: Day | null;
    review: PendingReview | null;
    notBefore: Day | null;
  };
  run: HistorySegment;
  ledger: { commission: string; mdf: string; rebate: string };
}

export function storeCheckpoint(c: TimelineCheckpoint): StoredCheckpoint {
  const { e, runStart, lastPromotion, review, notBefore } = c.state;
  return {
    day: c.day,
    start: c.start,
    versionIndex: c.versionIndex,
    hasTier: c.hasTier,
    state: { e, runStart, lastPromotion, review: review && { since: review.since, endsOn: review.endsOn }, notBefore },
    run: { ...c.run },
    ledger: { commission: String(c.ledger.commission), mdf: String(c.ledger.mdf), rebate: String(c.ledger.rebate) },
  };
}

export function loadCheckpoint(s: StoredCheckpoint): TimelineCheckpoint {
  return {
    day: s.day,
    start: s.start,
    versionIndex: s.versionIndex,
    hasTier: s.hasTier,
    state: { ...s.state, review: s.state.review && { ...s.state.review } },
    run: { ...s.run },
    ledger: { commission: BigInt(s.ledger.commission), mdf: BigInt(s.ledger.mdf), rebate: BigInt(s.ledger.rebate) },
  };
}
