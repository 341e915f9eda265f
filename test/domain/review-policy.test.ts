// domain/evaluation/policy.ts with policy.demotionReview (SPEC §9): synthetic sequences of
// qualified tiers, one per day, and review decisions on chosen days. Every expectation is
// worked out by hand from §3, §3a and §9.
import { describe, expect, it } from 'vitest';
import type { DayDecision } from '../../domain/evaluation/policy.ts';
import type { Policy } from '../../domain/program/schema.ts';
import { day, str } from './fixtures.ts';
import { es, seq, walkPolicy, type Row } from './policy-walk.ts';

const policyOf = (p: Partial<Policy>): Policy => ({
  demotionGraceDays: 3,
  holdAfterPromotionDays: 0,
  demotionsOn: 'any-day',
  demotionReview: { autoApproveAfterDays: 5 },
  ...p,
});

const approve = (fromTier: number): DayDecision => ({ fromTier, decision: 'approve' });
const reject = (fromTier: number): DayDecision => ({ fromTier, decision: 'reject' });

function walk(
  qs: readonly number[],
  p: Partial<Policy> = {},
  decisions: Record<number, DayDecision[]> = {},
  overrides: Record<number, number> = {},
  start = '2026-01-05',
): Row[] {
  return walkPolicy(qs, policyOf(p), { start, overrides, decisions });
}

const statuses = (rows: Row[]): string[] => rows.map((r) => r.status);
const dayN = (n: number): string => str(day('2026-01-05') + n);

// The base case of every row below: e = 2 on day 0, q = 1 from day 1, grace 3 → the run
// S = day 1 would demote on day 3 (= X), so the review opens on day 3 and auto-approves on day 8.
const DROP = seq([2, 1], [1, 14]);

describe('§9.1: on X the demotion does not happen', () => {
  it('e(X) = e(X−1), status review, graceEndsOn = X + autoApproveAfterDays', () => {
    const rows = walk(DROP);
    expect(statuses(rows.slice(0, 4))).toEqual(['qualified', 'grace', 'grace', 'review']);
    expect(rows[3]?.e).toBe(2);
    expect(rows[3]?.kind).toBeNull();
    expect(rows[3]?.graceEndsOn).toBe(dayN(8));
    // before X, graceEndsOn is the day §3 would demote (= X)
    expect(rows[1]?.graceEndsOn).toBe(dayN(3));
    expect(rows.slice(3, 8).every((r) => r.status === 'review' && r.graceEndsOn === dayN(8))).toBe(true);
  });
});

