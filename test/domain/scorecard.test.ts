// domain/evaluation/scorecard.ts through BatchEvaluation: small end-to-end cases built from
// events, expectations computed by hand from SPEC §2, §3, §3a and §5.
import { describe, expect, it } from 'vitest';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { PartnerEvaluation } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import type { Criterion, Policy } from '../../domain/program/schema.ts';
import {
  cert,
  credit,
  day,
  deal,
  departed,
  invoice,
  partner,
  programSet,
  revoked,
  specProgram,
  str,
  won,
} from './fixtures.ts';

const NEVER: Criterion = {
  allOf: [
    { metric: 'mrr', atLeast: '1000000000' },
    { metric: 'invoiced', atLeast: '1000000000' },
    { metric: 'invoiceCount', atLeast: '1000' },
    { metric: 'registrations12m', atLeast: '1000' },
    { metric: 'salesCertified', atLeast: '1000' },
    { metric: 'revenue12m', atLeast: '1000000000' },
  ],
};

interface Options {
  version?: string;
  effectiveFrom?: string;
  silver?: Criterion;
  gold?: Criterion;
  policy?: Partial<Policy>;
  horizon?: number;
  partnerTypes?: string[];
  registered?: Record<string, string>;
  silverBenefits?: Record<string, string>;
  tiers?: unknown[];
}

/** A small program: registered → silver (revenue12m ≥ 100000 unless given) → gold (never unless given). */
function doc(o: Options = {}) {
  return {
    id: 'test',
    version: o.version ?? '1',
    name: 'Test program',
    currency: 'USD',
    timezone: 'UTC',
    effectiveFrom: o.effectiveFrom ?? '2025-01-01',
    metrics: {
      revenue12m: { from: 'deals', aggregate: 'sum', field: 'amount', window: { trailing: 'P12M' } },
      registrations12m: { from: 'registrations', aggregate: 'count', window: { trailing: 'P12M' } },
      mrr: {
        from: 'invoices',
        aggregate: 'sum',
        field: 'amount',
        where: { recurring: true },
        window: { calendar: 'month' },
      },
      invoiced: { from: 'invoices', aggregate: 'sum', field: 'amount', window: { calendar: 'month' } },
      invoiceCount: { from: 'invoices', aggregate: 'count', window: { calendar: 'month' } },
      salesCertified: {
        from: 'certifications',
        aggregate: 'countDistinct',
        field: 'personId',
        where: { certificationId: ['sales'] },
        window: 'active',
      },
    },
    tracks: [
      {
        id: 'resell',
        partnerTypes: o.partnerTypes ?? ['reseller'],
        tiers: o.tiers ?? [
          {
            id: 'registered',
            name: 'Registered',
            criteria: null,
            benefits: o.registered ?? { commissionRate: '0.03' },
          },
          {
            id: 'silver',
            name: 'Silver',
            criteria: o.silver ?? { metric: 'revenue12m', atLeast: '100000' },
            benefits: o.silverBenefits ?? { commissionRate: '0.05', mdfRate: '0.01' },
          },
          {
            id: 'gold',
            name: 'Gold',
            criteria: o.gold ?? NEVER,
            benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
          },
        ],
      },
    ],
    policy: { demotionGraceDays: 90, holdAfterPromotionDays: 0, demotionsOn: 'any-day', ...o.policy },
    alerts: {
      nearPromotionWithin: '0.10',
      atRiskHorizonDays: o.horizon ?? 30,
      notifyChangesWithinDays: 7,
      settleMinutes: 10,
    },
  };
}

function batchOf(set: ProgramSet, events: unknown[]): BatchEvaluation {
  const batch = new BatchEvaluation(set);
  for (const e of events) batch.addObject(e);
  expect(batch.invalid).toEqual([]);
  return batch;
}

function evaluate(
  set: ProgramSet,
  events: unknown[],
  asOf: string,
  partnerId = 'P-1',
  overrides: OverrideRule[] = [],
): PartnerEvaluation {
  const result = batchOf(set, events).evaluate(partnerId, day(asOf), overrides);
  if (!result) throw new Error(`no evaluation for ${partnerId}`);
  return result;
}

const card = (set: ProgramSet, events: unknown[], asOf: string, overrides: OverrideRule[] = []) =>
  evaluate(set, events, asOf, 'P-1', overrides).scorecard;

const P1 = partner('P-1', 'reseller');

