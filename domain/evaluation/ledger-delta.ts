// The ledger is append-only: a recompute appends what makes each (deal, benefit) total of a
// partner equal the evaluation, an accrual for a first entry and an adjustment after.
// Computed as a difference, so running it twice appends nothing the second time.
import { formatDay } from '../dates.ts';
import { decimalToRatio } from '../money.ts';
import type { BenefitName, LedgerLine } from './ledger.ts';

/** A stored sum of one partner's entries for one (deal, benefit, closed_at). */
export interface StoredLedgerSum {
  dealId: string;
  benefit: BenefitName;
  closedAt: string;
  /** Exact decimal. */
  total: string;
}

export interface StoredTotal {
  total: bigint;
  /** The closed_at of the entries (of the last sum read, when they differ). */
  closedAt: string;
}

/** Keyed by ledgerKey(deal, benefit). */
export type StoredTotals = Map<string, StoredTotal>;

export interface LedgerEntry {
  dealId: string;
  benefit: BenefitName;
  /** Signed, in minor units: adjustments may be negative. */
  amountMinor: bigint;
  kind: 'accrual' | 'adjustment';
  closedAt: string;
  tierId: string | null;
  rate: string;
}

export const ledgerKey = (dealId: string, benefit: string): string => `${dealId}\u0000${benefit}`;

function minorOf(amount: string, digits: number): bigint {
  const { num, den } = decimalToRatio(amount);
  return (num * 10n ** BigInt(digits)) / den;
}

/** One partner's stored sums as (deal, benefit) totals in minor units. */
export function storedTotals(sums: readonly StoredLedgerSum[], digits: number): StoredTotals {
  const have: StoredTotals = new Map();
  for (const s of sums) {
    const key = ledgerKey(s.dealId, s.benefit);
    const prior = have.get(key);
    have.set(key, { total: (prior?.total ?? 0n) + minorOf(s.total, digits), closedAt: s.closedAt });
  }
  return have;
}

/** What makes each (deal, benefit) total of one partner equal the evaluation's lines. */
export function ledgerDelta(lines: readonly LedgerLine[], have: ReadonlyMap<string, StoredTotal>): LedgerEntry[] {
  const want = new Map<string, LedgerLine>();
  for (const line of lines) want.set(ledgerKey(line.dealId, line.benefit), line);
  const out: LedgerEntry[] = [];
  for (const [key, line] of want) {
    const prior = have.get(key);
    const delta = line.amountMinor - (prior?.total ?? 0n);
    if (delta === 0n && prior) continue;
    if (delta === 0n && line.amountMinor === 0n) continue;
    out.push({
      dealId: line.dealId,
      benefit: line.benefit,
      amountMinor: delta,
      kind: prior ? 'adjustment' : 'accrual',
      closedAt: formatDay(line.closedAt),
      tierId: line.tierId,
      rate: line.rate,
    });
  }
  for (const [key, prior] of have) {
    if (want.has(key) || prior.total === 0n) continue;
    const [dealId, benefit] = key.split('\u0000') as [string, BenefitName];
    out.push({
      dealId,
      benefit,
      amountMinor: -prior.total,
      kind: 'adjustment',
      closedAt: prior.closedAt,
      tierId: null,
      rate: '0',
    });
  }
  return out;
}