describe('§9.2: while the review is pending, in order', () => {
  it('auto-approval: e(D) = q(D) exactly on X + N, not a day earlier', () => {
    const rows = walk(DROP);
    expect(es(rows)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(rows[7]?.status).toBe('review');
    expect(rows[8]?.kind).toBe('demoted');
    expect(rows[8]?.status).toBe('qualified');
    expect(rows[8]?.graceEndsOn).toBeNull();
    expect(rows.filter((r) => r.kind === 'demoted')).toHaveLength(1);
  });

  it.each([1, 2, 5, 30])('autoApproveAfterDays = %i: the demotion happens on X + N', (n) => {
    const rows = walk(seq([2, 1], [1, 40]), { demotionReview: { autoApproveAfterDays: n } });
    const demoted = rows.filter((r) => r.kind === 'demoted').map((r) => r.day);
    expect(demoted).toEqual([dayN(3 + n)]);
    expect(rows[3]?.graceEndsOn).toBe(dayN(3 + n));
  });

  it('auto-approval lowers e to that day’s q (possibly further down than at X)', () => {
    const rows = walk(seq([2, 1], [1, 5], [0, 5]));
    expect(rows[8]?.e).toBe(0);
    expect(rows[8]?.kind).toBe('demoted');
  });

  it('q(D) ≥ e(D−1) withdraws the review: status qualified, no run in progress', () => {
    const rows = walk(seq([2, 1], [1, 4], [2, 1], [1, 9]));
    // day 5 back at 2: withdrawn; day 6 a new run, due day 8 → a new review X = 8, auto on 13
    expect(rows[5]?.status).toBe('qualified');
    expect(rows[5]?.graceEndsOn).toBeNull();
    expect(rows[6]?.status).toBe('grace');
    expect(rows[6]?.graceEndsOn).toBe(dayN(8));
    expect(rows[8]?.status).toBe('review');
    expect(rows[8]?.graceEndsOn).toBe(dayN(13));
    expect(es(rows).slice(0, 13)).toEqual(Array<number>(13).fill(2));
    expect(rows[13]?.e).toBe(1);
  });

  it('q(D) above e(D−1) withdraws and promotes on the same day', () => {
    const rows = walk(seq([2, 1], [1, 4], [3, 3]));
    expect(rows[5]?.kind).toBe('promoted');
    expect(rows[5]?.e).toBe(3);
    expect(rows[5]?.status).toBe('qualified');
  });

  it('withdrawal comes first: an approval dated a day q is back at e has no effect', () => {
    const rows = walk(seq([2, 1], [1, 4], [2, 5]), {}, { 5: [approve(2)] });
    expect(rows[5]?.e).toBe(2);
    expect(rows[5]?.status).toBe('qualified');
    expect(rows.every((r) => r.kind !== 'demoted')).toBe(true);
  });

  it('an approval dated D (fromTier = e(D−1)) makes e(D) = q(D), a demotion', () => {
    const rows = walk(DROP, {}, { 5: [approve(2)] });
    expect(es(rows).slice(0, 7)).toEqual([2, 2, 2, 2, 2, 1, 1]);
    expect(rows[5]?.kind).toBe('demoted');
    expect(rows[5]?.status).toBe('qualified');
    expect(rows.filter((r) => r.kind === 'demoted')).toHaveLength(1);
  });

  it('an approval dated X itself demotes on X', () => {
    const rows = walk(DROP, {}, { 3: [approve(2)] });
    expect(rows[3]?.e).toBe(1);
    expect(rows[3]?.kind).toBe('demoted');
    expect(rows[3]?.status).toBe('qualified');
  });

  it('an approval goes to the decision day’s q', () => {
    const rows = walk(seq([2, 1], [1, 3], [0, 8]), {}, { 6: [approve(2)] });
    expect(rows[6]?.e).toBe(0);
  });

  it('an approval beats the auto-approval on X + N (same result: e = q)', () => {
    const rows = walk(DROP, {}, { 8: [approve(2)] });
    expect(rows[8]?.e).toBe(1);
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(8)]);
  });

  it('a rejection ends the review and starts a new full grace run on its day', () => {
    const rows = walk(seq([2, 1], [1, 25]), {}, { 5: [reject(2)] });
    // run S = 5, N = 3 → due day 7 → a new review X = 7, auto on day 12
    expect(rows[5]?.status).toBe('grace');
    expect(rows[5]?.e).toBe(2);
    expect(rows[5]?.kind).toBeNull();
    expect(rows[5]?.graceEndsOn).toBe(dayN(7));
    expect(rows[6]?.status).toBe('grace');
    expect(rows[7]?.status).toBe('review');
    expect(rows[7]?.graceEndsOn).toBe(dayN(12));
    expect(rows[8]?.e).toBe(2); // the first review's auto-approval day passes without effect
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(12)]);
  });

  it('a rejection on X + N beats the auto-approval', () => {
    const rows = walk(seq([2, 1], [1, 25]), {}, { 8: [reject(2)] });
    expect(rows[8]?.e).toBe(2);
    expect(rows[8]?.status).toBe('grace');
    // run S = 8 → X = 10 → auto on 15
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(15)]);
  });

  it('a rejection dated X: the new run starts on X', () => {
    const rows = walk(seq([2, 1], [1, 25]), {}, { 3: [reject(2)] });
    expect(rows[3]?.status).toBe('grace');
    // S = 3 → X' = 5 → auto on 10
    expect(rows[5]?.status).toBe('review');
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(10)]);
  });

  it.each([0, 1])('grace %i: after a rejection the day ends in grace; the next review opens the day after', (grace) => {
    const rows = walk(seq([2, 1], [1, 12]), { demotionGraceDays: grace }, { 3: [reject(2)] });
    // X = 1 (grace ≤ 1), auto would be day 6; rejected on 3 → grace on 3 → review from 4, auto on 9
    expect(rows[1]?.status).toBe('review');
    expect(rows[3]?.status).toBe('grace');
    expect(rows[3]?.graceEndsOn).toBe(dayN(4));
    expect(rows[4]?.status).toBe('review');
    expect(rows[4]?.graceEndsOn).toBe(dayN(9));
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(9)]);
  });
});

