// Incentive accruals (docs/scorecard.md): every closed_won deal earns amount × rate for each benefit of
// the effective tier on its closedAt, in the version in force that day, rounded half-even
// per entry to the currency's minor unit. A missing rate is 0.
import type { Day } from '../dates.ts';
import type { PartnerFacts } from '../facts/types.ts';
import { multiplyMinor } from '../money.ts';
import type { Benefits } from '../program/schema.ts';
import type { CompiledVersion } from './compiled.ts';

export const BENEFITS = [
  { name: 'commission', rate: 'commissionRate' },
  { name: 'mdf', rate: 'mdfRate' },
  { name: 'rebate', rate: 'rebateRate' },
] as const satisfies ReadonlyArray<{ name: string; rate: keyof Benefits }>;

export type BenefitName = (typeof BENEFITS)[number]['name'];

export interface LedgerLine {
  dealId: string;
  benefit: BenefitName;
  closedAt: Day;
  tierId: string | null;
  versionIndex: number;
  rate: string;
  amountMinor: bigint;
  dealAmountMinor: bigint;
}

export type LedgerTotals = Record<BenefitName, bigint>;

export interface TierOnDay {
  (day: Day): { version: CompiledVersion; tierId: string | null; benefits: Benefits };
}

/** The lines of the deals closed from `from` to `asOf`, by deal id. */
export function ledgerLines(
  facts: PartnerFacts,
  asOf: Day,
  digits: number,
  tierOn: TierOnDay,
  from: Day = -Infinity,
): LedgerLine[] {
  const lines: LedgerLine[] = [];
  const deals = [...facts.deals.values()].sort((a, b) => (a.dealId < b.dealId ? -1 : a.dealId > b.dealId ? 1 : 0));
  for (const deal of deals) {
    if (deal.stage !== 'closed_won' || deal.closedAt === undefined || deal.closedAt > asOf || deal.closedAt < from)
      continue;
    const { version, tierId, benefits } = tierOn(deal.closedAt);
    for (const { name, rate: key } of BENEFITS) {
      const rate = benefits[key] ?? '0';
      lines.push({
        dealId: deal.dealId,
        benefit: name,
        closedAt: deal.closedAt,
        tierId,
        versionIndex: version.index,
        rate,
        amountMinor: multiplyMinor(deal.amountMinor, digits, rate, digits),
        dealAmountMinor: deal.amountMinor,
      });
    }
  }
  return lines;
}

export function ledgerTotals(lines: readonly LedgerLine[]): LedgerTotals {
  const totals: LedgerTotals = { commission: 0n, mdf: 0n, rebate: 0n };
  for (const line of lines) totals[line.benefit] += line.amountMinor;
  return totals;
}
