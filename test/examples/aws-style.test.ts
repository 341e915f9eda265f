// Independent check of `tierline evaluate` against examples/aws-style, as-of 2026-11-23.
//
// Every expected value below was computed by hand from SPEC.md (§2, §3, §3a, §4, §5), never
// copied from the engine's output. Conventions used in the comments:
//   D = 2026-11-23. Trailing P12M window on D is (2025-11-23, 2026-11-23], i.e. facts dated
//   2025-11-24 .. 2026-11-23 (rule 15). A fact dated f is inside the P12M window of day d until
//   d = f + 12 months, the day it leaves (e.g. a deal closed 2025-10-05 leaves on 2026-10-05).
//   Certifications are active iff earnedAt <= d < expiresAt, not revoked in [earnedAt, d], the
//   person not departed on or before d (rule 14).
//   Grace: a run of days with q < e starting on S demotes on S + N - 1 with N = 90 (rule 1);
//   graceEndsOn = max(S + 89, last promotion + 30) (rule 2, holdAfterPromotionDays = 30).
//   Ledger: sum over closed_won deals with closedAt <= D of amount x rate(e(closedAt)), each
//   entry rounded half-even to cents (§5, rule 16). Promotions are immediate, so a deal that
//   makes the partner qualify accrues at the new tier on its own closedAt.
//   Risk horizon: D+1 .. D+30 = 2026-11-24 .. 2026-12-23; a trailing-window roll-off in that
//   horizon needs a fact dated 2025-11-24 .. 2025-12-23.
//
// Program (examples/aws-style/program.json), track "services" (consulting, msp):
//   select   = allOf[ revenue12m >= 50000, certifiedPeople >= 2, launchedCustomers12m >= 2 ]
//   advanced = allOf[ anyOf[ revenue12m >= 250000, launchedCustomers12m >= 5 ],
//                     technicalCertified >= 3, professionalCertified >= 1 ]
//   premier  = allOf[ revenue12m >= 1000000, launchedCustomers12m >= 8,
//                     technicalCertified >= 5, professionalCertified >= 3 ]
//   rates (commission/mdf/rebate): registered .02/0/0, select .04/.01/0, advanced .06/.02/.01,
//   premier .08/.03/.02
// Track "software" (isv):
//   select   = allOf[ technicalCertified >= 1, anyOf[ subscriptionRevenue12m >= 30000, revenue12m >= 50000 ] ]
//   advanced = allOf[ subscriptionRevenue12m >= 120000, technicalCertified >= 2, launchedCustomers12m >= 3 ]
//   rates: registered .03/0/0, select .05/.01/0, advanced .07/.02/.01
// Certification groups: certifiedPeople = any of the 5 ids; technicalCertified = associate +
// professional ids; professionalCertified = the two professional ids.
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, noTrackTests, scorecardTests, type CliRun, type Expected } from './run-cli.ts';

const AS_OF = '2026-11-23';
const PROGRAM = { id: 'apn-style', version: '2026.1' };
const ARGS = [
  '--program',
  'examples/aws-style/program.json',
  '--events',
  'examples/aws-style/events.jsonl',
  '--as-of',
  AS_OF,
];

const SERVICES_RATES = {
  registered: { commissionRate: '0.02', mdfRate: '0', rebateRate: '0' },
  select: { commissionRate: '0.04', mdfRate: '0.01', rebateRate: '0' },
  advanced: { commissionRate: '0.06', mdfRate: '0.02', rebateRate: '0.01' },
  premier: { commissionRate: '0.08', mdfRate: '0.03', rebateRate: '0.02' },
};

