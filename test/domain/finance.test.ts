// The finance report's rules (docs/finance.md), table-driven on the SPEC §2 program: entitled
// is the ledger of the deals closed within the period with e as known on the as-of day, paid
// the period's payouts paid by then (highest version, converted at their own fxRate), and a
// late event that lowers a past tier shows up as overpayment.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAccrualPeriod } from '../../domain/accrual-period.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { financeRows, financeTotals, type FinanceRow } from '../../domain/finance.ts';
import { cert, day, envelope, partner, programSet, revoked, specProgram, str, won } from './fixtures.ts';

const P = 'P-FIN';
const payout = (payoutId: string, benefit: string, amount: string, paidAt: string, period: string, extra = {}) =>
  envelope('erp', 'payout.recorded', P, {
    payoutId,
    benefit,
    amount,
    currency: 'USD',
    paidAt,
    period,
    version: 1,
    ...extra,
  });

// Silver from 2026-07-01 (two sales certifications, 300,000 of revenue): commission 0.05, mdf 0.01.
const HISTORY = [
  partner(P),
  cert(P, 'E1', 'sales-associate', '2026-01-10'),
  cert(P, 'E2', 'sales-associate', '2026-01-10'),
  won(P, 'D1', '300000.00', '2026-07-01'),
  won(P, 'D2', '100000.00', '2026-08-15'),
  won(P, 'D3', '50000.00', '2026-10-02'),
];
const PAID_Q3 = [
  payout('X1', 'commission', '20000.00', '2026-10-05', '2026-Q3'),
  payout('X2', 'mdf', '4000.00', '2026-10-05', '2026-Q3'),
];

function report(events: readonly unknown[], period: string, asOf: string): FinanceRow[] {
  const program = programSet(specProgram());
  const batch = new BatchEvaluation(program);
  for (const e of events) batch.addObject(e);
  expect(batch.invalid).toEqual([]);
  const p = parseAccrualPeriod(period);
  if (!p) throw new Error(`bad period ${period}`);
  const ids = [...new Set([...batch.partnerIds(), ...batch.folder.payouts.keys()])].sort();
  return ids.flatMap((id) =>
    financeRows(
      {
        partnerId: id,
        ledger: batch.evaluate(id, day(asOf))?.ledger ?? [],
        payouts: batch.folder.payouts.get(id)?.values() ?? [],
      },
      p,
      day(asOf),
      2,
    ),
  );
}

const row = (benefit: string, entitled: string, paid: string, difference: string, period = '2026-Q3') => ({
  partnerId: P,
  period,
  benefit,
  entitled,
  paid,
  difference,
});

describe('accrual periods', () => {
  it.each([
    ['2026', '2026-01-01', '2026-12-31'],
    ['2026-Q1', '2026-01-01', '2026-03-31'],
    ['2026-Q3', '2026-07-01', '2026-09-30'],
    ['2024-02', '2024-02-01', '2024-02-29'],
    ['2026-12', '2026-12-01', '2026-12-31'],
  ])('%s is %s … %s', (text, from, to) => {
    const p = parseAccrualPeriod(text);
    expect(p && [str(p.from), str(p.to)]).toEqual([from, to]);
  });
  it.each(['2026-Q5', '2026-13', '2026-00', '26', '2026-q1', '2026-7', ' 2026', '2026-Q1 ', ''])('%j is refused', (t) =>
    expect(parseAccrualPeriod(t)).toBeUndefined(),
  );
});

