// Properties of demotion review (SPEC §9) over generated qualified-tier sequences and review
// decisions: the arrival order of unrelated decisions never matters, reviews never promote,
// without decisions a review ends exactly on X + N unless the partner requalifies, and without
// policy.demotionReview decisions have no effect at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import {
  initialPolicyState,
  policyStatus,
  stepPolicy,
  type DayDecision,
  type PolicyStatus,
  type StepKind,
} from '../../domain/evaluation/policy.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import type { Policy } from '../../domain/program/schema.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';

interface Generated {
  policy: Policy;
  start: Day;
  qs: number[];
  decisions: Array<{ at: number; d: DayDecision }>;
}

const policyArb = (withReview: boolean): fc.Arbitrary<Policy> =>
  fc.record({
    demotionGraceDays: fc.integer({ min: 0, max: 12 }),
    holdAfterPromotionDays: fc.integer({ min: 0, max: 12 }),
    demotionsOn: fc.constantFrom('any-day' as const, 'quarter-start' as const),
    demotionReview: withReview
      ? fc.record({ autoApproveAfterDays: fc.integer({ min: 1, max: 15 }) })
      : fc.constant(undefined),
  });

/** Runs of qualified tiers (0..3), long enough for grace runs and reviews to play out. */
const qsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 25 })), { minLength: 1, maxLength: 12 })
  .map((runs) => runs.flatMap(([q, n]) => Array<number>(n).fill(q)));

const decisionArb = fc.record({
  at: fc.nat({ max: 300 }),
  d: fc.record({
    fromTier: fc.integer({ min: 0, max: 3 }),
    decision: fc.constantFrom('approve' as const, 'reject' as const),
  }),
});

const generated = (withReview = true, decisions = true): fc.Arbitrary<Generated> =>
  fc.record({
    policy: policyArb(withReview),
    // around quarter starts, so quarter-start policies act within the sequence
    start: fc.integer({ min: dayOrThrow('2026-02-01'), max: dayOrThrow('2026-12-31') }),
    qs: qsArb,
    decisions: decisions ? fc.array(decisionArb, { maxLength: 40 }) : fc.constant([]),
  });

interface Row {
  q: number;
  e: number;
  kind: StepKind;
  status: PolicyStatus;
}

function walk(g: Generated, decisions = g.decisions): Row[] {
  const byDay = new Map<number, DayDecision[]>();
  for (const { at, d } of decisions) byDay.set(at, [...(byDay.get(at) ?? []), d]);
  const state = initialPolicyState();
  return g.qs.map((q, i) => {
    const kind = stepPolicy(state, g.start + i, q, g.policy, undefined, byDay.get(i));
    return { q, e: state.e, kind, status: policyStatus(state, g.start + i, q, g.policy, false) };
  });
}