const expected: Record<string, Expected> = {
  // P-10001 Northwind Cloud Consulting (consulting): promotions registered -> select -> advanced,
  // a grace run that ended by itself, a certification expiring inside the horizon, and the
  // closed_won of D-NW-1006 delivered twice (same source+id: applied once).
  //   Certs: nw-p3 developer-associate 2023-12-11..2026-12-11 (the first fact: the timeline
  //   starts before the program's effectiveFrom 2024-01-01 and uses that first version),
  //   nw-p1 cloud-practitioner 2024-11-04, nw-p2 SA-associate 2025-01-20, nw-p4 SA-professional
  //   2025-06-16  => from 2025-06-16: certifiedPeople 4, technical 3, professional 1.
  //   Deals: 1001 18000.00 C-NW-01 2025-02-10; 1002 36500.00 C-NW-02 2025-04-22;
  //   1003 72000.00 C-NW-03 2025-09-15; 1004 182000.00 C-NW-04 2026-03-09;
  //   1005 41250.00 C-NW-02 2026-06-30; 1006 64800.00 C-NW-05 2026-10-14 (v1 open, v2 closed).
  //   q history: 2025-04-22 rev 54500, 2 customers -> select (promotion).
  //   2026-02-10 1001 leaves (rev 108500). 2026-03-09 rev 108500+182000 = 290500 >= 250000,
  //   tech 3, prof 1 -> advanced (promotion). 2026-04-22 1002 leaves: 254000, still advanced.
  //   2026-06-30: 295250. 2026-09-15 1003 leaves: 223250 < 250000 and 2 customers < 5 ->
  //   q = select, grace run S = 2026-09-15 (would demote 2026-12-13), but 2026-10-14 deal 1006
  //   brings 288050 -> q = advanced ends the run after 29 days. e stays advanced.
  'P-10001': {
    track: 'services',
    qualifiedTier: 'advanced', // rev 288050 >= 250000, tech 3, prof 1; premier fails (see next)
    effectiveTier: 'advanced',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '288050.00', // 1004 182000 + 1005 41250 + 1006 64800 (1003 left on 2026-09-15)
      launchedCustomers12m: '3', // C-NW-04, C-NW-02, C-NW-05
      certifiedPeople: '4', // p1, p2, p3 (expires 2026-12-11 > D), p4
      technicalCertified: '3', // p2, p3, p4
      professionalCertified: '1', // p4
    },
    next: {
      tier: 'premier', // every premier leaf is unmet
      unmet: [
        { path: 'allOf[0]', metric: 'revenue12m', actual: '288050.00', required: '1000000', shortBy: '711950.00' },
        { path: 'allOf[1]', metric: 'launchedCustomers12m', actual: '3', required: '8', shortBy: '5' },
        { path: 'allOf[2]', metric: 'technicalCertified', actual: '3', required: '5', shortBy: '2' },
        { path: 'allOf[3]', metric: 'professionalCertified', actual: '1', required: '3', shortBy: '2' },
      ],
    },
    // nw-p3's developer-associate expires 2026-12-11 (expired on its expiresAt day): technical
    // 3 -> 2 < 3, advanced fails, select still holds -> q falls advanced -> select on 2026-12-11.
    // No fact is dated 2025-11-24..2025-12-23, so no roll-off.
    risks: [{ kind: 'certification-expiring', on: '2026-12-11' }],
    benefits: SERVICES_RATES.advanced,
    // 1001 @registered: 18000 x .02 = 360.00
    // 1002 @select (promoted that day): 36500 x .04 = 1460.00, x .01 = 365.00
    // 1003 @select: 72000 x .04 = 2880.00, x .01 = 720.00
    // 1004 @advanced (promoted that day): 182000 x .06 = 10920.00, x .02 = 3640.00, x .01 = 1820.00
    // 1005 @advanced: 41250 x .06 = 2475.00, x .02 = 825.00, x .01 = 412.50
    // 1006 @advanced (counted once despite the duplicate delivery): 3888.00, 1296.00, 648.00
    ledger: { commission: '21983.00', mdf: '6846.00', rebate: '2880.50' },
  },

  // P-10002 Contoso Systems (consulting): in grace on D.
  //   Certs: cs-p4 CP 2024-03-18, cs-p1 SA-pro 2024-05-13, cs-p2 dev-assoc 2024-05-20,
  //   cs-p3 SA-assoc 2024-08-05 (all expire 2027) => certified 4, technical 3, professional 1.
  //   Deals: 1999 22500.00 C-CS-09 2025-03-03; 2000 54000.00 C-CS-10 2025-06-17;
  //   2001 310000.00 C-CS-11 2025-10-05; 2002 47000.00 C-CS-12 2026-08-24;
  //   2003 C-CS-13 2026-09-28: version 1 delivered with 28900.00, then version 1 again (event
  //   crm-d-cs-2003-v1-amount-fix) with 29800.00: equal versions -> the one received last wins
  //   (rule 12) => 29800.00.
  //   q history: 2025-06-17 rev 76500, 2 customers -> select (promotion). 2025-10-05 rev
  //   386500 -> advanced (promotion; last promotion + 30 = 2025-11-04). Advanced holds through
  //   2026-10-04 on revenue alone (between 2026-06-17 and 2026-08-23 only one customer is in
  //   the window, so select's own criteria fail while advanced's hold: tiers are not
  //   cumulative, rule 6). 2026-10-05: 2001 leaves, rev 47000 + 29800 = 76800, 2 customers ->
  //   q = select < e = advanced. S = 2026-10-05, nothing lifts q afterwards.
  'P-10002': {
    track: 'services',
    qualifiedTier: 'select',
    effectiveTier: 'advanced',
    status: 'grace', // D = 2026-11-23 is past the hold window (ended 2025-11-04)
    graceEndsOn: '2027-01-02', // max(S + 89 = 2026-10-05 + 89 = 2027-01-02, 2025-11-04)
    metrics: {
      revenue12m: '76800.00', // 2002 47000 + 2003 29800 (the last-received version 1)
      launchedCustomers12m: '2', // C-CS-12, C-CS-13
      certifiedPeople: '4',
      technicalCertified: '3',
      professionalCertified: '1',
    },
    next: {
      tier: 'advanced',
      // allOf[0] anyOf: revenue branch shortBy 173200 / 250000 = 0.6928; launches branch
      // 3 / 5 = 0.6 -> the launches branch is cheapest. allOf[1], allOf[2] are met.
      unmet: [{ path: 'allOf[0].anyOf[1]', metric: 'launchedCustomers12m', actual: '2', required: '5', shortBy: '3' }],
    },
    risks: [], // nothing expires and nothing rolls off in the horizon; q(D) = select stays
    benefits: SERVICES_RATES.advanced, // paid at the effective tier during grace
    // 1999 @registered 22500 x .02 = 450.00
    // 2000 @select 54000 x .04 = 2160.00, x .01 = 540.00
    // 2001 @advanced 310000: 18600.00, 6200.00, 3100.00
    // 2002 @advanced 47000: 2820.00, 940.00, 470.00
    // 2003 @advanced 29800: 1788.00, 596.00, 298.00 (28900 would give 1734.00, 578.00, 289.00)
    ledger: { commission: '25818.00', mdf: '8276.00', rebate: '3868.00' },
  },

  // P-10003 Fabrikam Managed Services (msp): a demotion that took effect after the grace run.
  //   Certs: fb-p1 CP 2024-09-09, fb-p2 SA-assoc 2024-10-14 => certified 2, technical 1.
  //   Deals: 3001 31000.00 C-FB-21 2024-12-02; 3002 26400.00 C-FB-22 2025-02-17;
  //   3003 12000.00 C-FB-23 2025-07-21; 3004 9500.00 C-FB-21 2026-02-28;
  //   3005 18750.00 C-FB-24 2026-03-01; 3006 15300.00 C-FB-25 2026-11-02.
  //   q history: 2025-02-17 rev 57400, 2 customers -> select (promotion). 2025-12-02: 3001
  //   (2024-12-02) leaves, rev 26400 + 12000 = 38400 < 50000 -> registered, S = 2025-12-02.
  //   Nothing brings revenue back to 50000 (2026-02-17: 3002 leaves, 21500 with 3004;
  //   2026-03-01: 40250), so the demotion takes effect on S + 89 = 2026-03-01.
  //   Deal 3004 (2026-02-28, day 89 of the run) is still paid at select; deal 3005
  //   (2026-03-01, day 90) is paid at registered.
  'P-10003': {
    track: 'services',
    qualifiedTier: 'registered',
    effectiveTier: 'registered',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '43550.00', // 3004 9500 + 3005 18750 + 3006 15300 (3003 left 2026-07-21)
      launchedCustomers12m: '3', // C-FB-21, C-FB-24, C-FB-25
      certifiedPeople: '2',
      technicalCertified: '1',
      professionalCertified: '0',
    },
    next: {
      tier: 'select', // certifiedPeople 2 >= 2 and 3 customers >= 2 are met
      unmet: [{ path: 'allOf[0]', metric: 'revenue12m', actual: '43550.00', required: '50000', shortBy: '6450.00' }],
    },
    risks: [], // q(D) is the entry tier: nothing can fall below it
    benefits: SERVICES_RATES.registered,
    // 3001 @registered 31000 x .02 = 620.00
    // 3002 @select 26400: 1056.00, 264.00
    // 3003 @select 12000: 480.00, 120.00
    // 3004 @select (grace, day 89) 9500: 380.00, 95.00
    // 3005 @registered (demoted that day) 18750 x .02 = 375.00
    // 3006 @registered 15300 x .02 = 306.00
    ledger: { commission: '3217.00', mdf: '479.00', rebate: '0.00' },
  },

  // P-10004 Tailspin Software GmbH: partner.upserted v1 says "consulting", v2 says "isv"; the
  // highest version's type applies to the whole history (rule 10) -> software track throughout.
  //   Certs: ts-p1 dev-assoc 2025-03-10, ts-p2 SA-pro 2026-02-02 => technical 2 on D.
  //   Recurring invoices: 5001 12000 2025-04-01, 5002 12000 2025-07-01, 5003 12000 2025-10-01,
  //   5004 15000 2026-01-02, 5006 EUR 14000.00 x 1.0415 = 14581.00 2026-04-01, 5007 15000
  //   2026-07-01, 5008 15000 2026-10-01; 5005 4800 2026-01-02 is not recurring (filtered out).
  //   Credit CR-TS-0001 of 5006: EUR 1400.00 at its own fxRate 1.0603 = 1484.42, subtracts on
  //   2026-05-15 and inherits recurring = true from 5006 (rule 13).
  //   Deals: 4001 24000.00 C-TS-31 2025-05-19; 4002 EUR 48250.00 x 1.0837 = 52288.525 ->
  //   half-even 52288.52 (half-up would give .53) C-TS-32 2026-02-16; 4003 18600.00 C-TS-33
  //   2026-08-11; 4005 JPY 1250000 (JPY has no minor unit) x 0.0067125 = 8390.625 -> half-even
  //   8390.62 C-TS-34 2026-09-07. D-TS-4004 (EUR 9900.00 without fxRate, line 95) is invalid
  //   and ignored (§2: a foreign currency without fxRate is rejected).
  //   q history: subscription 12000 (04-01), 24000 (07-01), 36000 on 2025-10-01 -> select
  //   (promotion). Afterwards it is 51000 (2026-01-02), 53581.00 (04-01: 5001 out, 5006 in),
  //   52096.58 (05-15 credit), 55096.58 (07-01), 58096.58 (10-01): select always holds,
  //   advanced (120000) never does: e = select since 2025-10-01.
  'P-10004': {
    track: 'software',
    qualifiedTier: 'select',
    effectiveTier: 'select',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '79279.14', // 4002 52288.52 + 4003 18600.00 + 4005 8390.62 (4001 left 2026-05-19)
      // 5004 15000 + 5006 14581.00 - credit 1484.42 + 5007 15000 + 5008 15000 = 58096.58
      // (5001..5003 left on 2026-04-01, 2026-07-01, 2026-10-01)
      subscriptionRevenue12m: '58096.58',
      technicalCertified: '2',
      launchedCustomers12m: '3', // C-TS-32, C-TS-33, C-TS-34
    },
    next: {
      tier: 'advanced', // allOf[1] technical 2 >= 2 and allOf[2] customers 3 >= 3 are met
      unmet: [
        {
          path: 'allOf[0]',
          metric: 'subscriptionRevenue12m',
          actual: '58096.58',
          required: '120000',
          shortBy: '61903.42',
        },
      ],
    },
    risks: [], // no fact dated 2025-11-24..2025-12-23, no certification expiring
    benefits: { commissionRate: '0.05', mdfRate: '0.01', rebateRate: '0' },
    // 4001 @registered (software .03) 24000 x .03 = 720.00 (a services-track engine would say 480.00)
    // 4002 @select 52288.52 x .05 = 2614.426 -> 2614.43; x .01 = 522.8852 -> 522.89
    // 4003 @select 18600: 930.00, 186.00
    // 4005 @select 8390.62 x .05 = 419.531 -> 419.53; x .01 = 83.9062 -> 83.91
    ledger: { commission: '4683.96', mdf: '792.80', rebate: '0.00' },
  },

  // P-10005 Litware Labs (consulting): certification revoked and re-earned, a person departed,
  // deal versions out of order, and an invalid higher version that must be ignored.
  //   Certs: lw-p1 CP 2024-06-03, lw-p2 SA-assoc 2024-06-24, lw-p3 dev-assoc 2024-09-16,
  //   lw-p4 SA-pro 2025-01-13 (revoked 2026-02-09), lw-p4 SA-pro again 2026-04-13..2029-04-13
  //   (re-earned after the revocation: counts again), lw-p3 departed 2026-04-30.
  //   Deals: 6001 140000.00 C-LW-41 2025-08-04; 6002 125000.00 C-LW-42 2025-11-10;
  //   6003: file order v1 (open), v3 (closed_won 58500.00 on 2026-06-22), v2 (closed_won
  //   60000.00 on 2026-06-15, arrives after v3: superseded), v4 (closed_won without closedAt:
  //   invalid, dead-lettered, never supersedes v3) => 58500.00 on 2026-06-22, C-LW-43;
  //   6005 33000.00 C-LW-44 2026-10-26.
  //   q history: 2025-08-04 one customer -> registered. 2025-11-10 rev 265000, 2 customers,
  //   tech 3, prof 1 -> advanced (promotion straight from registered).
  //   2026-02-09 revocation: tech 2, prof 0 -> select; run S = 2026-02-09.
  //   2026-04-13 re-earned: tech 3, prof 1 -> advanced, run ends after 63 days.
  //   2026-04-30 lw-p3 departs: tech 2 -> select; S = 2026-04-30, demotion on S + 89 =
  //   2026-07-28 (q never returns to advanced: technical stays 2). e = select from 2026-07-28.
  //   2026-11-10: 6002 leaves; 6003 + 6005 keep rev 91500 and 2 customers -> select holds.
  'P-10005': {
    track: 'services',
    qualifiedTier: 'select',
    effectiveTier: 'select',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '91500.00', // 6003 58500 (v3) + 6005 33000
      launchedCustomers12m: '2', // C-LW-43, C-LW-44
      certifiedPeople: '3', // p1, p2, p4 (re-earned); p3 departed
      technicalCertified: '2', // p2, p4
      professionalCertified: '1', // p4's 2026-04-13 SA-pro
    },
    next: {
      tier: 'advanced',
      unmet: [
        // anyOf: revenue 158500 / 250000 = 0.634 vs launches 3 / 5 = 0.6 -> launches branch
        { path: 'allOf[0].anyOf[1]', metric: 'launchedCustomers12m', actual: '2', required: '5', shortBy: '3' },
        { path: 'allOf[1]', metric: 'technicalCertified', actual: '2', required: '3', shortBy: '1' },
      ],
    },
    risks: [],
    benefits: SERVICES_RATES.select,
    // 6001 @registered 140000 x .02 = 2800.00
    // 6002 @advanced (promoted that day) 125000: 7500.00, 2500.00, 1250.00
    // 6003 @advanced (grace, demotion only on 2026-07-28) 58500: 3510.00, 1170.00, 585.00
    //      (v2's 60000 would give 3600/1200/600)
    // 6005 @select 33000: 1320.00, 330.00
    ledger: { commission: '15130.00', mdf: '4000.00', rebate: '1835.00' },
  },

  // P-10007 Woodgrove Cloud Services (msp): promoted to premier 14 days before D, then a
  // professional certification revoked -> q < e inside the hold window: status hold.
  //   Certs: wg-p1 SA-pro 2024-02-05, wg-p7 CP 2024-02-05, wg-p3 SA-assoc 2024-03-11,
  //   wg-p2 DevOps-pro 2024-04-08 (revoked 2026-11-16), wg-p4 dev-assoc 2024-07-15,
  //   wg-p5 SA-assoc 2025-05-05, wg-p6 SA-pro 2026-11-09 (all expire after the horizon).
  //   Deals: 7002 96000.00 C-WG-52 2025-01-27; 7001 210000.00 C-WG-51 2025-06-23;
  //   7003 185000.00 C-WG-53 2026-01-12; 7004 142500.00 C-WG-54 2026-02-23;
  //   7005 98000.00 C-WG-55 2026-03-30; 7006 176000.00 C-WG-56 2026-05-18;
  //   7007 64000.00 C-WG-57 2026-06-29; 7008 121000.00 C-WG-58 2026-08-17;
  //   7009 88500.00 C-WG-59 2026-09-21; 7010 152000.00 C-WG-60 2026-10-19;
  //   7011 45000.00 C-WG-53 closedAt "2026-11-08T20:30:00-05:00" = 2026-11-09T01:30Z, i.e.
  //   business date 2026-11-09 in the program's timezone UTC (rule 17);
  //   7012 30000.00 C-WG-58 2026-11-20.
  //   q history: 2025-06-23 rev 306000, 2 customers, tech 4, prof 2 -> advanced (promotion).
  //   Revenue stays >= 250000 (min 395000 on 2026-01-27) -> advanced until 2026-11-08.
  //   2026-11-09: rev 1027000 (7003..7010), 8 customers, tech 6, prof 3 -> premier (promotion;
  //   hold until 2026-11-09 + 30 = 2026-12-09). 2026-11-16 revocation: prof 2 -> advanced,
  //   S = 2026-11-16.
  'P-10007': {
    track: 'services',
    qualifiedTier: 'advanced',
    effectiveTier: 'premier',
    status: 'hold', // q < e and D = 2026-11-23 < 2026-12-09
    graceEndsOn: '2027-02-13', // max(S + 89 = 2026-11-16 + 89 = 2027-02-13, 2026-12-09)
    metrics: {
      revenue12m: '1102000.00', // 7003..7010 = 1027000, + 7011 45000 + 7012 30000
      launchedCustomers12m: '8', // C-WG-53..C-WG-60 (7011, 7012 are repeat customers)
      certifiedPeople: '6', // p1, p3, p4, p5, p6, p7 (p2 revoked)
      technicalCertified: '5', // p1, p3, p4, p5, p6
      professionalCertified: '2', // p1, p6
    },
    next: {
      tier: 'premier', // revenue, customers, technical are met
      unmet: [{ path: 'allOf[3]', metric: 'professionalCertified', actual: '2', required: '3', shortBy: '1' }],
    },
    risks: [], // q(D) = advanced; nothing expires or rolls off in the horizon
    benefits: SERVICES_RATES.premier, // paid at the effective tier
    // 7002 @registered 96000 x .02 = 1920.00
    // 7001, 7003..7010 @advanced: 210000 + 1027000 = 1237000 x .06 = 74220.00, x .02 = 24740.00,
    //   x .01 = 12370.00 (every entry is exact in cents)
    // 7011 @premier (2026-11-09, the promotion day) 45000: 3600.00, 1350.00, 900.00
    //   (taking the local date 2026-11-08 would pay advanced: 2700.00, 900.00, 450.00)
    // 7012 @premier (hold) 30000: 2400.00, 900.00, 600.00
    ledger: { commission: '82140.00', mdf: '26990.00', rebate: '13870.00' },
  },

  // P-10008 Relecloud Partners (consulting): a trailing-window roll-off risk.
  //   Certs: rc-p1 CP 2025-02-24, rc-p2 dev-assoc 2025-04-07 => certified 2, technical 1.
  //   Deals: 8001 38000.00 C-RC-71 2025-12-01; 8002 27500.00 C-RC-72 2026-05-26 (USD with an
  //   fxRate "1.08": validated, then ignored, rule 16); 8005 18500.00 C-RC-75 2026-11-03: its
  //   first delivery (line 105, amount "18,500.00") is invalid, the corrected redelivery with
  //   the same id (line 107) is applied (rule 17). Line 106 redelivers crm-d-rc-8002-v1 with
  //   amount 72500.00: a different event under a claimed (source, id) -> conflict, not applied.
  //   8004 closed_lost and 8003 open do not count.
  //   q history: 2026-05-26 rev 65500, 2 customers -> select (promotion).
  'P-10008': {
    track: 'services',
    qualifiedTier: 'select',
    effectiveTier: 'select',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '84000.00', // 38000 + 27500 + 18500
      launchedCustomers12m: '3', // C-RC-71, C-RC-72, C-RC-75
      certifiedPeople: '2',
      technicalCertified: '1',
      professionalCertified: '0',
    },
    next: {
      tier: 'advanced',
      unmet: [
        // anyOf: revenue 166000 / 250000 = 0.664 vs launches 2 / 5 = 0.4 -> launches branch
        { path: 'allOf[0].anyOf[1]', metric: 'launchedCustomers12m', actual: '3', required: '5', shortBy: '2' },
        { path: 'allOf[1]', metric: 'technicalCertified', actual: '1', required: '3', shortBy: '2' },
        { path: 'allOf[2]', metric: 'professionalCertified', actual: '0', required: '1', shortBy: '1' },
      ],
    },
    // 8001 (2025-12-01) leaves the window on 2026-12-01: rev 46000 < 50000 -> q falls
    // select -> registered on 2026-12-01.
    risks: [{ kind: 'window-roll-off', on: '2026-12-01' }],
    benefits: SERVICES_RATES.select,
    // 8001 @registered 38000 x .02 = 760.00; 8002 @select 27500 x .04 = 1100.00, x .01 = 275.00;
    // 8005 @select 18500 x .04 = 740.00, x .01 = 185.00
    ledger: { commission: '2600.00', mdf: '460.00', rebate: '0.00' },
  },

  // P-10009 Lamna Healthcare IT (consulting): a leap-day deal and the P12M window (rule 15).
  //   Certs: lh-p1 CP 2023-06-12..2026-06-12, lh-p2 SA-assoc 2023-09-18..2026-09-18 (both
  //   lapsed before D). Deals: 501 30000.00 C-LH-01 2024-02-29; 502 25000.00 C-LH-02
  //   2025-02-28; 503 20000.00 C-LH-03 2025-04-14; 504 36000.00 C-LH-04 2026-07-06.
  //   2025-02-28 - P12M = 2024-02-28, window (2024-02-28, 2025-02-28] still holds 501:
  //   rev 55000, 2 customers, certified 2 -> select (promotion on 2025-02-28).
  //   2025-03-01 - P12M = 2024-03-01: 501 is out, rev 25000 -> registered; S = 2025-03-01,
  //   demotion on S + 89 = 2025-05-29 (hold ended 2025-03-30); 503 (45000 total) does not
  //   restore select.
  'P-10009': {
    track: 'services',
    qualifiedTier: 'registered',
    effectiveTier: 'registered',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {
      revenue12m: '36000.00', // 504 only
      launchedCustomers12m: '1',
      certifiedPeople: '0', // both certifications expired (2026-06-12, 2026-09-18)
      technicalCertified: '0',
      professionalCertified: '0',
    },
    next: {
      tier: 'select',
      unmet: [
        { path: 'allOf[0]', metric: 'revenue12m', actual: '36000.00', required: '50000', shortBy: '14000.00' },
        { path: 'allOf[1]', metric: 'certifiedPeople', actual: '0', required: '2', shortBy: '2' },
        { path: 'allOf[2]', metric: 'launchedCustomers12m', actual: '1', required: '2', shortBy: '1' },
      ],
    },
    risks: [],
    benefits: SERVICES_RATES.registered,
    // 501 @registered 30000 x .02 = 600.00
    // 502 @select (promoted that day) 25000: 1000.00, 250.00
    // 503 @select (grace) 20000: 800.00, 200.00
    // 504 @registered 36000 x .02 = 720.00
    // (if 501 left the window on 2025-02-28, 502 and 503 would be registered: 500.00 + 400.00)
    ledger: { commission: '3120.00', mdf: '450.00', rebate: '0.00' },
  },
};