describe('trailing windows (D − P12M, D]', () => {
  const set = programSet(doc());
  const events = [
    P1,
    won('P-1', 'D1', '1000.00', '2025-11-23'),
    won('P-1', 'D2', '2000.00', '2025-11-24'),
    won('P-1', 'D3', '4000.00', '2026-11-24'),
  ];

  it.each([
    ['2026-11-22', '3000.00'], // both in
    ['2026-11-23', '2000.00'], // a deal on D − 12 months is out, the day after is in
    ['2026-11-24', '4000.00'], // D2 out, D3 on D is in
    ['2025-11-23', '1000.00'], // D3 is after D: not counted
  ])('as of %s revenue12m = %s', (asOf, expected) => {
    expect(card(set, events, asOf).metrics.revenue12m).toBe(expected);
  });

  it('a deal on 29 Feb leaves a P12M window on 1 Mar', () => {
    const leap = [P1, won('P-1', 'L', '500.00', '2024-02-29')];
    expect(card(set, leap, '2025-02-28').metrics.revenue12m).toBe('500.00');
    expect(card(set, leap, '2025-03-01').metrics.revenue12m).toBe('0.00');
  });

  it('only closed_won deals count, in their latest state', () => {
    const events2 = [
      P1,
      won('P-1', 'A', '150000.00', '2026-03-01', { version: 1 }),
      deal('P-1', { dealId: 'A', stage: 'closed_lost', amount: '150000.00', closedAt: '2026-03-01', version: 2 }),
      deal('P-1', { dealId: 'B', stage: 'open', amount: '5000.00', registeredAt: '2026-02-01' }),
    ];
    const c = card(set, events2, '2026-06-01');
    expect(c.metrics.revenue12m).toBe('0.00');
    // registrations count every deal whose latest state has registeredAt, whatever its stage
    expect(c.metrics.registrations12m).toBe('1');
    expect(c.effectiveTier).toBe('registered');
    expect(c.ledger).toEqual({ commission: '0.00', mdf: '0.00', rebate: '0.00' });
  });
});

describe('grace across the as-of day', () => {
  const set = programSet(doc());
  // silver from 2025-11-23; the deal leaves the window on 2026-11-23 → run S = 2026-11-23, N = 90
  const events = [P1, won('P-1', 'A', '100000.00', '2025-11-23')];

  it('the day before: qualified silver', () => {
    const c = card(set, events, '2026-11-22');
    expect(c).toMatchObject({
      qualifiedTier: 'silver',
      effectiveTier: 'silver',
      status: 'qualified',
      graceEndsOn: null,
    });
  });

  it('on S: grace, graceEndsOn = S + 89 = 2027-02-20', () => {
    const c = card(set, events, '2026-11-23');
    expect(c).toMatchObject({
      track: 'resell',
      qualifiedTier: 'registered',
      effectiveTier: 'silver',
      status: 'grace',
      graceEndsOn: '2027-02-20',
    });
    expect(c.benefits).toEqual({ commissionRate: '0.05', mdfRate: '0.01' });
    expect(c.next?.tier).toBe('silver');
  });

  it('the day before the demotion: still silver; on it: registered', () => {
    expect(card(set, events, '2027-02-19')).toMatchObject({
      effectiveTier: 'silver',
      status: 'grace',
      graceEndsOn: '2027-02-20',
    });
    expect(card(set, events, '2027-02-20')).toMatchObject({
      effectiveTier: 'registered',
      status: 'qualified',
      graceEndsOn: null,
    });
  });

  it('tier changes are dated', () => {
    const { changes } = evaluate(set, events, '2027-03-01');
    expect(changes.map((c) => [str(c.day), c.kind, c.from, c.to])).toEqual([
      ['2025-11-23', 'promoted', 'registered', 'silver'],
      ['2027-02-20', 'demoted', 'silver', 'registered'],
    ]);
  });

  it('hold after promotion: status hold, graceEndsOn = last promotion + H', () => {
    const held = programSet(doc({ policy: { demotionGraceDays: 10, holdAfterPromotionDays: 400 } }));
    // promoted 2025-11-23; + 400 days = 2026-12-28; run from 2026-11-23 would end 2026-12-02
    expect(card(held, events, '2026-11-23')).toMatchObject({
      status: 'hold',
      effectiveTier: 'silver',
      graceEndsOn: '2026-12-28',
    });
    expect(card(held, events, '2026-12-27')).toMatchObject({ status: 'hold', effectiveTier: 'silver' });
    expect(card(held, events, '2026-12-28')).toMatchObject({ status: 'qualified', effectiveTier: 'registered' });
  });

  it('quarter-start: graceEndsOn moved to the next quarter start', () => {
    const q = programSet(doc({ policy: { demotionGraceDays: 10, demotionsOn: 'quarter-start' } }));
    // due 2026-12-02 → 2027-01-01
    expect(card(q, events, '2026-11-23')).toMatchObject({ status: 'grace', graceEndsOn: '2027-01-01' });
    expect(card(q, events, '2026-12-31')).toMatchObject({
      status: 'grace',
      effectiveTier: 'silver',
      graceEndsOn: '2027-01-01',
    });
    expect(card(q, events, '2027-01-01')).toMatchObject({ status: 'qualified', effectiveTier: 'registered' });
  });
});

