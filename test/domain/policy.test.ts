// domain/evaluation/policy.ts: the effective-tier policy driven by synthetic sequences of
// qualified tiers, one per day (SPEC §3 step 3, §3a rules 1–4 and 19).
import { describe, expect, it } from 'vitest';
import { graceEndsOn, initialPolicyState, policyStatus } from '../../domain/evaluation/policy.ts';
import type { Policy } from '../../domain/program/schema.ts';
import { day } from './fixtures.ts';
import { es, seq, walkPolicy, type Row } from './policy-walk.ts';

const policyOf = (p: Partial<Policy>): Policy => ({
  demotionGraceDays: 0,
  holdAfterPromotionDays: 0,
  demotionsOn: 'any-day',
  ...p,
});

function walk(
  qs: readonly number[],
  p: Partial<Policy>,
  start = '2026-01-05',
  overrides: Record<number, number> = {},
): Row[] {
  return walkPolicy(qs, policyOf(p), { start, overrides });
}

describe('promotion', () => {
  it('is immediate, several tiers at once', () => {
    const rows = walk([0, 2, 2, 3], { demotionGraceDays: 90 });
    expect(es(rows)).toEqual([0, 2, 2, 3]);
    expect(rows.map((r) => r.kind)).toEqual([null, 'promoted', null, 'promoted']);
    expect(rows.map((r) => r.status)).toEqual(['qualified', 'qualified', 'qualified', 'qualified']);
  });

  it('the initial state is the entry tier with no run and no promotion', () => {
    expect(initialPolicyState()).toEqual({ e: 0, runStart: null, lastPromotion: null, review: null, notBefore: null });
  });
});

describe('grace (rule 1): demotion on S + N − 1, to that day’s q', () => {
  it.each([0, 1])('N = %i demotes on the first day of the run', (n) => {
    const rows = walk([2, 1, 1], { demotionGraceDays: n });
    expect(es(rows)).toEqual([2, 1, 1]);
    expect(rows[1]?.kind).toBe('demoted');
    expect(rows[1]?.status).toBe('qualified');
  });

  it('N = 3: the run starting on day 1 demotes on day 3', () => {
    const rows = walk([2, 1, 1, 1, 1], { demotionGraceDays: 3 });
    expect(es(rows)).toEqual([2, 2, 2, 1, 1]);
    expect(rows.map((r) => r.status)).toEqual(['qualified', 'grace', 'grace', 'qualified', 'qualified']);
    expect(rows[1]?.graceEndsOn).toBe(rows[3]?.day);
    expect(rows[2]?.graceEndsOn).toBe(rows[3]?.day);
    expect(rows[3]?.kind).toBe('demoted');
  });

  it('N = 90: S = 2026-01-06 demotes on 2026-04-05 (S + 89), not a day earlier', () => {
    const rows = walk(seq([2, 1], [1, 120]), { demotionGraceDays: 90 });
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-01-06')?.graceEndsOn).toBe('2026-04-05');
    expect(byDay.get('2026-04-04')?.e).toBe(2);
    expect(byDay.get('2026-04-04')?.status).toBe('grace');
    expect(byDay.get('2026-04-05')?.e).toBe(1);
    expect(byDay.get('2026-04-05')?.kind).toBe('demoted');
    expect(rows.filter((r) => r.kind === 'demoted')).toHaveLength(1);
  });

  it('a day with q ≥ e ends the run; the next drop starts a new run', () => {
    // days 1–2 below, day 3 back at e, days 4.. below again: the new run demotes on day 6
    const rows = walk([2, 1, 1, 2, 1, 1, 1, 1], { demotionGraceDays: 3 });
    expect(es(rows)).toEqual([2, 2, 2, 2, 2, 2, 1, 1]);
    expect(rows[3]?.status).toBe('qualified');
    expect(rows[3]?.graceEndsOn).toBeNull();
    expect(rows[4]?.graceEndsOn).toBe(rows[6]?.day);
  });

  it('q above e during a run promotes and ends the run', () => {
    const rows = walk([2, 1, 1, 3, 1, 1, 1], { demotionGraceDays: 3 });
    expect(es(rows)).toEqual([2, 2, 2, 3, 3, 3, 1]);
    expect(rows[3]?.kind).toBe('promoted');
  });

  it('demotion goes to that day’s q, possibly several tiers down; q moving below e keeps the run', () => {
    // run from day 1; q varies 1, 2, 0 (all below 3): demoted on day 3 to 0
    const rows = walk([3, 1, 2, 0, 0], { demotionGraceDays: 3 });
    expect(es(rows)).toEqual([3, 3, 3, 0, 0]);
    expect(rows[3]?.kind).toBe('demoted');
    // and to 2 when that is the day's q
    expect(es(walk([3, 0, 0, 2, 2], { demotionGraceDays: 3 }))).toEqual([3, 3, 3, 2, 2]);
  });

  it('after a demotion, a further drop starts a fresh run', () => {
    const rows = walk([3, 2, 1, 1, 1, 1], { demotionGraceDays: 2 });
    // run S=1 (q 2, 1) → demoted on day 2 to q = 1; then q = 1 = e
    expect(es(rows)).toEqual([3, 3, 1, 1, 1, 1]);
    const rows2 = walk([3, 2, 2, 1, 1, 1], { demotionGraceDays: 2 });
    // S=1 → demoted day 2 to 2; new run from day 3 → demoted day 4 to 1
    expect(es(rows2)).toEqual([3, 3, 2, 2, 1, 1]);
  });
});

