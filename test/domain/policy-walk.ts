// The day-by-day policy walk both policy test files drive: one q per day in, one row per day out.
import type { Day } from '../../domain/dates.ts';
import {
  graceEndsOn,
  initialPolicyState,
  policyStatus,
  stepPolicy,
  type DayDecision,
  type StepKind,
} from '../../domain/evaluation/policy.ts';
import type { Policy } from '../../domain/program/schema.ts';
import { day, str } from './fixtures.ts';

export interface Row {
  day: string;
  q: number;
  e: number;
  kind: StepKind;
  status: string;
  graceEndsOn: string | null;
}

/** [q, count] runs → one q per day. */
export const seq = (...runs: Array<[number, number]>): number[] => runs.flatMap(([q, n]) => Array<number>(n).fill(q));

export const es = (rows: Row[]): number[] => rows.map((r) => r.e);

export interface WalkOptions {
  start?: string;
  /** Day index → overriding tier. */
  overrides?: Record<number, number>;
  /** Day index → review decisions dated that day. */
  decisions?: Record<number, DayDecision[]>;
}

export function walkPolicy(qs: readonly number[], policy: Policy, options: WalkOptions = {}): Row[] {
  const { start = '2026-01-05', overrides = {}, decisions = {} } = options;
  const state = initialPolicyState();
  const first = day(start);
  return qs.map((q, i) => {
    const d: Day = first + i;
    const override = overrides[i];
    const kind = stepPolicy(state, d, q, policy, override, decisions[i]);
    const status = policyStatus(state, d, q, policy, override !== undefined);
    const ends = status === 'grace' || status === 'hold' || status === 'review' ? graceEndsOn(state, policy) : null;
    return { day: str(d), q, e: state.e, kind, status, graceEndsOn: ends === null ? null : str(ends) };
  });
}
