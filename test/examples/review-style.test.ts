// Independent check of `tierline evaluate --reviews` against examples/review-style, as-of
// 2026-11-23. Every expected value was computed by hand from SPEC.md §3, §3a, §5 and §9.
//
// Program: registered (.03) → silver revenue12m ≥ 100000 (.05, mdf .01) → gold ≥ 500000.
// Policy: demotionGraceDays 30, demotionReview.autoApproveAfterDays 14, any-day.
// R-1..R-4: deal D1 120000.00 closed 2025-10-15 → silver that day. It leaves the P12M window on
//   2026-10-15 ((D − 12M, D] excludes 2025-10-15), so q = registered from then: grace run
//   S = 2026-10-15, §3 would demote on S + 29 = 2026-11-13 = X; auto-approval on X + 14 = 2026-11-27.
//   R-1..R-3 also close D2 2000.00 on 2026-11-16 (revenue12m 2000.00 < 100000: still registered).
// D1 120000.00 closed 2025-09-20 → q drops 2026-09-20, X = 2026-10-19, auto 2026-11-02.
// Silver's criterion is a single leaf, so `next` paths are "" (rule 7). q = registered is the
// entry tier, so nothing can lower it: no risks.
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, scorecardTests, type CliRun, type Expected } from './run-cli.ts';

const AS_OF = '2026-11-23';
const PROGRAM = { id: 'review-style', version: '2026.1' };
const BASE = ['--program', 'examples/review-style/program.json', '--events', 'examples/review-style/events.jsonl'];
const ARGS = [...BASE, '--reviews', 'examples/review-style/reviews.jsonl', '--as-of', AS_OF];
const REGISTERED = { commissionRate: '0.03' };
const SILVER = { commissionRate: '0.05', mdfRate: '0.01' };
const shortOfSilver = (actual: string, shortBy: string) => ({
  tier: 'silver',
  unmet: [{ path: '', metric: 'revenue12m', actual, required: '100000', shortBy }],
});

const expected: Record<string, Expected> = {
  // No decision: the review opened on X = 2026-11-13 is still pending (§9.1).
  'R-1': {
    track: 'resell',
    qualifiedTier: 'registered',
    effectiveTier: 'silver',
    status: 'review',
    graceEndsOn: '2026-11-27', // X + 14
    metrics: { revenue12m: '2000.00' },
    next: shortOfSilver('2000.00', '98000.00'),
    risks: [],
    benefits: SILVER,
    // D1 at silver: 6000.00 / 1200.00; D2 closed during the review accrues at silver (§9.4): 100.00 / 20.00
    ledger: { commission: '6100.00', mdf: '1220.00', rebate: '0.00' },
  },
  // Approved on 2026-11-16 (fromTier silver = e(D−1)): e = q = registered from that day (§9.2).
  'R-2': {
    track: 'resell',
    qualifiedTier: 'registered',
    effectiveTier: 'registered',
    status: 'qualified',
    graceEndsOn: null,
    metrics: { revenue12m: '2000.00' },
    next: shortOfSilver('2000.00', '98000.00'),
    risks: [],
    benefits: REGISTERED,
    // D1 at silver 6000.00 / 1200.00; D2 closed on the approval day at registered: 60.00
    ledger: { commission: '6060.00', mdf: '1200.00', rebate: '0.00' },
  },
  // Rejected on 2026-11-14: a new grace run from that day, due 2026-11-14 + 29 = 2026-12-13.
  'R-3': {
    track: 'resell',
    qualifiedTier: 'registered',
    effectiveTier: 'silver',
    status: 'grace',
    graceEndsOn: '2026-12-13',
    metrics: { revenue12m: '2000.00' },
    next: shortOfSilver('2000.00', '98000.00'),
    risks: [],
    benefits: SILVER,
    ledger: { commission: '6100.00', mdf: '1220.00', rebate: '0.00' },
  },
  // D2 150000.00 on 2026-11-18: q = silver ≥ e withdraws the review that day; the approval
  // dated 2026-11-20 finds no pending review and has no effect (§9.3).
  'R-4': {
    track: 'resell',
    qualifiedTier: 'silver',
    effectiveTier: 'silver',
    status: 'qualified',
    graceEndsOn: null,
    metrics: { revenue12m: '150000.00' },
    next: {
      tier: 'gold',
      unmet: [{ path: '', metric: 'revenue12m', actual: '150000.00', required: '500000', shortBy: '350000.00' }],
    },
    risks: [], // the only fact in the window closed 2026-11-18: nothing leaves it within 30 days
    benefits: SILVER,
    // 120000 and 150000 at silver: 6000.00 + 7500.00, 1200.00 + 1500.00
    ledger: { commission: '13500.00', mdf: '2700.00', rebate: '0.00' },
  },
  // The approval names fromTier gold, not e = silver: no effect; auto-approved on 2026-11-02.
  'R-5': {
    track: 'resell',
    qualifiedTier: 'registered',
    effectiveTier: 'registered',
    status: 'qualified',
    graceEndsOn: null,
    metrics: { revenue12m: '0.00' },
    next: shortOfSilver('0.00', '100000.00'),
    risks: [],
    benefits: REGISTERED,
    ledger: { commission: '6000.00', mdf: '1200.00', rebate: '0.00' },
  },
};

describe('examples/review-style with --reviews (as-of 2026-11-23)', () => {
  let run: CliRun;
  beforeAll(() => {
    run = evaluate(ARGS);
  }, 180_000);
  const card = (id: string) => run.cards.find((c) => c.partnerId === id);

  it('exits 0; a decision for a partner not in the events (P-404) lists no partner', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.cards.map((c) => c.partnerId)).toEqual(['R-1', 'R-2', 'R-3', 'R-4', 'R-5']);
  });

  for (const [partnerId, exp] of Object.entries(expected)) {
    describe(partnerId, () => scorecardTests(partnerId, exp, () => card(partnerId), PROGRAM, AS_OF));
  }
});

describe('examples/review-style without --reviews', () => {
  let run: CliRun;
  beforeAll(() => {
    run = evaluate([...BASE, '--as-of', AS_OF]);
  }, 180_000);

  it('R-2 and R-3 are still in review, like R-1; R-4 and R-5 are unchanged', () => {
    expect(run.status, run.stderr).toBe(0);
    const brief = run.cards.map((c) => [c.partnerId, c.effectiveTier, c.status, c.graceEndsOn]);
    expect(brief).toEqual([
      ['R-1', 'silver', 'review', '2026-11-27'],
      ['R-2', 'silver', 'review', '2026-11-27'],
      ['R-3', 'silver', 'review', '2026-11-27'],
      ['R-4', 'silver', 'qualified', null],
      ['R-5', 'registered', 'qualified', null],
    ]);
    // R-2 without its approval: D2 at silver
    expect(run.cards[1]?.ledger).toEqual({ commission: '6100.00', mdf: '1220.00', rebate: '0.00' });
  });

  it('as of the auto-approval day 2026-11-27, the pending review takes effect', () => {
    const later = evaluate([...BASE, '--as-of', '2026-11-27', '--partner', 'R-1']);
    expect(later.cards.map((c) => [c.effectiveTier, c.status, c.graceEndsOn])).toEqual([
      ['registered', 'qualified', null],
    ]);
  });
});