describe('holdAfterPromotionDays (rule 3)', () => {
  it('blocks demotion until lastPromotion + H while the run keeps counting; status hold inside the window', () => {
    // promoted on day 0; H = 10; run S = 1 would be due on day 3; demotes on day 10
    const rows = walk(seq([2, 1], [1, 14]), { demotionGraceDays: 3, holdAfterPromotionDays: 10 });
    expect(es(rows)).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
    expect(rows.slice(1, 10).every((r) => r.status === 'hold')).toBe(true);
    expect(rows[10]?.kind).toBe('demoted');
    // graceEndsOn = max(S + N − 1, lastPromotion + H) = day 10
    expect(rows[1]?.graceEndsOn).toBe(rows[10]?.day);
    expect(rows[9]?.graceEndsOn).toBe(rows[10]?.day);
  });

  it('when the run ends after the hold, status turns from hold to grace and graceEndsOn is S + N − 1', () => {
    // promoted day 0, H = 2, N = 5, S = 1 → due day 5
    const rows = walk(seq([2, 1], [1, 7]), { demotionGraceDays: 5, holdAfterPromotionDays: 2 });
    expect(rows.map((r) => r.status)).toEqual([
      'qualified',
      'hold',
      'grace',
      'grace',
      'grace',
      'qualified',
      'qualified',
      'qualified',
    ]);
    expect(es(rows)).toEqual([2, 2, 2, 2, 2, 1, 1, 1]);
    expect(rows[1]?.graceEndsOn).toBe(rows[5]?.day);
  });

  it('with N = 0 the demotion takes effect on the first day the hold allows', () => {
    const rows = walk(seq([2, 1], [1, 5]), { demotionGraceDays: 0, holdAfterPromotionDays: 3 });
    expect(es(rows)).toEqual([2, 2, 2, 1, 1, 1]);
    expect(rows[1]?.status).toBe('hold');
    expect(rows[1]?.graceEndsOn).toBe(rows[3]?.day);
  });

  it('the last promotion is the one that counts: a second promotion restarts the hold', () => {
    // day 0 → 1, day 4 → 2 (lastPromotion = 4), H = 5: drop from day 5 can only demote on day 9
    const rows = walk(seq([1, 4], [2, 1], [0, 6]), { demotionGraceDays: 1, holdAfterPromotionDays: 5 });
    expect(es(rows)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 2, 0, 0]);
  });

  it('a partner never promoted (e = entry) is never in hold', () => {
    expect(
      policyStatus(initialPolicyState(), day('2026-01-01'), 0, policyOf({ holdAfterPromotionDays: 30 }), false),
    ).toBe('qualified');
  });
});

describe('demotionsOn: quarter-start (rule 4)', () => {
  const quarter = { demotionGraceDays: 3, demotionsOn: 'quarter-start' as const };

  it('a due demotion waits for the first quarter start on or after its due day', () => {
    // promoted 2026-03-20; q = 1 from 03-21: due 03-23; takes effect 2026-04-01
    const rows = walk(seq([2, 1], [1, 20]), quarter, '2026-03-20');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-03-23')?.e).toBe(2);
    expect(byDay.get('2026-03-31')?.e).toBe(2);
    expect(byDay.get('2026-03-31')?.status).toBe('grace');
    expect(byDay.get('2026-03-21')?.graceEndsOn).toBe('2026-04-01');
    expect(byDay.get('2026-03-25')?.graceEndsOn).toBe('2026-04-01');
    expect(byDay.get('2026-04-01')?.e).toBe(1);
    expect(byDay.get('2026-04-01')?.kind).toBe('demoted');
  });

  it('a due day that is itself a quarter start demotes on it', () => {
    // q drops 2026-03-30 → due 04-01
    const rows = walk(seq([2, 1], [1, 5]), quarter, '2026-03-29');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-03-31')?.e).toBe(2);
    expect(byDay.get('2026-04-01')?.e).toBe(1);
  });

  it('demotes to the quarter-start day’s q', () => {
    // q = 1 from 03-21, q = 0 from 03-30: on 04-01 e drops to 0
    const rows = walk(seq([2, 1], [1, 9], [0, 10]), quarter, '2026-03-20');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-04-01')?.e).toBe(0);
  });

  it('a day with q ≥ e before the quarter start cancels it; a later drop waits for the next quarter', () => {
    // q = 1 from 03-21, back to 2 on 03-31, q = 1 again from 04-01: new run S = 04-01, due 04-03 → 07-01
    const qs = seq([2, 1], [1, 10], [2, 1], [1, 100]);
    const rows = walk(qs, quarter, '2026-03-20');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-03-31')?.status).toBe('qualified');
    expect(byDay.get('2026-04-01')?.e).toBe(2);
    expect(byDay.get('2026-04-01')?.graceEndsOn).toBe('2026-07-01');
    expect(byDay.get('2026-06-30')?.e).toBe(2);
    expect(byDay.get('2026-07-01')?.e).toBe(1);
    expect(rows.filter((r) => r.kind === 'demoted').map((r) => r.day)).toEqual(['2026-07-01']);
  });

  it('N = 0 under quarter-start: due on the first day, takes effect on the next quarter start', () => {
    const rows = walk(seq([2, 1], [1, 95]), { demotionGraceDays: 0, demotionsOn: 'quarter-start' }, '2026-04-01');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-04-02')?.graceEndsOn).toBe('2026-07-01');
    expect(byDay.get('2026-06-30')?.e).toBe(2);
    expect(byDay.get('2026-07-01')?.e).toBe(1);
  });
});

