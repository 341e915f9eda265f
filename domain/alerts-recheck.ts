// The re-check before sending (docs/notifications.md#settle-and-withdraw): a notification waited
// alerts.settleMinutes; is what it says still true of the partner's current stored state? A
// promotion or demotion undone by a correction, a grace run that no longer exists, a dated
// risk gone from the scorecard or a near-promotion no longer near is withdrawn with the
// reason, never sent. Pure: the state is an argument.
import { nearPromotion, type NotificationKind } from './alerts.ts';
import type { Scorecard } from './evaluation/scorecard.ts';

/** One current (not superseded) run of the effective-tier history, days as 'YYYY-MM-DD'. */
export interface StoredRun {
  from: string;
  /** Exclusive end; null = still in force. */
  to: string | null;
  tierId: string | null;
  status: string;
}

export interface PartnerState {
  /** The partner's current history runs, in day order. */
  history: readonly StoredRun[];
  /** The last stored scorecard. */
  scorecard: Scorecard;
}

/** What the outbox payload says the notification is about (written by domain/alerts.ts). */
export interface NotificationClaim {
  kind: NotificationKind | string;
  payload: {
    day?: unknown;
    from?: unknown;
    to?: unknown;
    reason?: unknown;
    on?: unknown;
    tier?: unknown;
    scorecard?: { effectiveTier?: unknown } | undefined;
  };
}

export type Recheck = { stands: true } | { stands: false; reason: string };

const STANDS: Recheck = { stands: true };
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const covers = (run: StoredRun, day: string): boolean => run.from <= day && (run.to === null || day < run.to);

/** The change from `from` to `to` on `day` is in the history: a run of `to` starts that day after a run of `from`. */
export function changeInHistory(history: readonly StoredRun[], day: string, from: string | null, to: string | null) {
  const starts = history.find((r) => r.from === day);
  if (!starts || starts.tierId !== to) return false;
  const before = history.find((r) => r.to === day);
  return (before?.tierId ?? null) === from;
}

function tierChange(kind: string, c: NotificationClaim, state: PartnerState): Recheck {
  const day = str(c.payload.day) ?? '';
  const from = str(c.payload.from);
  const to = str(c.payload.to);
  if (changeInHistory(state.history, day, from, to)) return STANDS;
  const what = kind === 'tier.promoted' ? 'promotion' : 'demotion';
  return {
    stands: false,
    reason: `the ${what} from ${from ?? 'no tier'} to ${to ?? 'no tier'} on ${day} is no longer in the effective-tier history`,
  };
}

/**
 * A grace at-risk stands while the partner is in a grace run of the same tier: the one that
 * began on the notified day, or the one it is in now (its start moved with a late event, but
 * for the partner it is the same grace).
 */
function grace(c: NotificationClaim, state: PartnerState, tier: string | null): Recheck {
  const day = str(c.payload.day) ?? '';
  const inRun = state.history.some((r) => r.status === 'grace' && r.tierId === tier && covers(r, day));
  const now = state.scorecard.status === 'grace' && state.scorecard.effectiveTier === tier;
  if (inRun || now) return STANDS;
  return { stands: false, reason: `the grace period of ${tier ?? 'no tier'} that began on ${day} no longer exists` };
}

function datedRisk(c: NotificationClaim, state: PartnerState, tier: string | null): Recheck {
  const reason = str(c.payload.reason);
  const on = str(c.payload.on);
  const s = state.scorecard;
  if (s.status === 'qualified' && s.effectiveTier === tier && s.risks.some((r) => r.kind === reason && r.on === on))
    return STANDS;
  return {
    stands: false,
    reason: `the risk (${reason ?? '?'}) to ${tier ?? 'no tier'} on ${on ?? '?'} is no longer in the scorecard`,
  };
}

function near(c: NotificationClaim, state: PartnerState, within: string): Recheck {
  const tier = str(c.payload.tier);
  const next = state.scorecard.next;
  if (next && next.tier === tier && nearPromotion(state.scorecard, within)) return STANDS;
  return { stands: false, reason: `no longer within ${within} of ${tier ?? 'the next tier'}` };
}

/** Whether a settled notification is still true; kinds without a re-check rule stand. */
export function recheckNotification(c: NotificationClaim, state: PartnerState, nearPromotionWithin: string): Recheck {
  const tier = str(c.payload.scorecard?.effectiveTier);
  switch (c.kind) {
    case 'tier.promoted':
    case 'tier.demoted':
      return tierChange(c.kind, c, state);
    case 'tier.at-risk':
      return c.payload.reason === 'grace' ? grace(c, state, tier) : datedRisk(c, state, tier);
    case 'tier.near-promotion':
      return near(c, state, nearPromotionWithin);
    default:
      return STANDS;
  }
}
