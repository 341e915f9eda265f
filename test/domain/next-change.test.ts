// nextChangeDay (issue #14 item 2): on every day strictly between T and the next-change day,
// evaluating the same inputs gives the standing evaluating on T gave. The standing is what the
// nightly run relies on when it leaves a partner's stored results as they are: the scorecard
// but for `asOf`, the metric values and the unmet criteria's figures (`standingOf`: tiers,
// status, grace end, next tier and whether near-promotion holds, risks, benefits, ledger
// totals), the history runs (the last one is open, so it names no as-of day), the tier changes
// (decisions), the ledger lines (hence totals), and the set of notification deduplication keys
// (the outbox holds one row per key). The stored scorecard itself stays exact for its as-of day.
// NEXT_CHANGE_RUNS=600 runs each property deeper: at that depth, removing any one candidate
// of nextChangeDay but the redundant "fact dated after T" made one of them fail.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notificationRequests } from '../../domain/alerts.ts';
import { dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { historyRuns } from '../../domain/evaluation/history-diff.ts';
import { nextChangeDay, standingOf } from '../../domain/evaluation/next-change.ts';
import { evaluatePartner, type PartnerEvaluation } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import type { PartnerFacts } from '../../domain/facts/types.ts';
import { loadProgramTexts, versionIndexOn, type ProgramSet } from '../../domain/program/load.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { generateHistory } from '../../tools/generate/history.ts';

const UNTIL = '2026-11-23';
const base = JSON.parse(readFileSync('examples/acme/program.json', 'utf8')) as Record<string, unknown>;
const TIERS = ['registered', 'silver', 'gold', 'member', 'elite', 'nowhere'];

interface Variant {
  grace: number;
  hold: number;
  quarter: boolean;
  review: number | null;
  horizon: number;
  /** A second version from T + this many days (null: one version), with a tier renamed. */
  secondFrom: number | null;
}

function programOf(v: Variant, asOf: Day): ProgramSet {
  const policy = {
    demotionGraceDays: v.grace,
    holdAfterPromotionDays: v.hold,
    demotionsOn: v.quarter ? 'quarter-start' : 'any-day',
    ...(v.review === null ? {} : { demotionReview: { autoApproveAfterDays: v.review } }),
  };
  const first = {
    ...base,
    policy,
    alerts: { ...(base.alerts as object), atRiskHorizonDays: v.horizon },
    effectiveFrom: '2020-01-01',
  };
  const docs: unknown[] = [first];
  if (v.secondFrom !== null) {
    const text = JSON.stringify({ ...first, version: '2', effectiveFrom: formatDay(asOf + v.secondFrom) });
    docs.push(JSON.parse(text.replaceAll('"silver"', '"silver2"')));
  }
  const loaded = loadProgramTexts([{ name: 'p', text: JSON.stringify(docs) }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

const bigints = (_: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

/** What a recompute on `day` would store, but for the as-of day itself. */
function stored(set: ProgramSet, facts: PartnerFacts, e: PartnerEvaluation, day: Day): string {
  const program = set.versions[versionIndexOn(set, day)]?.program;
  if (!program) throw new Error('no version');
  const keys = notificationRequests({
    partnerId: facts.partnerId,
    program,
    today: day,
    terminated: facts.profile?.status === 'terminated',
    changes: e.changes,
    scorecard: e.scorecard,
    history: e.history,
  }).map((r) => r.dedupKey);
  return JSON.stringify(
    {
      scorecard: standingOf(e.scorecard, program.alerts.nearPromotionWithin),
      history: historyRuns(e.history),
      changes: e.changes,
      ledger: e.ledger,
      notifications: [...new Set(keys)].sort(),
    },
    bigints,
  );
}

const variant = fc.record({
  grace: fc.integer({ min: 0, max: 60 }),
  hold: fc.integer({ min: 0, max: 120 }),
  quarter: fc.boolean(),
  review: fc.option(fc.integer({ min: 1, max: 20 }), { freq: 2 }),
  horizon: fc.integer({ min: 0, max: 60 }),
  secondFrom: fc.option(fc.integer({ min: -30, max: 90 })),
});
const override = fc.record({
  tier: fc.constantFrom(...TIERS),
  from: fc.integer({ min: -60, max: 60 }),
  length: fc.integer({ min: 0, max: 60 }),
});
const review = fc.record({
  tier: fc.constantFrom('silver', 'gold', 'silver2', 'elite'),
  decision: fc.constantFrom('approve' as const, 'reject' as const),
  on: fc.integer({ min: -5, max: 40 }),
});
/** Days checked after T at most (a null next-change day is checked this far). */
const SPAN = 75;

type RawOverride = { tier: string; from: number; length: number };
type RawReview = { tier: string; decision: 'approve' | 'reject'; on: number };

/** Skipped days on which the metric values differ from T's (the standing rule at work). */
let figuresOnly = 0;

/** Checks every partner of the batch; returns how many later days were compared. */
function checkAll(
  set: ProgramSet,
  batch: BatchEvaluation,
  asOf: Day,
  rawOverrides: readonly RawOverride[],
  rawReviews: readonly RawReview[],
): number {
  let checked = 0;
  for (const id of batch.partnerIds()) {
    const facts = batch.folder.partners.get(id);
    if (!facts) continue;
    const overrides: OverrideRule[] = rawOverrides.map((o) => ({
      tier: o.tier,
      from: asOf + o.from,
      until: asOf + o.from + o.length,
    }));
    const reviews: ReviewDecision[] = rawReviews.map((r) => ({
      partnerId: id,
      fromTier: r.tier,
      decision: r.decision,
      on: asOf + r.on,
      by: 'test',
      reason: 'test',
    }));
    const evaluation = evaluatePartner(set, facts, asOf, overrides, reviews);
    const next = nextChangeDay({ set, facts, asOf, overrides, reviews, evaluation });
    expect(next === null || next > asOf).toBe(true);
    const want = stored(set, facts, evaluation, asOf);
    const last = Math.min(next ?? Infinity, asOf + SPAN + 1);
    for (let day = asOf + 1; day < last; day++) {
      const later = evaluatePartner(set, facts, day, overrides, reviews);
      const got = stored(set, facts, later, day);
      if (got !== want) expect({ id, asOf: formatDay(asOf), day: formatDay(day), got }).toEqual({ want });
      if (JSON.stringify(later.scorecard.metrics) !== JSON.stringify(evaluation.scorecard.metrics)) figuresOnly++;
      checked++;
    }
  }
  return checked;
}

/** A few large facts near T, so edges are far apart and grace, hold, review, risk horizon and near-promotion show. */
const sparse = fc.record({
  type: fc.constantFrom('reseller', 'referral'),
  deals: fc.array(
    fc.record({
      closed: fc.integer({ min: -400, max: 40 }),
      amount: fc.constantFrom('60000.00', '180000.00', '240000.00', '300000.00', '1100000.00'),
      customer: fc.integer({ min: 1, max: 12 }),
    }),
    { maxLength: 6 },
  ),
  certs: fc.array(
    fc.record({
      person: fc.integer({ min: 1, max: 7 }),
      cert: fc.constantFrom('sales-associate', 'sales-expert', 'tech-expert'),
      earned: fc.integer({ min: -500, max: 20 }),
      lasts: fc.option(fc.integer({ min: 5, max: 600 })),
    }),
    { maxLength: 8 },
  ),
});

function sparseBatch(set: ProgramSet, asOf: Day, h: typeof sparse extends fc.Arbitrary<infer T> ? T : never) {
  const batch = new BatchEvaluation(set);
  const at = `${UNTIL}T00:00:00Z`;
  const partnerId = 'S-1';
  batch.addObject({
    id: 'p',
    source: 'crm',
    type: 'partner.upserted',
    occurredAt: at,
    partnerId,
    data: { name: 'S', partnerType: h.type, version: 1, contacts: [{ email: 's@example.com' }] },
  });
  h.deals.forEach((d, i) =>
    batch.addObject({
      id: `d${i}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: at,
      partnerId,
      data: {
        dealId: `D${i}`,
        stage: 'closed_won',
        amount: d.amount,
        currency: 'USD',
        customerId: `C${d.customer}`,
        registeredAt: formatDay(asOf + d.closed - 20),
        closedAt: formatDay(asOf + d.closed),
        version: 1,
      },
    }),
  );
  h.certs.forEach((c, i) =>
    batch.addObject({
      id: `c${i}`,
      source: 'lms',
      type: 'certification.earned',
      occurredAt: at,
      partnerId,
      data: {
        personId: `X${c.person}`,
        certificationId: c.cert,
        earnedAt: formatDay(asOf + c.earned),
        ...(c.lasts === null ? {} : { expiresAt: formatDay(asOf + c.earned + c.lasts) }),
      },
    }),
  );
  expect(batch.invalid).toEqual([]);
  return batch;
}

describe('nextChangeDay', () => {
  it('nothing stored changes on the days strictly between T and the next-change day', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: -600, max: 60 }),
        fc.integer({ min: 2, max: 40 }),
        variant,
        fc.array(override, { maxLength: 2 }),
        fc.array(review, { maxLength: 3 }),
        (seed, back, events, v, rawOverrides, rawReviews) => {
          const asOf = dayOrThrow(UNTIL) + back;
          const set = programOf(v, asOf);
          const batch = new BatchEvaluation(set);
          for (const e of generateHistory({ partners: 3, seed, until: UNTIL, months: 18, eventsPerPartner: events }))
            batch.addObject(e);
          checked += checkAll(set, batch, asOf, rawOverrides, rawReviews);
        },
      ),
      { numRuns: Number(process.env.NEXT_CHANGE_RUNS ?? 50) },
    );
    // Not vacuous: many skipped days were actually compared, some with other metric values.
    expect(checked).toBeGreaterThan(200);
    expect(figuresOnly).toBeGreaterThan(0);
  }, 300_000);
  it('holds for sparse histories, where grace, hold, reviews and dated risks last long enough to matter', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: -60, max: 60 }),
        sparse,
        variant,
        fc.array(override, { maxLength: 1 }),
        fc.array(review, { maxLength: 3 }),
        (back, h, v, rawOverrides, rawReviews) => {
          const asOf = dayOrThrow(UNTIL) + back;
          const set = programOf(v, asOf);
          checked += checkAll(set, sparseBatch(set, asOf, h), asOf, rawOverrides, rawReviews);
        },
      ),
      { numRuns: Number(process.env.NEXT_CHANGE_RUNS ?? 200) },
    );
    expect(checked).toBeGreaterThan(200);
  }, 300_000);
});

describe('nextChangeDay, a calendar window restarting under a shown-nothing risk walk', () => {
  it('a month start after which a fall shows as a risk is a next-change day (the walk freezes calendar windows)', () => {
    // Gold by revenue12m (1.2 M) and by mrr (100 k this month); the revenue leaves its window on
    // T + 65. Walked from T (mrr held at 100 k) gold never falls: no risk. From the month start
    // on, mrr is 0 and the fall of T + 65 shows 30 days ahead: the standing changes on T + 35
    // while the qualified tier and the metrics' standing do not move on the month start.
    const asOf = dayOrThrow(UNTIL);
    const v: Variant = { grace: 30, hold: 0, quarter: false, review: null, horizon: 30, secondFrom: null };
    const set = programOf(v, asOf);
    const batch = new BatchEvaluation(set);
    const at = `${UNTIL}T00:00:00Z`;
    const partnerId = 'M-1';
    const add = (id: string, source: string, type: string, data: Record<string, unknown>): void =>
      batch.addObject({ id, source, type, occurredAt: at, partnerId, data });
    add('p', 'crm', 'partner.upserted', { name: 'M', partnerType: 'reseller', version: 1, contacts: [] });
    add('d', 'crm', 'deal.upserted', {
      dealId: 'D1',
      stage: 'closed_won',
      amount: '1200000.00',
      currency: 'USD',
      customerId: 'C1',
      registeredAt: formatDay(asOf - 300),
      closedAt: formatDay(asOf - 300),
      version: 1,
    });
    add('i', 'erp', 'invoice.booked', {
      invoiceId: 'I1',
      amount: '100000.00',
      currency: 'USD',
      bookedAt: formatDay(asOf - 5),
      recurring: true,
    });
    for (let p = 1; p <= 5; p++)
      add(`s${p}`, 'lms', 'certification.earned', {
        personId: `S${p}`,
        certificationId: 'sales-expert',
        earnedAt: '2025-01-01',
        expiresAt: '2028-12-31',
      });
    for (let p = 1; p <= 2; p++)
      add(`t${p}`, 'lms', 'certification.earned', {
        personId: `T${p}`,
        certificationId: 'tech-expert',
        earnedAt: '2025-01-01',
        expiresAt: '2028-12-31',
      });
    expect(batch.invalid).toEqual([]);
    const facts = batch.folder.partners.get(partnerId);
    if (!facts) throw new Error('no facts');
    const evaluation = evaluatePartner(set, facts, asOf);
    expect(evaluation.scorecard).toMatchObject({ qualifiedTier: 'gold', risks: [] });
    const later = evaluatePartner(set, facts, asOf + 40).scorecard;
    expect(later.qualifiedTier).toBe('gold');
    expect(later.risks.map((r) => r.on)).toEqual([formatDay(asOf + 65)]);
    // The first day of next month, not the day the risk shows.
    expect(formatDay(nextChangeDay({ set, facts, asOf, evaluation }) ?? 0)).toBe('2026-12-01');
    expect(checkAll(set, batch, asOf, [], [])).toBeGreaterThan(0);
  });
});
