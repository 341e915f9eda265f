// One day of the effective-tier policy (docs/program.md#policy): promotions are
// immediate, demotions wait out a grace run, a hold after promotion, optionally a
// quarter start, and optionally a person's review (docs/program.md#demotion-review).
// Tiers are indexes into the day's track, entry tier = 0.
import { isQuarterStart, quarterStartOnOrAfter, type Day } from '../dates.ts';
import type { Policy } from '../program/schema.ts';

/** A demotion awaiting a person: opened on `since`, approves itself on `endsOn` (fixed on `since`). */
export interface PendingReview {
  since: Day;
  endsOn: Day;
}

export interface PolicyState {
  /** The effective tier. */
  e: number;
  /** First day of the current run of days with q < e. */
  runStart: Day | null;
  lastPromotion: Day | null;
  review: PendingReview | null;
  /**
   * A run started by a rejected review cannot become due on the rejection day itself (the day
   * ended in grace), so its first possible due day is the day after.
   */
  notBefore: Day | null;
}

export type StepKind = 'promoted' | 'demoted' | 'override' | null;

/** A review decision of the day, its `fromTier` as an index into the day's track. */
export interface DayDecision {
  fromTier: number;
  decision: 'approve' | 'reject';
}

export const initialPolicyState = (): PolicyState => ({
  e: 0,
  runStart: null,
  lastPromotion: null,
  review: null,
  notBefore: null,
});

/** Ends any grace run and pending review (an override, a restart at the entry tier). */
export function clearPending(state: PolicyState): void {
  state.runStart = null;
  state.review = null;
  state.notBefore = null;
}

/** The day a demotion becomes due by the grace run alone: S + N − 1 (N = 0 counts as 1). */
export function graceDue(runStart: Day, policy: Policy, notBefore: Day | null = null): Day {
  const due = runStart + Math.max(policy.demotionGraceDays, 1) - 1;
  return notBefore === null ? due : Math.max(due, notBefore);
}

function holdOver(state: PolicyState, day: Day, policy: Policy): boolean {
  return state.lastPromotion === null || day >= state.lastPromotion + policy.holdAfterPromotionDays;
}

/** The later of the day's decisions whose fromTier is `e` (SPEC §9.3). */
function decisionFor(decisions: readonly DayDecision[] | undefined, e: number): DayDecision['decision'] | undefined {
  if (decisions === undefined) return undefined;
  for (let i = decisions.length - 1; i >= 0; i--) {
    const d = decisions[i];
    if (d?.fromTier === e) return d.decision;
  }
  return undefined;
}

/**
 * A pending review on a day with q < e (SPEC §9.2, after the withdrawal check): an approval or
 * the auto-approval day lowers e to q, a rejection starts a new grace run on the day.
 */
function reviewStep(
  state: PolicyState,
  review: PendingReview,
  day: Day,
  q: number,
  decisions: readonly DayDecision[] | undefined,
): StepKind {
  const decision = decisionFor(decisions, state.e);
  if (decision === 'reject') {
    state.review = null;
    state.runStart = day;
    state.notBefore = day + 1;
    return null;
  }
  if (decision === 'approve' || day >= review.endsOn) {
    state.e = q;
    state.review = null;
    return 'demoted';
  }
  return null;
}

/** Advances `state` (mutated) to `day` whose qualified tier is `q`; returns what changed e. */
export function stepPolicy(
  state: PolicyState,
  day: Day,
  q: number,
  policy: Policy,
  override?: number,
  decisions?: readonly DayDecision[],
): StepKind {
  if (override !== undefined) {
    const changed = override !== state.e;
    state.e = override;
    clearPending(state);
    return changed ? 'override' : null;
  }
  if (state.review !== null) {
    // Requalifying withdraws the review; the ordinary rules below then see q ≥ e.
    if (q < state.e) return reviewStep(state, state.review, day, q, decisions);
    state.review = null;
  }
  if (q > state.e) {
    state.e = q;
    state.lastPromotion = day;
    state.runStart = null;
    state.notBefore = null;
    return 'promoted';
  }
  if (q === state.e) {
    state.runStart = null;
    state.notBefore = null;
    return null;
  }
  state.runStart ??= day;
  const due = day >= graceDue(state.runStart, policy, state.notBefore);
  const onQuarter = policy.demotionsOn === 'any-day' || isQuarterStart(day);
  if (due && holdOver(state, day, policy) && onQuarter) {
    state.runStart = null;
    state.notBefore = null;
    if (policy.demotionReview !== undefined) {
      // Day X of SPEC §9: a review instead of the demotion, decided from this day on.
      const review = { since: day, endsOn: day + policy.demotionReview.autoApproveAfterDays };
      state.review = review;
      return reviewStep(state, review, day, q, decisions);
    }
    state.e = q;
    return 'demoted';
  }
  return null;
}

export type PolicyStatus = 'qualified' | 'grace' | 'hold' | 'review' | 'override';

export function policyStatus(
  state: PolicyState,
  day: Day,
  q: number,
  policy: Policy,
  overridden: boolean,
): PolicyStatus {
  if (overridden) return 'override';
  if (state.review !== null) return 'review';
  if (q >= state.e) return 'qualified';
  return holdOver(state, day, policy) ? 'grace' : 'hold';
}

/**
 * When the pending demotion takes effect if q stays below e (rule 2; under review, the
 * auto-approval day); null when none is pending.
 */
export function graceEndsOn(state: PolicyState, policy: Policy): Day | null {
  if (state.review !== null) return state.review.endsOn;
  if (state.runStart === null) return null;
  let day = graceDue(state.runStart, policy, state.notBefore);
  if (state.lastPromotion !== null) day = Math.max(day, state.lastPromotion + policy.holdAfterPromotionDays);
  return policy.demotionsOn === 'quarter-start' ? quarterStartOnOrAfter(day) : day;
}