describe('certifications (rule 14)', () => {
  const set = programSet(doc({ silver: { metric: 'salesCertified', atLeast: '1' }, policy: { demotionGraceDays: 0 } }));

  it('active from earnedAt; expired on its expiresAt day', () => {
    const events = [
      P1,
      cert('P-1', 'u1', 'sales', '2026-01-10', '2026-06-30'),
      cert('P-1', 'u9', 'other', '2026-01-10'),
    ];
    expect(card(set, events, '2026-01-09').metrics.salesCertified).toBe('0');
    expect(card(set, events, '2026-01-10').metrics.salesCertified).toBe('1');
    expect(card(set, events, '2026-06-29')).toMatchObject({
      metrics: { salesCertified: '1' },
      qualifiedTier: 'silver',
    });
    expect(card(set, events, '2026-06-30')).toMatchObject({
      metrics: { salesCertified: '0' },
      qualifiedTier: 'registered',
      effectiveTier: 'registered',
    });
  });

  it('a revocation ends it; re-earning counts again; a revocation before earnedAt does not apply', () => {
    const events = [
      P1,
      cert('P-1', 'u1', 'sales', '2026-01-10'),
      revoked('P-1', 'u1', 'sales', '2026-03-01'),
      cert('P-1', 'u1', 'sales', '2026-04-01'),
      revoked('P-1', 'u2', 'sales', '2026-02-01'),
      cert('P-1', 'u2', 'sales', '2026-05-01'),
      revoked('P-1', 'u1', 'other', '2026-01-20'),
    ];
    expect(card(set, events, '2026-02-28').metrics.salesCertified).toBe('1');
    expect(card(set, events, '2026-03-01').metrics.salesCertified).toBe('0');
    expect(card(set, events, '2026-03-31').metrics.salesCertified).toBe('0');
    expect(card(set, events, '2026-04-01').metrics.salesCertified).toBe('1');
    expect(card(set, events, '2026-05-01').metrics.salesCertified).toBe('2');
  });

  it('a departure is permanent', () => {
    const events = [
      P1,
      cert('P-1', 'u1', 'sales', '2026-01-10'),
      cert('P-1', 'u2', 'sales', '2026-01-10'),
      departed('P-1', 'u1', '2026-03-01'),
      cert('P-1', 'u1', 'sales', '2026-04-01'),
    ];
    expect(card(set, events, '2026-02-28').metrics.salesCertified).toBe('2');
    expect(card(set, events, '2026-03-01').metrics.salesCertified).toBe('1');
    expect(card(set, events, '2026-04-15').metrics.salesCertified).toBe('1');
  });

  it('a departure from another partner does not count', () => {
    const events = [P1, cert('P-1', 'u1', 'sales', '2026-01-10'), departed('P-2', 'u1', '2026-03-01')];
    expect(card(set, events, '2026-04-15').metrics.salesCertified).toBe('1');
  });
});

describe('invoices, credits and calendar months (rule 13)', () => {
  const set = programSet(doc());
  const events = [
    P1,
    invoice('P-1', 'I-4', '700.00', '2026-10-31', true),
    invoice('P-1', 'I-1', '1000.00', '2026-10-05', true),
    invoice('P-1', 'I-2', '5000.00', '2026-11-02', true),
    invoice('P-1', 'I-3', '300.00', '2026-11-03', false),
    credit('P-1', 'I-1', 'C-1', '200.00', '2026-11-10'),
    credit('P-1', 'I-3', 'C-2', '100.00', '2026-11-04'),
    credit('P-1', 'I-9', 'C-3', '50.00', '2026-11-12'),
  ];

  it.each([
    // October: I-1 + I-4
    ['2026-10-31', { mrr: '1700.00', invoiced: '1700.00', invoiceCount: '2' }],
    // a new month starts empty
    ['2026-11-01', { mrr: '0.00', invoiced: '0.00', invoiceCount: '0' }],
    // November: I-2 − C-1 (recurring from I-1, an October invoice); C-2 of a non-recurring invoice and
    // C-3 of an unknown invoice match no recurring filter; credits are not counted invoices
    ['2026-11-23', { mrr: '4800.00', invoiced: '4950.00', invoiceCount: '2' }],
    ['2026-11-09', { mrr: '5000.00', invoiced: '5200.00', invoiceCount: '2' }],
  ])('as of %s: %j', (asOf, expected) => {
    expect(card(set, events, asOf).metrics).toMatchObject(expected);
  });

  it('a credit alone makes the month negative', () => {
    const events2 = [
      P1,
      invoice('P-1', 'I-1', '1000.00', '2026-10-05', true),
      credit('P-1', 'I-1', 'C-1', '200.00', '2026-11-10'),
    ];
    expect(card(set, events2, '2026-11-23').metrics.mrr).toBe('-200.00');
  });

  it('a credit takes recurring from its invoice whatever that invoice’s date', () => {
    const events2 = [
      P1,
      invoice('P-1', 'I-6', '500.00', '2026-12-05', true),
      credit('P-1', 'I-6', 'C-6', '100.00', '2026-11-10'),
    ];
    expect(card(set, events2, '2026-11-23').metrics.mrr).toBe('-100.00');
  });

  it('credits convert at their own fxRate', () => {
    const events2 = [
      P1,
      invoice('P-1', 'I-5', '100.00', '2026-12-01', true, { currency: 'EUR', fxRate: '1.10' }),
      credit('P-1', 'I-5', 'C-5', '100.00', '2026-12-15', { currency: 'EUR', fxRate: '1.20' }),
    ];
    expect(card(set, events2, '2026-12-20').metrics.mrr).toBe('-10.00');
  });
});