describe('graceEndsOn (rule 2)', () => {
  it('max(S + N − 1, lastPromotion + H) moved to a quarter start', () => {
    // promoted 2026-03-01, H = 45 → 04-15; S = 03-02, N = 3 → 03-04; max = 04-15 → 2026-07-01
    const p = { demotionGraceDays: 3, holdAfterPromotionDays: 45, demotionsOn: 'quarter-start' as const };
    const rows = walk(seq([2, 1], [1, 130]), p, '2026-03-01');
    const byDay = new Map(rows.map((r) => [r.day, r]));
    expect(byDay.get('2026-03-02')?.graceEndsOn).toBe('2026-07-01');
    expect(byDay.get('2026-03-02')?.status).toBe('hold');
    // 04-01 is a quarter start but inside the hold: no demotion
    expect(byDay.get('2026-04-01')?.e).toBe(2);
    expect(byDay.get('2026-04-14')?.status).toBe('hold');
    expect(byDay.get('2026-04-15')?.status).toBe('grace');
    expect(byDay.get('2026-04-15')?.graceEndsOn).toBe('2026-07-01');
    expect(byDay.get('2026-06-30')?.e).toBe(2);
    expect(byDay.get('2026-07-01')?.e).toBe(1);
  });

  it('is null when no demotion is pending', () => {
    const state = initialPolicyState();
    expect(graceEndsOn(state, policyOf({ demotionGraceDays: 90 }))).toBeNull();
    const rows = walk([2, 2], { demotionGraceDays: 90 });
    expect(rows.map((r) => r.graceEndsOn)).toEqual([null, null]);
  });

  it('any-day: S + N − 1 when the hold is already over', () => {
    // promoted 2026-01-05, H = 1; S = 01-06, N = 90 → 2026-04-05
    const rows = walk(seq([2, 1], [1, 3]), { demotionGraceDays: 90, holdAfterPromotionDays: 1 });
    expect(rows[1]?.graceEndsOn).toBe('2026-04-05');
  });
});

describe('overrides (rule 19)', () => {
  it('replace e on their days with status override, whatever q is', () => {
    const rows = walk([0, 0, 0, 0], { demotionGraceDays: 90 }, '2026-01-05', { 1: 2, 2: 2 });
    expect(es(rows)).toEqual([0, 2, 2, 2]);
    expect(rows.map((r) => r.status)).toEqual(['qualified', 'override', 'override', 'grace']);
    expect(rows[1]?.kind).toBe('override');
    // an override equal to the current e changes nothing
    expect(rows[2]?.kind).toBeNull();
    expect(rows[1]?.graceEndsOn).toBeNull();
  });

  it('reset the grace run: after the override a new run starts', () => {
    // promoted day 0; q = 1 from day 1 (S = 1, due day 3 with N = 3); override on day 2 to 2
    // → new run from day 3, demotion on day 5 instead of day 3
    const rows = walk([2, 1, 1, 1, 1, 1, 1], { demotionGraceDays: 3 }, '2026-01-05', { 2: 2 });
    expect(es(rows)).toEqual([2, 2, 2, 2, 2, 1, 1]);
    expect(rows[3]?.graceEndsOn).toBe(rows[5]?.day);
  });

  it('keep the last promotion: the hold still runs from the real promotion', () => {
    // promoted to 1 on day 0 (H = 10); override to 3 on days 1–2; from day 3 q = 1 < 3:
    // N = 1 is due at once but the hold lasts until day 10
    const rows = walk(seq([1, 1], [1, 14]), { demotionGraceDays: 1, holdAfterPromotionDays: 10 }, '2026-01-05', {
      1: 3,
      2: 3,
    });
    expect(es(rows).slice(0, 12)).toEqual([1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1]);
    expect(rows[3]?.status).toBe('hold');
    expect(rows[3]?.graceEndsOn).toBe(rows[10]?.day);
  });

  it('a lower override is followed by a promotion when q is above it', () => {
    const rows = walk([2, 2, 2, 2], { demotionGraceDays: 90 }, '2026-01-05', { 1: 0, 2: 0 });
    expect(es(rows)).toEqual([2, 0, 0, 2]);
    expect(rows[3]?.kind).toBe('promoted');
  });
});
