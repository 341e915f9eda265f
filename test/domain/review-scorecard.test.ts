// Demotion review (SPEC §9) through BatchEvaluation and evaluatePartner: tier ids in decisions,
// program versions changing or dropping demotionReview mid-review, the ledger during a review,
// the scorecard's status and graceEndsOn, and the shape checks of domain/reviews.ts and the
// program schema. Expectations are worked out by hand.
//
// The scenario: silver = revenue12m ≥ 100000. One deal of 100000.00 closed 2025-01-10 makes
// P-1 silver that day; it leaves the P12M window on 2026-01-10, so q = registered from then.
// Grace 10 → §3 would demote on S + 9 = 2026-01-19 = X; autoApproveAfterDays 14 → 2026-02-02.
import { describe, expect, it } from 'vitest';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { PartnerEvaluation } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import { parseReviewDecision, type ReviewDecision } from '../../domain/reviews.ts';
import { day, partner, programSet, specProgram, str, won } from './fixtures.ts';

interface Options {
  version?: string;
  effectiveFrom?: string;
  review?: number | null;
  tiers?: string[];
}

function doc(o: Options = {}) {
  const ids = o.tiers ?? ['registered', 'silver'];
  const criteria: Record<string, unknown> = {
    silver: { metric: 'revenue12m', atLeast: '100000' },
    gold: { metric: 'revenue12m', atLeast: '1000000000' },
  };
  const rates: Record<string, Record<string, string>> = {
    registered: { commissionRate: '0.03' },
    silver: { commissionRate: '0.05', mdfRate: '0.01' },
    gold: { commissionRate: '0.08' },
  };
  const review = o.review === undefined ? 14 : o.review;
  return {
    id: 'test',
    version: o.version ?? '1',
    name: 'Test program',
    currency: 'USD',
    timezone: 'UTC',
    effectiveFrom: o.effectiveFrom ?? '2025-01-01',
    metrics: { revenue12m: { from: 'deals', aggregate: 'sum', field: 'amount', window: { trailing: 'P12M' } } },
    tracks: [
      {
        id: 'resell',
        partnerTypes: ['reseller'],
        tiers: ids.map((id, i) => ({
          id,
          name: id,
          criteria: i === 0 ? null : criteria[id],
          benefits: rates[id],
        })),
      },
    ],
    policy: {
      demotionGraceDays: 10,
      ...(review === null ? {} : { demotionReview: { autoApproveAfterDays: review } }),
    },
  };
}

const EVENTS = [partner('P-1'), won('P-1', 'D1', '100000.00', '2025-01-10'), partner('P-2')];

const decision = (on: string, kind: 'approve' | 'reject', fromTier = 'silver', partnerId = 'P-1'): ReviewDecision => ({
  partnerId,
  fromTier,
  decision: kind,
  on: day(on),
  by: 'cm@example.com',
  reason: 'checked',
});

function evaluate(
  set: ProgramSet,
  asOf: string,
  reviews: ReviewDecision[] = [],
  events: unknown[] = EVENTS,
  overrides: OverrideRule[] = [],
): PartnerEvaluation {
  const batch = new BatchEvaluation(set);
  for (const e of events) batch.addObject(e);
  expect(batch.invalid).toEqual([]);
  const result = batch.evaluate('P-1', day(asOf), overrides, reviews);
  if (!result) throw new Error('no evaluation');
  return result;
}

const demotions = (e: PartnerEvaluation) =>
  e.changes.filter((c) => c.kind === 'demoted').map((c) => ({ day: str(c.day), from: c.from, to: c.to }));