describe('ledger (SPEC §5)', () => {
  it('accrues at the effective tier on closedAt, the higher tier during grace', () => {
    const set = programSet(doc());
    const events = [
      P1,
      won('P-1', 'A', '100000.00', '2025-01-15'), // silver from 2025-01-15; leaves the window 2026-01-15
      won('P-1', 'B', '1000.00', '2026-02-01'), // in grace (S = 2026-01-15): silver
      won('P-1', 'D', '1000.00', '2026-04-13'), // last day of grace: silver
      won('P-1', 'C', '1000.00', '2026-04-14'), // S + 89: demoted, registered
    ];
    expect(card(set, events, '2026-04-13')).toMatchObject({
      status: 'grace',
      effectiveTier: 'silver',
      graceEndsOn: '2026-04-14',
    });
    const result = evaluate(set, events, '2026-05-01');
    expect(result.scorecard.effectiveTier).toBe('registered');
    // commission 5000 + 50 + 50 + 30; mdf 1000 + 10 + 10
    expect(result.scorecard.ledger).toEqual({ commission: '5130.00', mdf: '1020.00', rebate: '0.00' });
    const tierByDeal = Object.fromEntries(
      result.ledger.filter((l) => l.benefit === 'commission').map((l) => [l.dealId, l.tierId]),
    );
    expect(tierByDeal).toEqual({ A: 'silver', B: 'silver', C: 'registered', D: 'silver' });
  });

  it('rounds half-even per entry', () => {
    const set = programSet(doc());
    const events = [
      P1,
      won('P-1', 'big', '100000.00', '2026-01-10'),
      won('P-1', 's1', '0.50', '2026-02-01'), // commission 0.025 → 0.02, mdf 0.005 → 0.00
      won('P-1', 's2', '0.50', '2026-02-01'), // same
      won('P-1', 's3', '0.30', '2026-02-01'), // commission 0.015 → 0.02, mdf 0.003 → 0.00
    ];
    // per entry: 5000.00 + 0.06 and 1000.00 + 0; rounding the sum would give mdf 1000.01
    expect(card(set, events, '2026-03-01').ledger).toEqual({ commission: '5000.06', mdf: '1000.00', rebate: '0.00' });
  });

  it('deals closed after the as-of day are not in the ledger; foreign deals accrue on their converted amount', () => {
    const set = programSet(doc());
    const events = [
      P1,
      won('P-1', 'eur', '100.00', '2026-02-01', { currency: 'EUR', fxRate: '1.08425' }), // 108.42 USD × 0.03 = 3.2526 → 3.25
      won('P-1', 'late', '1000.00', '2026-03-02'),
    ];
    expect(card(set, events, '2026-03-01').ledger).toEqual({ commission: '3.25', mdf: '0.00', rebate: '0.00' });
  });
});

