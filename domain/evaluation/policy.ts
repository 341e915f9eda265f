// One day of the effective-tier policy (docs/program.md#policy): promotions are
// immediate, demotions wait out a grace run, a hold after promotion, and optionally a
// quarter start. Tiers are indexes into the day's track, entry tier = 0.
import { isQuarterStart, quarterStartOnOrAfter, type Day } from '../dates.ts';
import type { Policy } from '../program/schema.ts';

export interface PolicyState {
  /** The effective tier. */
  e: number;
  /** First day of the current run of days with q < e. */
  runStart: Day | null;
  lastPromotion: Day | null;
}

export type StepKind = 'promoted' | 'demoted' | 'override' | null;

export const initialPolicyState = (): PolicyState => ({ e: 0, runStart: null, lastPromotion: null });

/** The day a demotion becomes due by the grace run alone: S + N − 1 (N = 0 counts as 1). */
export function graceDue(runStart: Day, policy: Policy): Day {
  return runStart + Math.max(policy.demotionGraceDays, 1) - 1;
}

function holdOver(state: PolicyState, day: Day, policy: Policy): boolean {
  return state.lastPromotion === null || day >= state.lastPromotion + policy.holdAfterPromotionDays;
}

/** Advances `state` (mutated) to `day` whose qualified tier is `q`; returns what changed e. */
export function stepPolicy(state: PolicyState, day: Day, q: number, policy: Policy, override?: number): StepKind {
  if (override !== undefined) {
    const changed = override !== state.e;
    state.e = override;
    state.runStart = null;
    return changed ? 'override' : null;
  }
  if (q > state.e) {
    state.e = q;
    state.lastPromotion = day;
    state.runStart = null;
    return 'promoted';
  }
  if (q === state.e) {
    state.runStart = null;
    return null;
  }
  state.runStart ??= day;
  const due = day >= graceDue(state.runStart, policy);
  const onQuarter = policy.demotionsOn === 'any-day' || isQuarterStart(day);
  if (due && holdOver(state, day, policy) && onQuarter) {
    state.e = q;
    state.runStart = null;
    return 'demoted';
  }
  return null;
}

export type PolicyStatus = 'qualified' | 'grace' | 'hold' | 'override';

export function policyStatus(
  state: PolicyState,
  day: Day,
  q: number,
  policy: Policy,
  overridden: boolean,
): PolicyStatus {
  if (overridden) return 'override';
  if (q >= state.e) return 'qualified';
  return holdOver(state, day, policy) ? 'grace' : 'hold';
}

/** When the pending demotion takes effect if q stays below e (rule 2); null when none is pending. */
export function graceEndsOn(state: PolicyState, policy: Policy): Day | null {
  if (state.runStart === null) return null;
  let day = graceDue(state.runStart, policy);
  if (state.lastPromotion !== null) day = Math.max(day, state.lastPromotion + policy.holdAfterPromotionDays);
  return policy.demotionsOn === 'quarter-start' ? quarterStartOnOrAfter(day) : day;
}