describe('demotion review properties (policy walk)', () => {
  it('reviews never promote: e rises only to q, and a decision day never raises e', () => {
    fc.assert(
      fc.property(generated(), (g) => {
        const rows = walk(g);
        const decided = new Set(g.decisions.map((d) => d.at));
        rows.forEach((r, i) => {
          const before = i === 0 ? 0 : (rows[i - 1]?.e ?? 0);
          if (r.e > before) {
            expect(r.kind).toBe('promoted');
            expect(r.e).toBe(r.q);
          }
          if (decided.has(i) && r.kind !== 'promoted') expect(r.e).toBeLessThanOrEqual(before);
          if (r.kind === 'demoted') expect(r.e).toBe(r.q);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('without decisions, a review ends exactly on X + N (e = q) unless the partner requalifies first', () => {
    fc.assert(
      fc.property(generated(true, false), (g) => {
        const rows = walk(g);
        const n = g.policy.demotionReview?.autoApproveAfterDays ?? 0;
        rows.forEach((r, x) => {
          const opened = r.status === 'review' && (x === 0 || rows[x - 1]?.status !== 'review');
          if (!opened) return;
          const e = r.e;
          let d = x + 1;
          while (d < rows.length && rows[d]?.status === 'review') {
            expect(rows[d]?.e).toBe(e);
            d++;
          }
          if (d >= rows.length) return;
          const end = rows[d] as Row;
          if (end.q >= e) expect(end.kind === null || end.kind === 'promoted').toBe(true);
          else {
            expect(d).toBe(x + n);
            expect(end.kind).toBe('demoted');
            expect(end.e).toBe(end.q);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('without policy.demotionReview, decisions have no effect at all', () => {
    fc.assert(
      fc.property(generated(false), (g) => {
        const rows = walk(g);
        expect(rows).toEqual(walk(g, []));
        expect(rows.some((r) => r.status === 'review')).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('approving every review on its first day gives the timeline of the policy without review', () => {
    fc.assert(
      fc.property(generated(true, false), (g) => {
        const all = g.qs.flatMap((_, at) =>
          [0, 1, 2, 3].map((fromTier) => ({ at, d: { fromTier, decision: 'approve' as const } })),
        );
        const approved = walk(g, all).map((r) => r.e);
        const plain = walk({ ...g, policy: { ...g.policy, demotionReview: undefined } }).map((r) => r.e);
        expect(approved).toEqual(plain);
      }),
      { numRuns: 200 },
    );
  });
});

// A two-tier program where generated deals move the qualified tier up and down.
const PROGRAM = ((): ProgramSet => {
  const doc = {
    id: 'review-props',
    version: '1',
    name: 'Review properties',
    currency: 'USD',
    timezone: 'UTC',
    effectiveFrom: '2026-01-01',
    metrics: { revenue90d: { from: 'deals', aggregate: 'sum', field: 'amount', window: { trailing: 'P90D' } } },
    tracks: [
      {
        id: 't',
        partnerTypes: ['reseller'],
        tiers: [
          { id: 'entry', name: 'Entry', criteria: null, benefits: { commissionRate: '0.01' } },
          {
            id: 'mid',
            name: 'Mid',
            criteria: { metric: 'revenue90d', atLeast: '1000' },
            benefits: { commissionRate: '0.02' },
          },
          {
            id: 'top',
            name: 'Top',
            criteria: { metric: 'revenue90d', atLeast: '5000' },
            benefits: { commissionRate: '0.03' },
          },
        ],
      },
    ],
    policy: { demotionGraceDays: 7, demotionReview: { autoApproveAfterDays: 10 } },
  };
  const loaded = loadProgramTexts([{ name: 'p.json', text: JSON.stringify(doc) }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
})();

const FIRST = dayOrThrow('2026-01-01');
const AS_OF = dayOrThrow('2026-12-31');

const dealArb = fc.record({
  partner: fc.constantFrom('P-1', 'P-2'),
  at: fc.nat({ max: 330 }),
  amount: fc.constantFrom('600.00', '1500.00', '4000.00', '6000.00'),
});

const reviewArb = fc.record({
  partnerId: fc.constantFrom('P-1', 'P-2', 'P-9'),
  fromTier: fc.constantFrom('entry', 'mid', 'top', 'gone'),
  decision: fc.constantFrom('approve' as const, 'reject' as const),
  on: fc.integer({ min: FIRST, max: AS_OF }),
  by: fc.constant('cm'),
  reason: fc.constant('r'),
});

function cards(deals: Array<{ partner: string; at: number; amount: string }>, reviews: ReviewDecision[]): string[] {
  const batch = new BatchEvaluation(PROGRAM);
  let n = 0;
  for (const id of ['P-1', 'P-2'])
    batch.addObject({
      id: `p-${id}`,
      source: 'crm',
      type: 'partner.upserted',
      occurredAt: '2026-01-01T00:00:00Z',
      partnerId: id,
      data: { name: id, partnerType: 'reseller', contacts: [], version: 1 },
    });
  for (const d of deals) {
    n++;
    batch.addObject({
      id: `d-${n}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: '2026-01-01T00:00:00Z',
      partnerId: d.partner,
      data: {
        dealId: `D-${n}`,
        stage: 'closed_won',
        amount: d.amount,
        currency: 'USD',
        closedAt: formatDay(FIRST + d.at),
        version: 1,
      },
    });
  }
  return batch.partnerIds().map((id) => {
    const e = batch.evaluate(
      id,
      AS_OF,
      [],
      reviews.filter((r) => r.partnerId === id),
    );
    return JSON.stringify([e?.scorecard, e?.changes]);
  });
}

describe('demotion review properties (evaluation)', () => {
  it('the arrival order of unrelated decisions (other partners or days) does not matter', () => {
    fc.assert(
      fc.property(
        fc.array(dealArb, { minLength: 1, maxLength: 25 }),
        fc.array(reviewArb, { maxLength: 30 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (deals, reviews, keys) => {
          // shuffle, then restore the file order of decisions sharing a partner and a day
          const indexed = reviews.map((r, i) => ({ r, i, k: keys.next().value as number }));
          const shuffled = indexed.sort((a, b) => a.k - b.k);
          const key = (x: { r: ReviewDecision }) => `${x.r.partnerId}/${x.r.on}`;
          const groups = new Map<string, number[]>();
          for (const x of shuffled) groups.set(key(x), [...(groups.get(key(x)) ?? []), x.i]);
          for (const list of groups.values()) list.sort((a, b) => a - b);
          const taken = new Map<string, number>();
          const reordered = shuffled.map((x) => {
            const k = key(x);
            const at = taken.get(k) ?? 0;
            taken.set(k, at + 1);
            return reviews[(groups.get(k) ?? [])[at] ?? 0] as ReviewDecision;
          });
          expect(cards(deals, reordered)).toEqual(cards(deals, reviews));
        },
      ),
      { numRuns: 40 },
    );
  });
});
