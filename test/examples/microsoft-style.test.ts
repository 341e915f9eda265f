// Independent check of `tierline evaluate` against examples/microsoft-style, as-of 2026-11-23.
//
// Every expected value was computed by hand from SPEC.md, never copied from the engine.
// Program (examples/microsoft-style/program.yaml, a YAML array of two versions, rule 18):
//   FY26 effectiveFrom 2025-07-01 (also used for earlier days: it is the first version),
//   FY27 effectiveFrom 2026-07-01. One track "modern-work", tiers member (entry) and
//   solutions-partner = score >= 70, eachAboveZero, parts (points x min(1, actual/target)):
//     [0] netCustomerAdds12m     target 10    points 30  (3 points per customer)
//     [1] intermediateCertified  target 4     points 20  (5 per person)
//     [2] expertCertified        target 2     points 20  (10 per person)
//     [3] usage12m               target 60000 (FY26) / 90000 (FY27), points 15
//                                 (= usage / 4000 in FY26, usage / 6000 in FY27)
//     [4] deployments12m         target 6     points 15  (2.5 per closed_won deal)
//   Rates (commission/mdf/rebate): member .05/0/0 (both versions); solutions-partner
//   FY26 .08/.01/.015, FY27 .09/.01/.02 — the ledger uses the version in force on closedAt.
//   Policy: demotionGraceDays 90, holdAfterPromotionDays 0, demotionsOn quarter-start: a
//   demotion due on S + 89 takes effect on the first 1 Jan/1 Apr/1 Jul/1 Oct on or after it
//   (rule 4), and graceEndsOn is moved the same way (rule 2).
// D = 2026-11-23; P12M window on D = 2025-11-24 .. 2026-11-23; risk horizon 2026-11-24 .. 2026-12-23.
// next for an unmet score lists the parts that earned less than their full points, with
// required = the part's target as written in the as-of day's version (FY27) (§5, rule 7).
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, scorecardTests, type CliRun, type Expected } from './run-cli.ts';

const AS_OF = '2026-11-23';
const PROGRAM = { id: 'ms-capability-score-style', version: 'FY27' };
const ARGS = [
  '--program',
  'examples/microsoft-style/program.yaml',
  '--events',
  'examples/microsoft-style/events.jsonl',
  '--as-of',
  AS_OF,
];
const MEMBER = { commissionRate: '0.05', mdfRate: '0', rebateRate: '0' };
const SOLUTIONS_PARTNER_FY27 = { commissionRate: '0.09', mdfRate: '0.01', rebateRate: '0.02' };