describe('finance rows', () => {
  it('paid exactly what the ledger says: no difference', () => {
    expect(report([...HISTORY, ...PAID_Q3], '2026-Q3', '2026-11-23')).toEqual([
      row('commission', '20000.00', '20000.00', '0.00'),
      row('mdf', '4000.00', '4000.00', '0.00'),
    ]);
  });

  it('a late revocation lowers the past tier: what was paid at silver rates is overpaid', () => {
    const late = revoked(P, 'E2', 'sales-associate', '2026-06-01');
    expect(report([...HISTORY, ...PAID_Q3, late], '2026-Q3', '2026-11-23')).toEqual([
      row('commission', '12000.00', '20000.00', '8000.00'),
      row('mdf', '0.00', '4000.00', '4000.00'),
    ]);
  });

  it('as of a day before the payment: nothing paid yet, and later deals are not entitled', () => {
    expect(report([...HISTORY, ...PAID_Q3], '2026-Q3', '2026-08-01')).toEqual([
      row('commission', '15000.00', '0.00', '-15000.00'),
      row('mdf', '3000.00', '0.00', '-3000.00'),
    ]);
  });

  it('a payout counts for its own period string only: a month is not its quarter', () => {
    const july = payout('X3', 'commission', '15000.00', '2026-08-02', '2026-07');
    expect(report([...HISTORY, july], '2026-07', '2026-11-23')).toEqual([
      row('commission', '15000.00', '15000.00', '0.00', '2026-07'),
      row('mdf', '3000.00', '0.00', '-3000.00', '2026-07'),
    ]);
    expect(report([...HISTORY, july], '2026-Q3', '2026-11-23').map((r) => r.paid)).toEqual(['0.00', '0.00']);
  });

  it('the highest version of a payout wins, whatever the arrival order', () => {
    const v2 = payout('X1', 'commission', '21000.00', '2026-10-05', '2026-Q3', { version: 2 });
    const v1 = PAID_Q3[0];
    expect(report([...HISTORY, v2, v1], '2026-Q3', '2026-11-23')[0]).toEqual(
      row('commission', '20000.00', '21000.00', '1000.00'),
    );
  });

  it('a foreign payout is converted at its own fxRate, half-even, before it is summed', () => {
    const eur = (id: string) =>
      payout(id, 'rebate', '100.00', '2026-10-05', '2026-Q3', { currency: 'EUR', fxRate: '1.08335' });
    expect(report([...HISTORY, eur('E1'), eur('E2')], '2026-Q3', '2026-11-23')).toContainEqual(
      row('rebate', '0.00', '216.68', '216.68'),
    );
  });

  it('a partner with payouts and no other event gets rows; rows with nothing on either side are left out', () => {
    const stray = { ...payout('S1', 'mdf', '10.00', '2026-10-05', '2026-Q3'), partnerId: 'P-ONLY-PAID' };
    const rows = report([...HISTORY, stray], '2026-Q4', '2026-11-23');
    expect(rows).toEqual([
      row('commission', '2500.00', '0.00', '-2500.00', '2026-Q4'),
      row('mdf', '500.00', '0.00', '-500.00', '2026-Q4'),
    ]);
    expect(report([stray], '2026-Q3', '2026-11-23')).toEqual([
      {
        partnerId: 'P-ONLY-PAID',
        period: '2026-Q3',
        benefit: 'mdf',
        entitled: '0.00',
        paid: '10.00',
        difference: '10.00',
      },
    ]);
  });
});

describe('finance totals', () => {
  it('sums both sides; overpaid and underpaid apart; the overpaid share of entitled', () => {
    const late = revoked(P, 'E2', 'sales-associate', '2026-06-01');
    const rows = [
      ...report([...HISTORY, ...PAID_Q3, late], '2026-Q3', '2026-11-23'),
      {
        partnerId: 'P-Z',
        period: '2026-Q3',
        benefit: 'commission' as const,
        entitled: '500.00',
        paid: '0.00',
        difference: '-500.00',
      },
    ];
    expect(financeTotals(rows, 2)).toEqual({
      entitled: '12500.00',
      paid: '24000.00',
      overpaid: '12000.00',
      underpaid: '500.00',
      overpaidShare: '96.00',
    });
    expect(financeTotals([], 2).overpaidShare).toBeNull();
  });

  it('paid − entitled = overpaid − underpaid, for any rows', () => {
    const cents = fc.bigInt({ min: 0n, max: 10n ** 12n });
    fc.assert(
      fc.property(fc.array(fc.tuple(cents, cents)), (pairs) => {
        const fmt = (v: bigint) =>
          `${v < 0n ? '-' : ''}${(v < 0n ? -v : v) / 100n}.${String((v < 0n ? -v : v) % 100n).padStart(2, '0')}`;
        const rows = pairs.map(([e, p], i) => ({
          partnerId: `P${i}`,
          period: '2026',
          benefit: 'commission' as const,
          entitled: fmt(e),
          paid: fmt(p),
          difference: fmt(p - e),
        }));
        const t = financeTotals(rows, 2);
        const toCents = (s: string) => BigInt(s.replace('.', ''));
        expect(toCents(t.paid) - toCents(t.entitled)).toBe(toCents(t.overpaid) - toCents(t.underpaid));
      }),
    );
  });
});