describe('program versions (rule 18)', () => {
  const v1 = doc({ version: '1', effectiveFrom: '2025-01-01' });

  it('a tier id missing from the later version restarts the partner at the entry tier', () => {
    const v2 = doc({
      version: '2',
      effectiveFrom: '2026-01-01',
      tiers: [
        { id: 'registered', name: 'Registered', criteria: null, benefits: { commissionRate: '0.04' } },
        {
          id: 'premier',
          name: 'Premier',
          criteria: { metric: 'revenue12m', atLeast: '1000000' },
          benefits: { commissionRate: '0.10' },
        },
      ],
    });
    const set = programSet(v1, v2);
    const events = [P1, won('P-1', 'A', '150000.00', '2025-06-01'), won('P-1', 'B', '1000.00', '2026-01-05')];
    expect(card(set, events, '2025-12-31')).toMatchObject({
      program: { id: 'test', version: '1' },
      effectiveTier: 'silver',
    });
    const result = evaluate(set, events, '2026-01-10');
    expect(result.scorecard).toMatchObject({
      program: { id: 'test', version: '2' },
      qualifiedTier: 'registered',
      effectiveTier: 'registered',
      status: 'qualified',
      graceEndsOn: null,
      benefits: { commissionRate: '0.04' },
    });
    // A at v1 silver (7500.00, 1500.00); B at v2 registered (40.00)
    expect(result.scorecard.ledger).toEqual({ commission: '7540.00', mdf: '1500.00', rebate: '0.00' });
    expect(result.changes.map((c) => [str(c.day), c.kind, c.from, c.to])).toContainEqual([
      '2026-01-01',
      'restarted',
      'silver',
      'registered',
    ]);
  });

  it('a tier kept by the later version keeps the partner there; its new criteria start a grace run; rates follow the version on closedAt', () => {
    const v2 = doc({
      version: '2',
      effectiveFrom: '2026-01-01',
      silver: { metric: 'revenue12m', atLeast: '500000' },
      silverBenefits: { commissionRate: '0.06', mdfRate: '0.02' },
    });
    const set = programSet(v1, v2);
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2025-06-01'),
      won('P-1', 'E', '1000.00', '2025-12-31'),
      won('P-1', 'B', '1000.00', '2026-01-05'),
    ];
    const c = card(set, events, '2026-01-10');
    // run from 2026-01-01, N = 90 → 2026-03-31
    expect(c).toMatchObject({
      program: { version: '2' },
      qualifiedTier: 'registered',
      effectiveTier: 'silver',
      status: 'grace',
      graceEndsOn: '2026-03-31',
    });
    expect(c.benefits).toEqual({ commissionRate: '0.06', mdfRate: '0.02' });
    // A 7500.00 + E 50.00 (v1 silver) + B 60.00 (v2 silver); mdf 1500.00 + 10.00 + 20.00
    expect(c.ledger).toEqual({ commission: '7610.00', mdf: '1530.00', rebate: '0.00' });
  });

  it('days before the first effectiveFrom use the first version', () => {
    const v2 = doc({ version: '2', effectiveFrom: '2026-01-01' });
    const set = programSet(v1, v2);
    const events = [P1, won('P-1', 'A', '150000.00', '2024-06-01')];
    const c = card(set, events, '2024-06-01');
    expect(c).toMatchObject({ program: { version: '1' }, effectiveTier: 'silver', status: 'qualified' });
    expect(c.ledger).toEqual({ commission: '7500.00', mdf: '1500.00', rebate: '0.00' });
  });

  it('no track on the as-of day: status none, but the ledger keeps the deals at their tier on closedAt', () => {
    const v2 = doc({ version: '2', effectiveFrom: '2026-01-01', partnerTypes: ['msp'] });
    const set = programSet(v1, v2);
    const c = card(set, [P1, won('P-1', 'A', '150000.00', '2025-06-01')], '2026-02-01');
    expect(c).toMatchObject({
      status: 'none',
      track: null,
      qualifiedTier: null,
      effectiveTier: null,
      graceEndsOn: null,
      next: null,
      risks: [],
    });
    expect(c.ledger).toEqual({ commission: '7500.00', mdf: '1500.00', rebate: '0.00' });
  });
});