const expected: Record<string, Expected> = {
  // M-20001 Proseware, Inc.: exactly 70 points (and usage exactly at its target).
  //   Certs: ps-a1 md-102 2025-12-14..2026-12-14, ps-a2 ms-700 2026-02-09, ps-e1 ms-102
  //   2026-03-02, ps-a3 sc-300 2026-04-20 (the last three expire in 2027).
  //   Deals: 101 12400.00 C-PS-01 2026-01-26; 102 8750.00 C-PS-02 2026-03-16;
  //   103 15200.00 C-PS-03 2026-05-11; 104 6300.00 C-PS-01 2026-07-13;
  //   105 9900.00 C-PS-04 2026-08-24; 106 11650.00 C-PS-05 2026-10-05.
  //   Usage invoices: 21000.00 2026-01-05, 22500.00 2026-04-06, 23250.00 2026-07-06,
  //   23250.00 2026-10-05.
  //   Score history: expert is 0 until 2026-03-02 (eachAboveZero fails). Highest before
  //   2026-07-01 (FY26): 2026-05-11 9 + 15 + 10 + 43500/4000 = 10.875 + 7.5 = 52.375.
  //   FY27 from 2026-07-01: 48.75, 07-06 52.625, 07-13 55.125, 08-24 60.625, and on
  //   2026-10-05 (deal 106 + invoice 304): 15 + 15 + 10 + 15 + 15 = 70 >= 70 -> promotion.
  'M-20001': {
    track: 'modern-work',
    qualifiedTier: 'solutions-partner',
    effectiveTier: 'solutions-partner',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      netCustomerAdds12m: '5', // C-PS-01..05 -> 30 x 5/10 = 15
      intermediateCertified: '3', // a1, a2, a3 -> 20 x 3/4 = 15
      expertCertified: '1', // e1 -> 20 x 1/2 = 10
      usage12m: '90000.00', // 21000 + 22500 + 23250 + 23250 = 90000 = target -> 15
      deployments12m: '6', // six deals -> 15 (full)         total exactly 70
    },
    next: null, // solutions-partner is the top tier
    // ps-a1 expires 2026-12-14: intermediate 3 -> 2, 70 - 5 = 65 < 70 -> member on 2026-12-14.
    risks: [{ kind: 'certification-expiring', on: '2026-12-14' }],
    benefits: SOLUTIONS_PARTNER_FY27,
    // 101..105 @member .05: 620.00 + 437.50 + 760.00 + 315.00 + 495.00 = 2627.50
    // 106 @solutions-partner, FY27 rates (closed 2026-10-05): 11650 x .09 = 1048.50,
    //   x .01 = 116.50, x .02 = 233.00
    ledger: { commission: '3676.00', mdf: '116.50', rebate: '233.00' },
  },

  // M-20002 Alpine Ski House IT: partial points, 68.5 < 70, never qualified.
  //   Certs: al-e1 ms-102 2026-02-16, al-a1 md-102 2026-03-23, al-a2 ms-700 2026-06-01,
  //   al-e2 sc-100 2026-09-07 (all expire in 2027).
  //   Deals: 201 4200.00 C-AL-01 2025-12-15; 202 7800.00 C-AL-02 2026-02-02;
  //   203 5150.00 C-AL-03 2026-04-13; 204 3900.00 C-AL-01 2026-05-25;
  //   205 6600.00 C-AL-04 2026-07-20; 206 9250.00 C-AL-05 2026-08-31;
  //   207 2850.00 C-AL-02 2026-09-28; 208 7400.00 C-AL-06 2026-11-02.
  //   Usage invoices: 11000.00 on 2026-03-02, 2026-06-01, 2026-09-01.
  //   Score history: all parts > 0 from 2026-03-23; FY26 maximum 44.5 (2026-06-01);
  //   FY27: 42.67, 48.17, 53.67, 55.5, 65.5 (09-07), 68.5 (11-02). Never 70.
  'M-20002': {
    track: 'modern-work',
    qualifiedTier: 'member',
    effectiveTier: 'member',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      netCustomerAdds12m: '6', // C-AL-01..06 -> 18
      intermediateCertified: '2', // -> 10
      expertCertified: '2', // -> 20 (full)
      usage12m: '33000.00', // -> 15 x 33000/90000 = 5.5
      deployments12m: '8', // 8/6 capped at 1 -> 15 (full)     total 68.5
    },
    next: {
      tier: 'solutions-partner',
      unmet: [
        { path: 'score.parts[0]', metric: 'netCustomerAdds12m', actual: '6', required: '10', shortBy: '4' },
        { path: 'score.parts[1]', metric: 'intermediateCertified', actual: '2', required: '4', shortBy: '2' },
        { path: 'score.parts[3]', metric: 'usage12m', actual: '33000.00', required: '90000', shortBy: '57000.00' },
      ],
    },
    risks: [], // q(D) is the entry tier
    benefits: MEMBER,
    // all 8 deals @member: 47150.00 x .05 = 2357.50 (each entry exact in cents)
    ledger: { commission: '2357.50', mdf: '0.00', rebate: '0.00' },
  },

  // M-20003 Coho Winery Technology: expert certification lapsed -> part [2] earns 0, so 78.33
  // points do not qualify (eachAboveZero); demoted at a quarter start.
  //   Certs: co-e1 ms-102 2025-05-12..2026-05-12 (first fact), co-a1 md-102 and co-a2 ms-700
  //   2026-01-05, co-a3 sc-300 2026-02-23, co-a4 md-102 2026-03-09 (expire 2027).
  //   Deals (10 customers C-CO-01..10): 301 5600.00 2025-12-08; 302 7250.00 2026-01-19;
  //   303 4800.00 2026-02-09; 304 6100.00 2026-03-02; 305 8300.00 2026-03-30;
  //   306 5450.00 2026-04-27; 307 6900.00 2026-06-08; 308 7700.00 2026-07-27;
  //   309 5050.00 2026-09-14; 310 9100.00 2026-10-26.
  //   Usage invoices: 20000.00 on 2025-12-01, 2026-03-02, 2026-06-01, 2026-09-01.
  //   Score history (FY26): 30.5 (01-05) ... 67.5 (03-30); 2026-04-27: 18 + 20 + 10 + 10 + 15
  //   = 73 -> promotion. 2026-05-12 the expert certification expires: part [2] = 0 -> member,
  //   S = 2026-05-12, due S + 89 = 2026-08-09, first quarter start on or after: 2026-10-01,
  //   q still member -> demotion on 2026-10-01. Deal 309 (2026-09-14) is still paid at
  //   solutions-partner.
  'M-20003': {
    track: 'modern-work',
    qualifiedTier: 'member',
    effectiveTier: 'member',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      netCustomerAdds12m: '10', // -> 30
      intermediateCertified: '4', // -> 20
      expertCertified: '0', // -> 0: fails eachAboveZero
      usage12m: '80000.00', // -> 15 x 80000/90000 = 40/3
      deployments12m: '10', // -> 15       total 235/3 = 78.33 >= 70, but a part is 0
    },
    next: {
      tier: 'solutions-partner',
      unmet: [
        { path: 'score.parts[2]', metric: 'expertCertified', actual: '0', required: '2', shortBy: '2' },
        { path: 'score.parts[3]', metric: 'usage12m', actual: '80000.00', required: '90000', shortBy: '10000.00' },
      ],
    },
    risks: [],
    benefits: MEMBER,
    // 301..305 @member: 280.00 + 362.50 + 240.00 + 305.00 + 415.00 = 1602.50
    // 306 @SP FY26 (promoted that day) 5450: 436.00, 54.50, 81.75
    // 307 @SP FY26 (grace) 6900: 552.00, 69.00, 103.50
    // 308 @SP FY27 (grace) 7700: 693.00, 77.00, 154.00
    // 309 @SP FY27 (due since 2026-08-09, waiting for 2026-10-01) 5050: 454.50, 50.50, 101.00
    // 310 @member 9100 x .05 = 455.00
    ledger: { commission: '4193.00', mdf: '251.00', rebate: '440.25' },
  },

  // M-20004 Lucerne Publishing IT Services: qualified under FY26, the FY27 usage target
  // knocks it below 70; in grace on D, demotion waits for the quarter start.
  //   Certs: lu-e1 ms-102 and lu-a1 md-102 2026-01-12, lu-a2 ms-700 2026-02-02, lu-a3 sc-300
  //   2026-03-16 (expire 2027-01-12 or later: after the horizon).
  //   Deals: 401 6200.00 C-LU-01 2025-09-21; 402 8800.00 C-LU-02 2025-10-20;
  //   403 5400.00 C-LU-03 2025-12-29; 404 7300.00 C-LU-04 2026-01-26;
  //   405 3600.00 C-LU-02 2026-02-16; 406 9150.00 C-LU-05 2026-03-23;
  //   407 4450.00 C-LU-06 2026-04-20; 408 6750.00 C-LU-07 2026-05-18;
  //   409 2900.00 C-LU-04 2026-06-15; 410 7950.00 C-LU-08 2026-08-17.
  //   Usage: one annual recurring invoice 42000.00 on 2026-01-05 (FY26 10.5 points, FY27 7).
  //   Score history: 2026-05-18 (FY26) 21 + 15 + 10 + 10.5 + 15 = 71.5 -> promotion.
  //   2026-07-01 FY27: 21 + 15 + 10 + 7 + 15 = 68 -> member, run starts; 2026-08-17 C-LU-08:
  //   24 + ... = 71 -> run ends (47 days). 2026-09-21: 401 leaves, C-LU-01 gone -> 68 ->
  //   S = 2026-09-21, due S + 89 = 2026-12-19 -> next quarter start 2027-01-01.
  'M-20004': {
    track: 'modern-work',
    qualifiedTier: 'member',
    effectiveTier: 'solutions-partner',
    status: 'grace',
    graceEndsOn: '2027-01-01', // 2026-12-19 moved to the first quarter start on or after it
    metrics: {
      netCustomerAdds12m: '7', // C-LU-02..08 (401 and 402 left; C-LU-02 still has 405) -> 21
      intermediateCertified: '3', // -> 15
      expertCertified: '1', // -> 10
      usage12m: '42000.00', // -> 7
      deployments12m: '8', // 403..410 -> 15 (full)      total 68
    },
    next: {
      tier: 'solutions-partner',
      unmet: [
        { path: 'score.parts[0]', metric: 'netCustomerAdds12m', actual: '7', required: '10', shortBy: '3' },
        { path: 'score.parts[1]', metric: 'intermediateCertified', actual: '3', required: '4', shortBy: '1' },
        { path: 'score.parts[2]', metric: 'expertCertified', actual: '1', required: '2', shortBy: '1' },
        // required is FY27's "90000" (the as-of day's version), not FY26's "60000"
        { path: 'score.parts[3]', metric: 'usage12m', actual: '42000.00', required: '90000', shortBy: '48000.00' },
      ],
    },
    risks: [], // q(D) is the entry tier
    benefits: SOLUTIONS_PARTNER_FY27, // effective tier during grace, FY27 rates
    // 401..407 @member: 310.00 + 440.00 + 270.00 + 365.00 + 180.00 + 457.50 + 222.50 = 2245.00
    // 408 @SP FY26 (promoted that day) 6750: 540.00, 67.50, 101.25
    // 409 @SP FY26 2900: 232.00, 29.00, 43.50
    // 410 @SP FY27 (e stayed SP through the first run) 7950: 715.50, 79.50, 159.00
    ledger: { commission: '3732.50', mdf: '176.00', rebate: '303.75' },
  },

  // M-20005 Trey Research Cloud: 69.999998333... points. Exact rational arithmetic (rule 8)
  // must not round the usage part (53999.99 / 6000 = 8.99999833...) up to 9.
  //   Certs: tr-a1 md-102 2026-05-04, tr-e1 sc-100 2026-06-22, tr-a2 ms-700 2026-07-13,
  //   tr-a3 sc-300 2026-08-10 (expire 2027).
  //   Deals (7 customers): 501 3800.00 2026-01-14; 502 5200.00 2026-03-04;
  //   503 4650.00 2026-05-06; 504 6100.00 2026-07-08; 505 2950.00 2026-08-19;
  //   506 7300.00 2026-09-30; 507 4400.00 2026-11-11.
  //   Usage: 17999.99 (2026-02-02) + 18000.00 (05-04) + 18000.00 (08-03) = 53999.99.
  //   Score history: all parts > 0 from 2026-06-22; rises to 61.5 (08-19), 67 (09-30) and
  //   21 + 15 + 10 + 8.99999833 + 15 = 69.99999833 on 2026-11-11: never >= 70.
  'M-20005': {
    track: 'modern-work',
    qualifiedTier: 'member',
    effectiveTier: 'member',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      netCustomerAdds12m: '7',
      intermediateCertified: '3',
      expertCertified: '1',
      usage12m: '53999.99',
      deployments12m: '7',
    },
    next: {
      tier: 'solutions-partner',
      unmet: [
        { path: 'score.parts[0]', metric: 'netCustomerAdds12m', actual: '7', required: '10', shortBy: '3' },
        { path: 'score.parts[1]', metric: 'intermediateCertified', actual: '3', required: '4', shortBy: '1' },
        { path: 'score.parts[2]', metric: 'expertCertified', actual: '1', required: '2', shortBy: '1' },
        { path: 'score.parts[3]', metric: 'usage12m', actual: '53999.99', required: '90000', shortBy: '36000.01' },
      ],
    },
    risks: [],
    benefits: MEMBER,
    // 7 deals @member: 34400.00 x .05 = 1720.00 (190.00 + 260.00 + 232.50 + 305.00 + 147.50
    //   + 365.00 + 220.00)
    ledger: { commission: '1720.00', mdf: '0.00', rebate: '0.00' },
  },
};

describe('examples/microsoft-style (as-of 2026-11-23)', () => {
  let run: CliRun;
  beforeAll(() => {
    run = evaluate(ARGS);
  }, 180_000);
  const card = (id: string) => run.cards.find((c) => c.partnerId === id);

  it('exits 0: every event in the file is valid', () => {
    expect(run.status, run.stderr).toBe(0);
  });

  it('prints one scorecard per partner, sorted by partnerId', () => {
    expect(run.cards.map((c) => c.partnerId)).toEqual(['M-20001', 'M-20002', 'M-20003', 'M-20004', 'M-20005']);
  });

  for (const [partnerId, exp] of Object.entries(expected)) {
    describe(partnerId, () => scorecardTests(partnerId, exp, () => card(partnerId), PROGRAM, AS_OF));
  }
});
