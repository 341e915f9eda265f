// Which notifications a recompute asks for (docs/notifications.md): tier changes, entering grace, a dated
// risk of falling below the effective tier, and being close to the next tier. Each request
// carries a deterministic deduplication key; changes older than notifyChangesWithinDays are
// recorded but not sent (history being loaded), and terminated partners get nothing sent.
import { dayOrThrow, formatDay, type Day } from './dates.ts';
import { compare, ratio } from './evaluation/criteria.ts';
import type { HistorySegment, Scorecard } from './evaluation/scorecard.ts';
import type { TierChange } from './evaluation/timeline.ts';
import { decimalToRatio } from './money.ts';
import type { Program } from './program/schema.ts';
import { withReviewRules } from './review-alerts.ts';

export type NotificationKind =
  'tier.promoted' | 'tier.demoted' | 'tier.at-risk' | 'tier.near-promotion' | 'tier.review-pending';

export interface NotificationRequest {
  kind: NotificationKind;
  dedupKey: string;
  partnerId: string;
  /** The business day the notification is about. */
  day: string;
  /** false: recorded only (too old, or the partner is terminated). */
  send: boolean;
  /** Why a request that is recorded only is not sent (the outbox row's skip_reason). */
  skipReason?: string;
  payload: Record<string, unknown>;
}

export interface AlertInput {
  partnerId: string;
  program: Program;
  today: Day;
  terminated: boolean;
  /** Tier changes found by this recompute (new ones, not recorded before). */
  changes: readonly TierChange[];
  /**
   * Every tier change of the evaluation: the recent ones (within notifyChangesWithinDays) are
   * asked for again, so a notification withdrawn while its change was undone comes back when
   * the change is restored (docs/notifications.md#decisions-and-keys). Default: `changes`.
   */
  current?: readonly TierChange[];
  scorecard: Scorecard;
  history: readonly HistorySegment[];
}

const key = (...parts: string[]): string => parts.map((p) => p.replaceAll('|', '%7C')).join('|');

/** Every unmet criterion of the next tier is within `within` (a fraction) of its requirement. */
export function nearPromotion(scorecard: Pick<Scorecard, 'next'>, within: string): boolean {
  const next = scorecard.next;
  if (!next || next.unmet.length === 0) return false;
  const limit = ratio(within);
  return next.unmet.every((u) => {
    const required = decimalToRatio(u.required);
    const short = decimalToRatio(u.shortBy);
    if (required.num === 0n) return compare(short, { num: 0n, den: 1n }) <= 0;
    return compare({ num: short.num * required.den, den: short.den * required.num }, limit) <= 0;
  });
}

/**
 * How many days after a promotion day a dated risk must wait for: a risk dated on or before
 * today + this is warned of at once, since the next day's recompute would be too late.
 */
export const AT_RISK_AFTER_PROMOTION_URGENT_DAYS = 1;

export interface AtRiskAfterPromotion {
  /** The tier the partner was promoted to today, or null when it was not promoted today. */
  promotedTo: string | null;
  /** The effective tier the dated risk threatens. */
  tier: string | null;
  today: Day;
  /** The day of the dated risk. */
  riskOn: Day;
}

/**
 * Whether a dated at-risk email may be asked for (docs/notifications.md#promotion-and-at-risk):
 * not on the day of a promotion to the same tier ("Congratulations" and "at risk" in the same
 * second contradict each other), unless the risk falls so soon that waiting would be too late.
 * Held back, it is not lost: its deduplication key does not name the day, so the next day's
 * recompute (the nightly run at the latest) asks for it if the risk still stands.
 */
export function atRiskAfterPromotion(c: AtRiskAfterPromotion): boolean {
  if (c.promotedTo === null || c.promotedTo !== c.tier) return true;
  return c.riskOn <= c.today + AT_RISK_AFTER_PROMOTION_URGENT_DAYS;
}

/** The tier the partner was promoted to today: by this recompute, or by an earlier one today. */
export function promotedToday(
  input: Pick<AlertInput, 'changes' | 'history' | 'today' | 'program' | 'scorecard'>,
): string | null {
  const { today, scorecard } = input;
  const change = input.changes.find((c) => c.kind === 'promoted' && c.day === today);
  if (change) return change.to;
  const last = input.history[input.history.length - 1];
  const before = input.history[input.history.length - 2];
  if (!last || !before || last.from !== today || last.tierId === null || last.tierId === before.tierId) return null;
  const tiers = input.program.tracks.find((t) => t.id === scorecard.track)?.tiers.map((t) => t.id) ?? [];
  const rank = (id: string | null): number => (id === null ? -1 : tiers.indexOf(id));
  return rank(last.tierId) > rank(before.tierId) ? last.tierId : null;
}

