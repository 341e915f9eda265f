// Which notifications a recompute asks for (docs/notifications.md): tier changes, entering grace, a dated
// risk of falling below the effective tier, and being close to the next tier. Each request
// carries a deterministic deduplication key; changes older than notifyChangesWithinDays are
// recorded but not sent (history being loaded), and terminated partners get nothing sent.
import { formatDay, type Day } from './dates.ts';
import { compare, ratio } from './evaluation/criteria.ts';
import type { HistorySegment, Scorecard } from './evaluation/scorecard.ts';
import type { TierChange } from './evaluation/timeline.ts';
import { decimalToRatio } from './money.ts';
import type { Program } from './program/schema.ts';

export type NotificationKind = 'tier.promoted' | 'tier.demoted' | 'tier.at-risk' | 'tier.near-promotion';

export interface NotificationRequest {
  kind: NotificationKind;
  dedupKey: string;
  partnerId: string;
  /** The business day the notification is about. */
  day: string;
  /** false: recorded only (too old, or the partner is terminated). */
  send: boolean;
  payload: Record<string, unknown>;
}

export interface AlertInput {
  partnerId: string;
  program: Program;
  today: Day;
  terminated: boolean;
  /** Tier changes found by this recompute (new ones, not recorded before). */
  changes: readonly TierChange[];
  scorecard: Scorecard;
  history: readonly HistorySegment[];
}

const key = (...parts: string[]): string => parts.map((p) => p.replaceAll('|', '%7C')).join('|');

/** Every unmet criterion of the next tier is within `within` (a fraction) of its requirement. */
export function nearPromotion(scorecard: Scorecard, within: string): boolean {
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

export function notificationRequests(input: AlertInput): NotificationRequest[] {
  const { partnerId, program, today, scorecard } = input;
  const recent = (day: Day): boolean => day >= today - program.alerts.notifyChangesWithinDays;
  const out: NotificationRequest[] = [];
  const push = (kind: NotificationKind, day: Day, dedup: string, payload: Record<string, unknown>): void => {
    out.push({
      kind,
      dedupKey: dedup,
      partnerId,
      day: formatDay(day),
      send: recent(day) && !input.terminated,
      payload: { ...payload, scorecard },
    });
  };
  for (const c of input.changes) {
    if (c.kind !== 'promoted' && c.kind !== 'demoted') continue;
    push(`tier.${c.kind}`, c.day, key(`tier.${c.kind}`, partnerId, formatDay(c.day), c.from ?? '', c.to ?? ''), {
      from: c.from,
      to: c.to,
      qualified: c.qualified,
    });
  }
  const last = input.history[input.history.length - 1];
  if (scorecard.status === 'grace' && last?.status === 'grace') {
    push(
      'tier.at-risk',
      last.from,
      key('tier.at-risk', 'grace', partnerId, formatDay(last.from), scorecard.effectiveTier ?? ''),
      { reason: 'grace', graceEndsOn: scorecard.graceEndsOn },
    );
  }
  if (scorecard.status === 'qualified') {
    // q = e today, so a dated fall of q is a fall below the effective tier.
    for (const risk of scorecard.risks) {
      push('tier.at-risk', today, key('tier.at-risk', risk.kind, partnerId, risk.on, scorecard.effectiveTier ?? ''), {
        reason: risk.kind,
        on: risk.on,
        detail: risk.detail,
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
  return out;
}