describe('the scorecard during a review', () => {
  const set = programSet(doc());

  it.each<[string, string, string, string | null]>([
    ['2026-01-09', 'qualified', 'silver', null],
    ['2026-01-10', 'grace', 'silver', '2026-01-19'],
    ['2026-01-18', 'grace', 'silver', '2026-01-19'],
    ['2026-01-19', 'review', 'silver', '2026-02-02'],
    ['2026-02-01', 'review', 'silver', '2026-02-02'],
    ['2026-02-02', 'qualified', 'registered', null],
  ])('as of %s: status %s, effective %s, graceEndsOn %s', (asOf, status, effective, ends) => {
    const card = evaluate(set, asOf).scorecard;
    expect(card.status).toBe(status);
    expect(card.effectiveTier).toBe(effective);
    expect(card.graceEndsOn).toBe(ends);
    expect(card.benefits).toEqual(
      effective === 'silver' ? { commissionRate: '0.05', mdfRate: '0.01' } : { commissionRate: '0.03' },
    );
  });

  it('the evaluation names the pending review; none once decided', () => {
    expect(evaluate(set, '2026-01-25').review).toEqual({
      fromTier: 'silver',
      toTier: 'registered',
      since: day('2026-01-19'),
      autoApprovesOn: day('2026-02-02'),
    });
    expect(evaluate(set, '2026-02-02').review).toBeNull();
    expect(evaluate(set, '2026-01-18').review).toBeNull();
  });

  it('the auto-approval is recorded as a demotion on X + N', () => {
    expect(demotions(evaluate(set, '2026-03-01'))).toEqual([{ day: '2026-02-02', from: 'silver', to: 'registered' }]);
  });

  it('the history shows the review run', () => {
    const history = evaluate(set, '2026-02-05').history.map((h) => [str(h.from), str(h.to), h.tierId, h.status]);
    expect(history.slice(-4)).toEqual([
      ['2025-01-10', '2026-01-09', 'silver', 'qualified'],
      ['2026-01-10', '2026-01-18', 'silver', 'grace'],
      ['2026-01-19', '2026-02-01', 'silver', 'review'],
      ['2026-02-02', '2026-02-05', 'registered', 'qualified'],
    ]);
  });

  it('§9.4: deals closed while the review is pending accrue at the not-yet-lowered tier', () => {
    const events = [...EVENTS, won('P-1', 'D2', '1000.00', '2026-01-25'), won('P-1', 'D3', '1000.00', '2026-02-02')];
    // D1 at silver 5000.00 / 1000.00; D2 at silver 50.00 / 10.00; D3 at registered 30.00
    expect(evaluate(set, '2026-02-10', [], events).scorecard.ledger).toEqual({
      commission: '5080.00',
      mdf: '1010.00',
      rebate: '0.00',
    });
    // without review, D2 would have been at registered (demoted 2026-01-19)
    const plain = programSet(doc({ review: null }));
    expect(evaluate(plain, '2026-02-10', [], events).scorecard.ledger.commission).toBe('5060.00');
  });
});

describe('decisions by tier id and partner', () => {
  const set = programSet(doc());

  it('an approval for the partner and fromTier dated during the review demotes on its day', () => {
    const e = evaluate(set, '2026-03-01', [decision('2026-01-22', 'approve')]);
    expect(demotions(e)).toEqual([{ day: '2026-01-22', from: 'silver', to: 'registered' }]);
  });

  it('decisions of another partner, an unknown tier or another fromTier have no effect', () => {
    const plain = demotions(evaluate(set, '2026-03-01'));
    for (const d of [
      decision('2026-01-22', 'approve', 'silver', 'P-2'),
      decision('2026-01-22', 'approve', 'platinum'),
      decision('2026-01-22', 'approve', 'registered'),
    ])
      expect(demotions(evaluate(set, '2026-03-01', [d]))).toEqual(plain);
  });

  it('a rejection gives a full grace period again: new run from its day, then a new review', () => {
    // rejected 2026-01-22 → run S = 01-22, due 01-31 = X', auto 2026-02-14
    const e = evaluate(set, '2026-01-31', [decision('2026-01-22', 'reject')]);
    expect(e.scorecard.status).toBe('review');
    expect(e.scorecard.graceEndsOn).toBe('2026-02-14');
    expect(evaluate(set, '2026-01-22', [decision('2026-01-22', 'reject')]).scorecard.graceEndsOn).toBe('2026-01-31');
    expect(demotions(evaluate(set, '2026-03-01', [decision('2026-01-22', 'reject')]))).toEqual([
      { day: '2026-02-14', from: 'silver', to: 'registered' },
    ]);
  });

  it('several decisions on one day: the later matching line wins, whatever the lines of other days', () => {
    const list = [
      decision('2026-01-22', 'approve'),
      decision('2026-01-23', 'approve'),
      decision('2026-01-22', 'reject'),
      decision('2026-01-22', 'approve', 'gold'),
    ];
    // 01-22: reject wins (the gold line does not match) → grace; 01-23: no review pending
    expect(demotions(evaluate(set, '2026-03-01', list))).toEqual([
      { day: '2026-02-14', from: 'silver', to: 'registered' },
    ]);
  });

  it('an override ends the review; after it no review is pending', () => {
    const override: OverrideRule = { tier: 'silver', from: day('2026-01-25'), until: day('2026-01-26') };
    // from 01-27 q < e again: run S = 01-27 → X = 02-05 → auto 02-19
    const e = evaluate(set, '2026-03-01', [decision('2026-01-25', 'approve')], EVENTS, [override]);
    expect(demotions(e)).toEqual([{ day: '2026-02-19', from: 'silver', to: 'registered' }]);
    expect(evaluate(set, '2026-01-25', [], EVENTS, [override]).scorecard.status).toBe('override');
    expect(evaluate(set, '2026-01-27', [], EVENTS, [override]).scorecard.status).toBe('grace');
  });
});