describe('overrides (rule 19)', () => {
  const o = (tier: string, from: string, until: string): OverrideRule => ({
    tier,
    from: day(from),
    until: day(until),
    reason: 'test',
    by: 'tester',
  });
  const events = [
    P1,
    won('P-1', 'feb28', '1000.00', '2026-02-28'),
    won('P-1', 'mar01', '1000.00', '2026-03-01'),
    won('P-1', 'mar10', '1000.00', '2026-03-10'),
    won('P-1', 'mar11', '1000.00', '2026-03-11'),
  ];

  it('apply from..until inclusive', () => {
    const set = programSet(doc({ policy: { demotionGraceDays: 0 } }));
    const overrides = [o('silver', '2026-03-01', '2026-03-10')];
    expect(card(set, events, '2026-02-28', overrides)).toMatchObject({
      status: 'qualified',
      effectiveTier: 'registered',
    });
    expect(card(set, events, '2026-03-01', overrides)).toMatchObject({
      status: 'override',
      effectiveTier: 'silver',
      qualifiedTier: 'registered',
      graceEndsOn: null,
    });
    expect(card(set, events, '2026-03-10', overrides)).toMatchObject({ status: 'override', effectiveTier: 'silver' });
    const after = card(set, events, '2026-03-11', overrides);
    expect(after).toMatchObject({ status: 'qualified', effectiveTier: 'registered' });
    // feb28 30.00 + mar01 50.00 + mar10 50.00 + mar11 30.00; mdf on the two silver days
    expect(after.ledger).toEqual({ commission: '160.00', mdf: '20.00', rebate: '0.00' });
  });

  it('after the override the walk continues from the overridden tier with a fresh grace run', () => {
    const set = programSet(doc());
    const c = card(set, events, '2026-03-11', [o('silver', '2026-03-01', '2026-03-10')]);
    // run from 2026-03-11, N = 90 → 2026-06-08
    expect(c).toMatchObject({ status: 'grace', effectiveTier: 'silver', graceEndsOn: '2026-06-08' });
  });

  it('a tier the track lacks has no effect; overlapping overrides: the later one wins', () => {
    const set = programSet(doc({ policy: { demotionGraceDays: 0 } }));
    expect(card(set, events, '2026-03-05', [o('platinum', '2026-03-01', '2026-03-10')])).toMatchObject({
      status: 'qualified',
      effectiveTier: 'registered',
    });
    const overlapping = [o('silver', '2026-03-01', '2026-03-10'), o('gold', '2026-03-05', '2026-03-06')];
    expect(card(set, events, '2026-03-05', overlapping)).toMatchObject({ status: 'override', effectiveTier: 'gold' });
    expect(card(set, events, '2026-03-07', overlapping)).toMatchObject({ status: 'override', effectiveTier: 'silver' });
  });
});

describe('partners without a track', () => {
  const zero = { commission: '0.00', mdf: '0.00', rebate: '0.00' };

  it('no partner.upserted: listed, status none, null tiers, zero ledger', () => {
    const set = programSet(doc());
    const batch = batchOf(set, [won('P-9', 'A', '150000.00', '2026-01-05'), cert('P-9', 'u1', 'sales', '2026-01-01')]);
    expect(batch.partnerIds()).toEqual(['P-9']);
    const c = batch.evaluate('P-9', day('2026-02-01'))?.scorecard;
    expect(c).toMatchObject({
      partnerId: 'P-9',
      asOf: '2026-02-01',
      status: 'none',
      track: null,
      qualifiedTier: null,
      effectiveTier: null,
      graceEndsOn: null,
      next: null,
      risks: [],
    });
    expect(c?.ledger).toEqual(zero);
    expect(c?.benefits).toEqual({});
  });

  it('a partnerType with no track: status none, zero ledger', () => {
    const set = programSet(doc());
    const c = evaluate(
      set,
      [partner('P-1', 'distributor'), won('P-1', 'A', '150000.00', '2026-01-05')],
      '2026-02-01',
    ).scorecard;
    expect(c).toMatchObject({ status: 'none', track: null, qualifiedTier: null, effectiveTier: null });
    expect(c.ledger).toEqual(zero);
  });

  it('the highest partner.upserted version decides the track for the whole history', () => {
    const set = programSet(doc());
    const events = [
      partner('P-1', 'distributor', { version: 1 }),
      won('P-1', 'A', '150000.00', '2025-06-01'),
      partner('P-1', 'reseller', { version: 2 }),
    ];
    const c = card(set, events, '2026-02-01');
    expect(c.track).toBe('resell');
    expect(c.ledger).toEqual({ commission: '7500.00', mdf: '1500.00', rebate: '0.00' });
  });

  it('a partner with no fact on or before D is evaluated on D alone', () => {
    const set = programSet(doc());
    const c = card(set, [P1, won('P-1', 'A', '150000.00', '2026-06-01')], '2026-02-01');
    expect(c).toMatchObject({
      status: 'qualified',
      effectiveTier: 'registered',
      qualifiedTier: 'registered',
      metrics: { revenue12m: '0.00' },
    });
    expect(c.ledger).toEqual(zero);
  });
});