/**
 * The grace run the history ends in, named as the partner experiences it: the day the partner
 * took the tier (the start of its unbroken run at that tier) and which grace of that tenure it
 * is (1 = the first). A late event that moves the grace start keeps both, so the key, and the
 * email, stay the same (docs/notifications.md#decisions-and-keys).
 */
export function graceRun(history: readonly HistorySegment[]): { start: Day; tenure: Day; ordinal: number } {
  const lastIndex = history.length - 1;
  const last = history[lastIndex] as HistorySegment;
  let first = lastIndex;
  while (first > 0 && history[first - 1]?.tierId === last.tierId) first--;
  let ordinal = 0;
  let start = last.from;
  for (let i = first; i <= lastIndex; i++) {
    const s = history[i] as HistorySegment;
    if (s.status === 'grace' && (i === first || history[i - 1]?.status !== 'grace')) {
      ordinal++;
      start = s.from;
    }
  }
  return { start, tenure: (history[first] as HistorySegment).from, ordinal };
}

export function notificationRequests(input: AlertInput): NotificationRequest[] {
  const { partnerId, program, today, scorecard } = input;
  const recent = (day: Day): boolean => day >= today - program.alerts.notifyChangesWithinDays;
  const out: NotificationRequest[] = [];
  const push = (kind: NotificationKind, day: Day, dedup: string, payload: Record<string, unknown>): void => {
    const skipReason = input.terminated
      ? 'partner terminated'
      : recent(day)
        ? undefined
        : `change of ${formatDay(day)} is older than notifyChangesWithinDays (${program.alerts.notifyChangesWithinDays} days)`;
    out.push({
      kind,
      dedupKey: dedup,
      partnerId,
      day: formatDay(day),
      send: skipReason === undefined,
      ...(skipReason === undefined ? {} : { skipReason }),
      payload: { ...payload, scorecard },
    });
  };
  const asked = new Set(input.changes);
  for (const c of input.current ?? []) if (recent(c.day)) asked.add(c);
  const seen = new Set<string>();
  for (const c of asked) {
    if (c.kind !== 'promoted' && c.kind !== 'demoted') continue;
    const id = `${c.day}|${c.from}|${c.to}`;
    if (seen.has(id)) continue;
    seen.add(id);
    push(`tier.${c.kind}`, c.day, key(`tier.${c.kind}`, partnerId, formatDay(c.day), c.from ?? '', c.to ?? ''), {
      from: c.from,
      to: c.to,
      qualified: c.qualified,
    });
  }
  const last = input.history[input.history.length - 1];
  if (scorecard.status === 'grace' && last?.status === 'grace') {
    const run = graceRun(input.history);
    push(
      'tier.at-risk',
      run.start,
      key(
        'tier.at-risk',
        'grace',
        partnerId,
        scorecard.effectiveTier ?? '',
        formatDay(run.tenure),
        String(run.ordinal),
      ),
      { reason: 'grace', graceEndsOn: scorecard.graceEndsOn },
    );
  }
  if (scorecard.status === 'qualified') {
    // q = e today, so a dated fall of q is a fall below the effective tier.
    const promotedTo = promotedToday(input);
    for (const risk of scorecard.risks) {
      if (!atRiskAfterPromotion({ promotedTo, tier: scorecard.effectiveTier, today, riskOn: dayOrThrow(risk.on) }))
        continue;
      push('tier.at-risk', today, key('tier.at-risk', risk.kind, partnerId, risk.on, scorecard.effectiveTier ?? ''), {
        reason: risk.kind,
        on: risk.on,
        detail: risk.detail,
        risk,
      });
    }
  }
  if (scorecard.next && nearPromotion(scorecard, program.alerts.nearPromotionWithin)) {
    const month = formatDay(today).slice(0, 7);
    push('tier.near-promotion', today, key('tier.near-promotion', partnerId, scorecard.next.tier, month), {
      tier: scorecard.next.tier,
      unmet: scorecard.next.unmet,
    });
  }
  return withReviewRules(input, out);
}