describe('program versions (§9.3: X + N fixed on X; the version in force on X decides)', () => {
  it('a later version dropping demotionReview keeps the pending review and its X + N', () => {
    const set = programSet(doc(), doc({ version: '2', effectiveFrom: '2026-01-25', review: null }));
    const card = evaluate(set, '2026-01-30').scorecard;
    expect(card.program.version).toBe('2');
    expect(card.status).toBe('review');
    expect(card.graceEndsOn).toBe('2026-02-02');
    expect(demotions(evaluate(set, '2026-03-01'))).toEqual([{ day: '2026-02-02', from: 'silver', to: 'registered' }]);
    // and decisions still apply to it
    expect(demotions(evaluate(set, '2026-03-01', [decision('2026-01-28', 'approve')]))).toEqual([
      { day: '2026-01-28', from: 'silver', to: 'registered' },
    ]);
  });

  it('a later version changing autoApproveAfterDays keeps the X + N fixed on X', () => {
    const set = programSet(doc(), doc({ version: '2', effectiveFrom: '2026-01-25', review: 3 }));
    expect(evaluate(set, '2026-01-30').scorecard.graceEndsOn).toBe('2026-02-02');
    expect(demotions(evaluate(set, '2026-03-01'))).toEqual([{ day: '2026-02-02', from: 'silver', to: 'registered' }]);
  });

  it.each<[string, string]>([
    ['2026-01-19', '2026-02-02'], // in force on X: a review
    ['2026-01-20', '2026-01-19'], // from the day after X: X demoted as before
  ])('a version adding demotionReview effective %s: demoted on %s', (from, demotedOn) => {
    const set = programSet(doc({ review: null }), doc({ version: '2', effectiveFrom: from }));
    expect(demotions(evaluate(set, '2026-03-01')).map((d) => d.day)).toEqual([demotedOn]);
  });

  it('a version without the review’s tier restarts at the entry tier and ends the review', () => {
    const set = programSet(doc(), doc({ version: '2', effectiveFrom: '2026-01-25', tiers: ['registered', 'gold'] }));
    const card = evaluate(set, '2026-01-30').scorecard;
    expect(card.effectiveTier).toBe('registered');
    expect(card.status).toBe('qualified');
    expect(card.graceEndsOn).toBeNull();
  });
});

describe('without demotionReview, decisions have no effect', () => {
  it('the same evaluation with and without decisions', () => {
    const set = programSet(doc({ review: null }));
    const list = [decision('2026-01-19', 'reject'), decision('2026-01-15', 'approve')];
    expect(evaluate(set, '2026-03-01', list)).toEqual(evaluate(set, '2026-03-01'));
  });
});

describe('domain/reviews.ts: a decision line', () => {
  const good = { partnerId: 'P-1', fromTier: 'gold', decision: 'approve', on: '2026-01-22', by: 'ann', reason: 'ok' };

  it('parses into a ReviewDecision with a Day', () => {
    expect(parseReviewDecision(good)).toEqual({
      ok: true,
      decision: {
        partnerId: 'P-1',
        fromTier: 'gold',
        decision: 'approve',
        on: day('2026-01-22'),
        by: 'ann',
        reason: 'ok',
      },
    });
  });

  it('an approval may leave the reason out; a rejection may not', () => {
    const { reason: _, ...noReason } = good;
    expect(parseReviewDecision(noReason)).toMatchObject({ ok: true, decision: { reason: null } });
    expect(parseReviewDecision({ ...noReason, decision: 'reject' })).toEqual({
      ok: false,
      reason: 'reason: a reject decision needs a reason',
    });
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown decision', { decision: 'defer' }, /^decision: /],
    ['a bad date', { on: '2026-02-30' }, /^on: expected a date YYYY-MM-DD/],
    ['a missing partner', { partnerId: undefined }, /^partnerId: /],
    ['an empty fromTier', { fromTier: '' }, /^fromTier: /],
    ['a missing by', { by: undefined }, /^by: /],
  ])('refuses %s, naming the field', (_, change, reason) => {
    const result = parseReviewDecision({ ...good, ...change });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
});

describe('policy.demotionReview in the program schema', () => {
  const problems = (value: unknown): string[] => {
    const d = specProgram() as unknown as { policy: Record<string, unknown> };
    d.policy.demotionReview = value;
    const result = loadProgramTexts([{ name: 'p.json', text: JSON.stringify(d) }]);
    return result.ok ? [] : result.problems;
  };

  it('accepts a whole number of days ≥ 1', () => {
    expect(problems({ autoApproveAfterDays: 1 })).toEqual([]);
    expect(problems({ autoApproveAfterDays: 14 })).toEqual([]);
  });

  it.each<[unknown, RegExp]>([
    [{ autoApproveAfterDays: 0 }, /policy\.demotionReview\.autoApproveAfterDays: /],
    [{ autoApproveAfterDays: 1.5 }, /policy\.demotionReview\.autoApproveAfterDays: /],
    [{ autoApproveAfterDays: '14' }, /policy\.demotionReview\.autoApproveAfterDays: /],
    [{}, /policy\.demotionReview\.autoApproveAfterDays: /],
    [{ autoApproveAfterDays: 14, notify: true }, /policy\.demotionReview/],
    [14, /policy\.demotionReview: /],
  ])('refuses %j by path', (value, path) => {
    const list = problems(value);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatch(path);
  });
});