describe('business days and status', () => {
  it('timestamps with offset count on their day in the program timezone', () => {
    const ny = programSet({ ...doc(), timezone: 'America/New_York' });
    const utc = programSet(doc());
    const events = [P1, won('P-1', 'A', '150000.00', '2026-11-20T23:30:00-05:00')];
    // 2026-11-20 in New York, 2026-11-21 in UTC
    expect(card(ny, events, '2026-11-20')).toMatchObject({
      effectiveTier: 'silver',
      metrics: { revenue12m: '150000.00' },
    });
    expect(card(utc, events, '2026-11-20')).toMatchObject({
      effectiveTier: 'registered',
      metrics: { revenue12m: '0.00' },
    });
    expect(card(utc, events, '2026-11-21')).toMatchObject({ effectiveTier: 'silver' });
  });

  it('a terminated partner is still evaluated', () => {
    const set = programSet(doc());
    const c = card(
      set,
      [partner('P-1', 'reseller', { status: 'terminated' }), won('P-1', 'A', '150000.00', '2026-06-01')],
      '2026-07-01',
    );
    expect(c).toMatchObject({ status: 'qualified', effectiveTier: 'silver' });
    expect(c.ledger.commission).toBe('7500.00');
  });

  it('a conflicting redelivery is not applied', () => {
    const set = programSet(doc());
    const batch = batchOf(set, [
      P1,
      won('P-1', 'A', '150000.00', '2026-06-01', {}),
      { ...won('P-1', 'A', '1.00', '2026-06-01', { version: 9 }), id: 'dup' },
      { ...won('P-1', 'A', '2.00', '2026-06-01', { version: 10 }), id: 'dup' },
    ]);
    expect(batch.counts).toMatchObject({ accepted: 3, conflict: 1 });
    expect(batch.evaluate('P-1', day('2026-07-01'))?.scorecard.metrics.revenue12m).toBe('1.00');
  });
});

describe('risks (rule 11)', () => {
  const allOf = programSet(
    doc({
      silver: {
        allOf: [
          { metric: 'revenue12m', atLeast: '100000' },
          { metric: 'salesCertified', atLeast: '2' },
        ],
      },
    }),
  );
  const anyOf = programSet(
    doc({
      silver: {
        anyOf: [
          { metric: 'revenue12m', atLeast: '100000' },
          { metric: 'salesCertified', atLeast: '2' },
        ],
      },
    }),
  );
  const risksOf = (set: ProgramSet, events: unknown[], asOf = '2026-11-23') =>
    card(set, events, asOf).risks.map((r) => [r.kind, r.on]);

  it('certification-expiring on the day the certification expires', () => {
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2026-06-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-10'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
    ];
    const c = card(allOf, events, '2026-11-23');
    expect(c.qualifiedTier).toBe('silver');
    expect(c.risks.map((r) => [r.kind, r.on])).toEqual([['certification-expiring', '2026-12-10']]);
    expect(c.risks[0]?.detail).toEqual(expect.any(String));
    expect(c.risks[0]?.detail.length).toBeGreaterThan(0);
    // The structured fields emails are worded from (never by parsing detail).
    expect(c.risks[0]).toMatchObject({
      tier: 'silver',
      fallsTo: 'registered',
      metrics: [{ metric: 'salesCertified', from: '2', to: '1', leaving: '1' }],
      certifications: ['sales'],
    });
  });

  it('window-roll-off on the first day the deal is outside the window', () => {
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2025-12-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
    ];
    expect(risksOf(allOf, events)).toEqual([['window-roll-off', '2026-12-01']]);
  });

  it('both kinds on the same day, each enough alone', () => {
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2025-12-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-01'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
    ];
    expect(risksOf(allOf, events).sort()).toEqual([
      ['certification-expiring', '2026-12-01'],
      ['window-roll-off', '2026-12-01'],
    ]);
  });

  it('a fall that needs both kinds lists both, on the day the second one lands', () => {
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2025-12-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-05'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
    ];
    expect(risksOf(anyOf, events).sort()).toEqual([
      ['certification-expiring', '2026-12-05'],
      ['window-roll-off', '2026-12-05'],
    ]);
  });

  it('a kind whose changes do not cause the fall is not listed', () => {
    // three certified people, one expiring with the roll-off: 3 → 2 still meets ≥ 2
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2025-12-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-01'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
      cert('P-1', 'u3', 'sales', '2026-01-01'),
    ];
    expect(risksOf(allOf, events)).toEqual([['window-roll-off', '2026-12-01']]);
  });

  it('the horizon is D+1 .. D+atRiskHorizonDays', () => {
    const make = (expires: string) => [
      P1,
      won('P-1', 'A', '150000.00', '2026-06-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', expires),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
    ];
    expect(risksOf(allOf, make('2026-12-23'))).toEqual([['certification-expiring', '2026-12-23']]);
    expect(risksOf(allOf, make('2026-12-24'))).toEqual([]);
  });

  it('a calendar window restarting is not a risk', () => {
    const set = programSet(doc({ silver: { metric: 'mrr', atLeast: '1000' } }));
    const c = card(set, [P1, invoice('P-1', 'I-1', '1000.00', '2026-11-05', true)], '2026-11-23');
    expect(c.qualifiedTier).toBe('silver');
    expect(c.risks).toEqual([]);
  });

  it('facts dated after D are not used: a certification earned after D does not hide the fall', () => {
    const events = [
      P1,
      won('P-1', 'A', '150000.00', '2026-06-01'),
      cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-10'),
      cert('P-1', 'u2', 'sales', '2026-01-01'),
      cert('P-1', 'u3', 'sales', '2026-12-01'),
    ];
    expect(risksOf(allOf, events)).toEqual([['certification-expiring', '2026-12-10']]);
  });

  it('at the entry tier there is nothing to fall from', () => {
    expect(risksOf(allOf, [P1, cert('P-1', 'u1', 'sales', '2026-01-01', '2026-12-10')])).toEqual([]);
  });
});

