// domain/evaluation/ledger-delta.ts: what the ledger appends so that each (deal, benefit)
// total of a partner equals the evaluation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import type { BenefitName, LedgerLine } from '../../domain/evaluation/ledger.ts';
import {
  ledgerDelta,
  ledgerKey,
  storedTotals,
  type StoredTotal,
  type StoredTotals,
} from '../../domain/evaluation/ledger-delta.ts';

const CLOSED = '2026-03-10';

function line(dealId: string, benefit: BenefitName, amountMinor: bigint, extra: Partial<LedgerLine> = {}): LedgerLine {
  return {
    dealId,
    benefit,
    closedAt: dayOrThrow(CLOSED),
    tierId: 'gold',
    versionIndex: 0,
    rate: '0.1',
    amountMinor,
    dealAmountMinor: amountMinor * 10n,
    ...extra,
  };
}

const have = (entries: Array<[string, BenefitName, bigint, string?]>): StoredTotals =>
  new Map(
    entries.map(([deal, benefit, total, closedAt]) => [
      ledgerKey(deal, benefit),
      { total, closedAt: closedAt ?? CLOSED },
    ]),
  );

describe('storedTotals', () => {
  it('sums the stored sums of a (deal, benefit) in minor units, across closed_at', () => {
    const totals = storedTotals(
      [
        { dealId: 'd1', benefit: 'commission', closedAt: '2026-03-01', total: '10.50' },
        { dealId: 'd1', benefit: 'commission', closedAt: '2026-03-10', total: '-0.25' },
        { dealId: 'd1', benefit: 'mdf', closedAt: '2026-03-10', total: '3' },
      ],
      2,
    );
    expect(totals).toEqual(
      new Map<string, StoredTotal>([
        [ledgerKey('d1', 'commission'), { total: 1025n, closedAt: '2026-03-10' }],
        [ledgerKey('d1', 'mdf'), { total: 300n, closedAt: '2026-03-10' }],
      ]),
    );
  });

  it('reads amounts in the currency digits (JPY: none)', () => {
    expect(storedTotals([{ dealId: 'd', benefit: 'rebate', closedAt: CLOSED, total: '1200' }], 0)).toEqual(
      new Map([[ledgerKey('d', 'rebate'), { total: 1200n, closedAt: CLOSED }]]),
    );
  });
});

describe('ledgerDelta', () => {
  it.each([
    {
      name: 'a first entry is an accrual',
      lines: [line('d1', 'commission', 500n)],
      stored: have([]),
      want: [{ dealId: 'd1', benefit: 'commission', amountMinor: 500n, kind: 'accrual', tierId: 'gold', rate: '0.1' }],
    },
    {
      name: 'a total already right appends nothing',
      lines: [line('d1', 'commission', 500n)],
      stored: have([['d1', 'commission', 500n]]),
      want: [],
    },
    {
      name: 'a changed total appends the difference as an adjustment',
      lines: [line('d1', 'commission', 350n)],
      stored: have([['d1', 'commission', 500n]]),
      want: [
        { dealId: 'd1', benefit: 'commission', amountMinor: -150n, kind: 'adjustment', tierId: 'gold', rate: '0.1' },
      ],
    },
    {
      name: 'a zero line never entered appends nothing',
      lines: [line('d1', 'mdf', 0n)],
      stored: have([]),
      want: [],
    },
    {
      name: 'a zero line over a stored total reverses it as an adjustment',
      lines: [line('d1', 'mdf', 0n)],
      stored: have([['d1', 'mdf', 120n]]),
      want: [{ dealId: 'd1', benefit: 'mdf', amountMinor: -120n, kind: 'adjustment', tierId: 'gold', rate: '0.1' }],
    },
    {
      name: 'a stored total the evaluation no longer has is reversed, at its own closed_at, tier null, rate 0',
      lines: [],
      stored: have([['gone', 'rebate', 75n, '2026-01-31']]),
      want: [
        {
          dealId: 'gone',
          benefit: 'rebate',
          amountMinor: -75n,
          kind: 'adjustment',
          closedAt: '2026-01-31',
          tierId: null,
          rate: '0',
        },
      ],
    },
    {
      name: 'a stored zero total the evaluation no longer has appends nothing',
      lines: [],
      stored: have([['gone', 'rebate', 0n]]),
      want: [],
    },
    {
      name: 'the last line of a (deal, benefit) wins',
      lines: [line('d1', 'commission', 100n), line('d1', 'commission', 200n, { tierId: 'silver' })],
      stored: have([]),
      want: [
        { dealId: 'd1', benefit: 'commission', amountMinor: 200n, kind: 'accrual', tierId: 'silver', rate: '0.1' },
      ],
    },
  ])('$name', ({ lines, stored, want }) => {
    expect(ledgerDelta(lines, stored)).toEqual(want.map((w) => ({ closedAt: CLOSED, ...w })));
  });

  it('new lines come first, in line order; reversals after, in stored order', () => {
    const out = ledgerDelta(
      [line('b', 'commission', 1n), line('a', 'mdf', 2n)],
      have([
        ['z', 'commission', 5n],
        ['y', 'rebate', 6n],
      ]),
    );
    expect(out.map((e) => `${e.dealId}/${e.benefit}`)).toEqual(['b/commission', 'a/mdf', 'z/commission', 'y/rebate']);
  });

  it('applied to the stored totals, gives the evaluation’s totals (and zero for what it no longer has)', () => {
    const benefit = fc.constantFrom<BenefitName>('commission', 'mdf', 'rebate');
    const deal = fc.constantFrom('d1', 'd2', 'd3', 'd4');
    const amount = fc.bigInt({ min: -10_000n, max: 10_000n });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(deal, benefit, amount), { maxLength: 12 }),
        fc.array(fc.tuple(deal, benefit, amount), { maxLength: 12 }),
        (wanted, stored) => {
          const lines = wanted.map(([d, b, a]) => line(d, b, a));
          const totals = have(stored.map(([d, b, a]) => [d, b, a]));
          const after = new Map([...totals].map(([k, v]) => [k, v.total]));
          for (const e of ledgerDelta(lines, totals)) {
            const key = ledgerKey(e.dealId, e.benefit);
            after.set(key, (after.get(key) ?? 0n) + e.amountMinor);
          }
          const expected = new Map<string, bigint>();
          for (const k of totals.keys()) expected.set(k, 0n);
          for (const l of lines) expected.set(ledgerKey(l.dealId, l.benefit), l.amountMinor);
          for (const [k, v] of expected) expect(after.get(k) ?? 0n).toBe(v);
          // Nothing to append the second time.
          const again = new Map([...after].map(([k, total]) => [k, { total, closedAt: CLOSED }]));
          expect(ledgerDelta(lines, again)).toEqual([]);
        },
      ),
    );
  });
});
