// The finance report (docs/finance.md): per partner and benefit, what the ledger's rules
// entitle it to for an accrual period against what was paid for that period.
// entitled: the ledger lines of the deals closed within the period (each amount × rate(e on
// closedAt) rounded half-even, e as known on the as-of day); paid: the payouts of the period
// paid on or before the as-of day (each converted at its fxRate, rounded half-even, then summed);
// difference = paid − entitled (positive: overpaid).
import { inPeriod, type AccrualPeriod } from './accrual-period.ts';
import type { Day } from './dates.ts';
import { BENEFITS, type BenefitName, type LedgerLine } from './evaluation/ledger.ts';
import type { PayoutFact } from './facts/types.ts';
import { formatMinor, formatRatio, toMinor } from './money.ts';

export interface FinanceRow {
  partnerId: string;
  period: string;
  benefit: BenefitName;
  entitled: string;
  paid: string;
  difference: string;
}

export interface FinanceInput {
  partnerId: string;
  /** The partner's ledger lines as of the as-of day (evaluatePartner's `ledger`). */
  ledger: readonly LedgerLine[];
  payouts: Iterable<PayoutFact>;
}

/** One partner's rows: one per benefit where either side is non-zero, in benefit order. */
export function financeRows(input: FinanceInput, period: AccrualPeriod, asOf: Day, digits: number): FinanceRow[] {
  const entitled = new Map<BenefitName, bigint>();
  const paid = new Map<BenefitName, bigint>();
  for (const line of input.ledger)
    if (line.closedAt <= asOf && inPeriod(period, line.closedAt))
      entitled.set(line.benefit, (entitled.get(line.benefit) ?? 0n) + line.amountMinor);
  for (const p of input.payouts)
    if (p.period === period.text && p.paidAt <= asOf) paid.set(p.benefit, (paid.get(p.benefit) ?? 0n) + p.amountMinor);
  const rows: FinanceRow[] = [];
  for (const { name } of BENEFITS) {
    const e = entitled.get(name) ?? 0n;
    const p = paid.get(name) ?? 0n;
    if (e === 0n && p === 0n) continue;
    rows.push({
      partnerId: input.partnerId,
      period: period.text,
      benefit: name,
      entitled: formatMinor(e, digits),
      paid: formatMinor(p, digits),
      difference: formatMinor(p - e, digits),
    });
  }
  return rows;
}

export interface FinanceTotals {
  entitled: string;
  paid: string;
  /** Sum of the positive differences. */
  overpaid: string;
  /** Sum of the negative differences, as a positive amount. */
  underpaid: string;
  /** overpaid ÷ entitled as a percentage with two decimals; null when nothing is entitled. */
  overpaidShare: string | null;
}

/** Rows' amounts back in minor units (they are exact decimal strings at `digits`). */
const minorOf = (text: string, digits: number): bigint =>
  text.startsWith('-') ? -toMinor(text.slice(1), digits) : toMinor(text, digits);

export function financeTotals(rows: readonly FinanceRow[], digits: number): FinanceTotals {
  let entitled = 0n;
  let paid = 0n;
  let over = 0n;
  let under = 0n;
  for (const r of rows) {
    entitled += minorOf(r.entitled, digits);
    paid += minorOf(r.paid, digits);
    const d = minorOf(r.difference, digits);
    if (d > 0n) over += d;
    else under -= d;
  }
  return {
    entitled: formatMinor(entitled, digits),
    paid: formatMinor(paid, digits),
    overpaid: formatMinor(over, digits),
    underpaid: formatMinor(under, digits),
    overpaidShare: entitled === 0n ? null : formatRatio({ num: over * 100n, den: entitled }, 2),
  };
}