describe('the SPEC §5 example, rebuilt from events', () => {
  const set = programSet(specProgram());
  const events = [
    partner('P-00042', 'reseller'),
    // revenue12m ≥ 1,000,000 from 2026-06-01 until 2025-10-17's deal leaves the window on 2026-10-17
    won('P-00042', 'D-0', '100000.00', '2025-10-17'),
    won('P-00042', 'D-1', '912000.00', '2026-06-01'),
    ...['s1', 's2', 's3', 's4'].map((p) => cert('P-00042', p, 'sales-associate', '2026-01-15', '2026-12-10')),
    cert('P-00042', 's5', 'sales-expert', '2026-01-15'),
    cert('P-00042', 't1', 'tech-expert', '2026-01-15'),
    cert('P-00042', 't2', 'tech-expert', '2026-01-15', '2026-10-17'),
  ];

  it('gold in grace since 2026-10-17, with the example’s next, risk, benefits', () => {
    const c = evaluate(set, events, '2026-11-23', 'P-00042').scorecard;
    expect(c).toMatchObject({
      partnerId: 'P-00042',
      asOf: '2026-11-23',
      program: { id: 'acme', version: '2027.1' },
      track: 'resell',
      qualifiedTier: 'silver',
      effectiveTier: 'gold',
      status: 'grace',
      graceEndsOn: '2027-01-14',
      benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
    });
    expect(c.metrics).toEqual({ revenue12m: '912000.00', salesCertified: '5', techCertified: '1', mrr: '0.00' });
    expect(c.next).toEqual({
      tier: 'gold',
      unmet: [
        {
          path: 'allOf[0].anyOf[0]',
          metric: 'revenue12m',
          actual: '912000.00',
          required: '1000000',
          shortBy: '88000.00',
        },
        { path: 'allOf[2]', metric: 'techCertified', actual: '1', required: '2', shortBy: '1' },
      ],
    });
    expect(c.risks.map((r) => [r.kind, r.on])).toEqual([['certification-expiring', '2026-12-10']]);
    // D-0 at registered: 3000.00; D-1 at gold: 72960.00, 18240.00, 9120.00
    expect(c.ledger).toEqual({ commission: '75960.00', mdf: '18240.00', rebate: '9120.00' });
  });

  it('a referral partner: the score lists the parts below their points', () => {
    const refEvents = [
      partner('P-7', 'referral'),
      ...Array.from({ length: 10 }, (_, i) => won('P-7', `R-${i}`, '10000.00', '2026-06-01', { customerId: `C-${i}` })),
      cert('P-7', 'u1', 'sales-expert', '2026-01-15'),
    ];
    // 50·100000/200000 + 30 + 20·1/2 = 65 < 70
    const c = evaluate(set, refEvents, '2026-11-23', 'P-7').scorecard;
    expect(c).toMatchObject({ track: 'refer', qualifiedTier: 'member', effectiveTier: 'member', status: 'qualified' });
    expect(c.metrics).toEqual({ revenue12m: '100000.00', newCustomers12m: '10', salesCertified: '1' });
    expect(c.next).toEqual({
      tier: 'elite',
      unmet: [
        { path: 'score.parts[0]', metric: 'revenue12m', actual: '100000.00', required: '200000', shortBy: '100000.00' },
        { path: 'score.parts[2]', metric: 'salesCertified', actual: '1', required: '2', shortBy: '1' },
      ],
    });
    // ten deals at member 0.10
    expect(c.ledger).toEqual({ commission: '10000.00', mdf: '0.00', rebate: '0.00' });
    // one more certified person: 25 + 30 + 20 = 75 → elite from 2026-02-01
    const elite = evaluate(
      set,
      [...refEvents, cert('P-7', 'u2', 'sales-associate', '2026-02-01')],
      '2026-11-23',
      'P-7',
    ).scorecard;
    expect(elite).toMatchObject({ qualifiedTier: 'elite', effectiveTier: 'elite', next: null });
    expect(elite.ledger.commission).toBe('15000.00');
  });
});