describe('examples/aws-style (as-of 2026-11-23)', () => {
  let run: CliRun;
  beforeAll(() => {
    run = evaluate(ARGS);
  }, 180_000);
  const card = (id: string) => run.cards.find((c) => c.partnerId === id);

  it('exits 1 because the file holds invalid events, listing each on stderr', () => {
    expect(run.status).toBe(1);
    // line 95: crm-d-ts-4004-v1, EUR deal without fxRate
    // line 104: crm-d-lw-6003-v4, deal.upserted closed_won without closedAt
    // line 105: crm-d-rc-8005-v1, amount "18,500.00"
    for (const line of ['95', '104', '105']) expect(run.stderr).toMatch(new RegExp(`(^|\\D)${line}(\\D|$)`, 'm'));
    // nothing else is reported invalid: not the duplicate (lines 93/97), the conflicting
    // redelivery (106) or the corrected redelivery (107)
    expect(run.stderr).not.toMatch(/:(93|97|106|107):/);
  });

  it('prints one scorecard per partner with a valid event, sorted by partnerId', () => {
    expect(run.cards.map((c) => c.partnerId)).toEqual([
      'P-10001',
      'P-10002',
      'P-10003',
      'P-10004',
      'P-10005',
      'P-10006',
      'P-10007',
      'P-10008',
      'P-10009',
    ]);
  });

  for (const [partnerId, exp] of Object.entries(expected)) {
    describe(partnerId, () => scorecardTests(partnerId, exp, () => card(partnerId), PROGRAM, AS_OF));
  }

  // P-10006 Adatum Distribution: partnerType "distributor" matches no track -> status none
  // (rule 1). Its 80000.00 deal accrues nothing: there is no effective tier on any day.
  describe('P-10006', () => noTrackTests('P-10006', () => card('P-10006')));

  it('--partner prints only that partner, with the same scorecard', () => {
    const one = evaluate([...ARGS, '--partner', 'P-10002']);
    expect(one.cards.map((c) => c.partnerId)).toEqual(['P-10002']);
    expect(one.cards[0]).toEqual(card('P-10002'));
  }, 180_000);
});