describe('§9.3: decisions without a pending review, tiers, several lines', () => {
  it('a decision for another fromTier is ignored', () => {
    const rows = walk(DROP, {}, { 5: [approve(1)], 6: [reject(0)] });
    expect(es(rows)).toEqual(es(walk(DROP)));
    expect(rows[5]?.status).toBe('review');
    expect(rows[6]?.status).toBe('review');
  });

  it('a decision with no review pending (grace, qualified, after the demotion) has no effect', () => {
    const rows = walk(DROP, {}, { 0: [approve(2)], 1: [approve(2)], 2: [reject(2)], 9: [approve(1), reject(1)] });
    expect(rows).toEqual(walk(DROP));
  });

  it('a decision before X does not carry over to X', () => {
    const rows = walk(DROP, {}, { 2: [approve(2)] });
    expect(rows[3]?.status).toBe('review');
    expect(rows[3]?.e).toBe(2);
  });

  it.each<[string, DayDecision[], number, string]>([
    ['approve then reject: reject wins', [approve(2), reject(2)], 2, 'grace'],
    ['reject then approve: approve wins', [reject(2), approve(2)], 1, 'qualified'],
    ['approve, then reject for another tier: approve wins', [approve(2), reject(1)], 1, 'qualified'],
    ['reject, then approve for another tier: reject wins', [reject(2), approve(0)], 2, 'grace'],
  ])('several decisions on one day, the later matching line wins: %s', (_, list, e, status) => {
    const rows = walk(DROP, {}, { 5: list });
    expect(rows[5]?.e).toBe(e);
    expect(rows[5]?.status).toBe(status);
  });

  it('an override wins on its days and ends the review; after it, no review is pending', () => {
    // override to 2 on days 5–6; from day 7 q = 1 < e = 2 starts a new run → X = 9, auto 14
    const rows = walk(seq([2, 1], [1, 20]), {}, { 5: [approve(2)] }, { 5: 2, 6: 2 });
    expect(rows[5]?.status).toBe('override');
    expect(rows[5]?.e).toBe(2);
    expect(rows[7]?.status).toBe('grace');
    expect(rows[7]?.graceEndsOn).toBe(dayN(9));
    expect(rows[8]?.e).toBe(2); // the old review's auto-approval day: nothing pending
    expect(rows[9]?.status).toBe('review');
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(14)]);
  });

  it('an override to the review’s lower tier is an override, not a demotion', () => {
    const rows = walk(DROP, {}, {}, { 4: 1 });
    expect(rows[4]?.kind).toBe('override');
    expect(rows[5]?.status).toBe('qualified');
    expect(rows[5]?.e).toBe(1);
  });
});

describe('§9.3 with hold and quarter-start', () => {
  it('hold: X is the first day the hold allows the demotion', () => {
    // promoted day 0, H = 10, run from day 1 due day 3 → X = 10 (status hold before), auto 15
    const rows = walk(seq([2, 1], [1, 20]), { holdAfterPromotionDays: 10 });
    expect(rows[9]?.status).toBe('hold');
    expect(rows[10]?.status).toBe('review');
    expect(rows[10]?.graceEndsOn).toBe(dayN(15));
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual([dayN(15)]);
  });

  it('quarter-start: X is the quarter start; approvals and auto-approval take effect on their own day', () => {
    // promoted 2026-03-20, q = 1 from 03-21, due 03-23 → X = 2026-04-01, auto 04-06
    const q = { demotionsOn: 'quarter-start' as const };
    const rows = walk(seq([2, 1], [1, 30]), q, {}, {}, '2026-03-20');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-03-31')?.status).toBe('grace');
    expect(byDay.get('2026-03-31')?.graceEndsOn).toBe('2026-04-01');
    expect(byDay.get('2026-04-01')?.status).toBe('review');
    expect(byDay.get('2026-04-01')?.graceEndsOn).toBe('2026-04-06');
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual(['2026-04-06']);

    const approved = walk(seq([2, 1], [1, 30]), q, { 14: [approve(2)] }, {}, '2026-03-20');
    expect(approved.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual(['2026-04-03']);
  });

  it('quarter-start: a rejection’s new run waits for the next quarter start for its review', () => {
    const q = { demotionsOn: 'quarter-start' as const };
    const rows = walk(seq([2, 1], [1, 120]), q, { 13: [reject(2)] }, {}, '2026-03-20');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-04-02')?.status).toBe('grace');
    expect(byDay.get('2026-04-02')?.graceEndsOn).toBe('2026-07-01');
    expect(byDay.get('2026-07-01')?.status).toBe('review');
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual(['2026-07-06']);
  });
});

describe('without demotionReview', () => {
  it('decisions have no effect at all', () => {
    const p = { demotionReview: undefined };
    const rows = walk(DROP, p, { 2: [approve(2)], 3: [reject(2)], 4: [approve(2)] });
    expect(rows).toEqual(walk(DROP, p));
    expect(rows[3]?.kind).toBe('demoted');
    expect(rows.every((r) => r.status !== 'review')).toBe(true);
  });
});