// The same events with examples/aws-style/overrides.jsonl (SPEC §3a rule 19).
describe('examples/aws-style with --overrides (as-of 2026-11-23)', () => {
  let plain: CliRun;
  let run: CliRun;
  beforeAll(() => {
    plain = evaluate(ARGS);
    run = evaluate([...ARGS, '--overrides', 'examples/aws-style/overrides.jsonl']);
  }, 180_000);
  const card = (id: string) => run.cards.find((c) => c.partnerId === id);

  it('an override alone does not list a partner (P-99999 has no events)', () => {
    expect(run.cards.map((c) => c.partnerId)).toEqual(plain.cards.map((c) => c.partnerId));
  });

  // P-10003 Fabrikam: override select 2026-02-20..2026-03-15. Without it the demotion was due on
  // 2026-03-01 (S = 2025-12-02). With it e = select on 02-20..03-15; on 03-16 the walk continues
  // from select with no grace run in progress: q = registered (rev 40250) starts a new run
  // S = 2026-03-16, demotion on S + 89 = 2026-06-13. So deal 3005 (2026-03-01) accrues at select:
  // 18750 x .04 = 750.00, x .01 = 187.50 (instead of 375.00 at registered).
  // commission 620 + 1056 + 480 + 380 + 750 + 306 = 3592.00; mdf 264 + 120 + 95 + 187.50 = 666.50.
  describe('P-10003 (override ended before D)', () => {
    scorecardTests(
      'P-10003',
      {
        ...expected['P-10003']!,
        ledger: { commission: '3592.00', mdf: '666.50', rebate: '0.00' },
      },
      () => card('P-10003'),
      PROGRAM,
      AS_OF,
    );
  });

  // P-10008 Relecloud: override advanced 2026-11-01..2026-12-31 covers D -> status override
  // (rule 3), e = advanced, q = select unchanged, graceEndsOn null (only for grace/hold),
  // benefits are advanced's. next and risks are about q and do not change. Deal 8005
  // (2026-11-03) accrues at advanced: 18500 x .06 = 1110.00, x .02 = 370.00, x .01 = 185.00.
  // commission 760 + 1100 + 1110 = 2970.00; mdf 275 + 370 = 645.00; rebate 185.00.
  describe('P-10008 (override in force on D)', () => {
    scorecardTests(
      'P-10008',
      {
        ...expected['P-10008']!,
        effectiveTier: 'advanced',
        status: 'override',
        graceEndsOn: null,
        benefits: SERVICES_RATES.advanced,
        ledger: { commission: '2970.00', mdf: '645.00', rebate: '185.00' },
      },
      () => card('P-10008'),
      PROGRAM,
      AS_OF,
    );
  });

  // P-10004 Tailspin: override to "premier", a tier the software track lacks: no effect on any
  // day (rule 19), so the scorecard is the one without overrides (status qualified: an
  // override with no effect does not apply).
  describe('P-10004 (override to a tier its track lacks)', () => {
    scorecardTests('P-10004', expected['P-10004']!, () => card('P-10004'), PROGRAM, AS_OF);
  });

  it('partners without overrides are unchanged', () => {
    for (const id of ['P-10001', 'P-10002', 'P-10005', 'P-10006', 'P-10007', 'P-10009']) {
      expect(card(id)).toEqual(plain.cards.find((c) => c.partnerId === id));
    }
  });
});
