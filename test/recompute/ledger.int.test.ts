// Issue 4, "Incentive ledger": entries are appended per closed_won deal and benefit at the
// effective tier on its closedAt; a changed deal or a late event that changes the tier on
// that day appends adjustments (never edits or deletes), so totals equal the reference
// (evaluatePartner over the same events) to the cent; recomputing again appends nothing.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { readLedger } from '../../scripts/commands/reads.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  cliEnv,
  dealUpserted,
  evaluateRef,
  ledgerEntries,
  ledgerSums,
  nonZero,
  partnerUpserted,
  putFacts,
  reference,
  referenceLines,
  storedScorecard,
  type TestEvent,
} from './support.ts';
import { withEnv } from '../setup/env.ts';

const AS_OF = '2026-11-23';
const P = 'P-LEDGER';

describeWithPostgres('recompute: the incentive ledger', () => {
  let pipeline: Pipeline;
  const events: TestEvent[] = [];

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  /** Stores the events, recomputes the partner, and checks everything against the reference. */
  async function step(more: TestEvent[]) {
    events.push(...more);
    await putFacts(pipeline, more);
    const summary = await recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow(AS_OF));
    const expected = evaluateRef(reference(pipeline.program, events), P, AS_OF);
    // Per (deal, benefit) and in total, to the cent.
    expect(nonZero(await ledgerSums(pipeline.database.db, P))).toEqual(referenceLines(expected));
    expect(await storedScorecard(pipeline.database.db, P)).toEqual(expected.scorecard);
    return { summary, expected, entries: await ledgerEntries(pipeline.database.db, P) };
  }

  it('appends accruals, then adjustments that keep totals exact, and never edits an entry', async () => {
    // One sales certification: registered (commission 3%) until a second one arrives.
    const first = await step([
      partnerUpserted('p-1', P),
      certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
      dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
      dealUpserted('d-2', P, { dealId: 'D2', amount: '12345.67', closedAt: '2026-05-15' }),
      dealUpserted('d-3', P, {
        dealId: 'D3',
        amount: '1000.00',
        currency: 'EUR',
        fxRate: '1.0842',
        closedAt: '2026-06-20',
      }),
      // 1050.50 × 3% = 31.515: a half-even tie.
      dealUpserted('d-4', P, { dealId: 'D4', amount: '1050.50', closedAt: '2026-07-01' }),
      dealUpserted('d-5', P, { dealId: 'D5', amount: '5000.00', stage: 'open', closedAt: null }),
    ]);
    expect(first.expected.scorecard.effectiveTier).toBe('registered');
    expect(first.entries.map((e) => [e.deal_id, e.benefit, e.kind, e.amount, e.tier_id, e.rate])).toEqual([
      ['D1', 'commission', 'accrual', '9000.00', 'registered', '0.03'],
      ['D2', 'commission', 'accrual', '370.37', 'registered', '0.03'],
      ['D3', 'commission', 'accrual', '32.53', 'registered', '0.03'],
      ['D4', 'commission', 'accrual', '31.52', 'registered', '0.03'],
    ]);
    expect(first.summary.ledgerEntries).toBe(4);

    // A deal's amount changes (higher version), another is lost, and a late, backdated
    // certification makes the partner silver from 2026-04-01: D2 and D4 closed at silver.
    const second = await step([
      dealUpserted('d-1b', P, { dealId: 'D1', amount: '310000.00', closedAt: '2026-03-01', version: 2 }),
      dealUpserted('d-3b', P, {
        dealId: 'D3',
        amount: '1000.00',
        currency: 'EUR',
        fxRate: '1.0842',
        stage: 'closed_lost',
        closedAt: '2026-06-20',
        version: 2,
      }),
      certificationEarned('c-2', P, { personId: 'E2', certificationId: 'sales-associate', earnedAt: '2026-04-01' }),
    ]);
    expect(second.expected.scorecard.effectiveTier).toBe('silver');
    // The old entries are all still there, unchanged, first and in the same order.
    expect(second.entries.slice(0, first.entries.length)).toEqual(first.entries);
    const appended = second.entries.slice(first.entries.length);
    expect(appended.map((e) => [e.deal_id, e.benefit, e.amount, e.tier_id]).sort()).toEqual(
      [
        ['D1', 'commission', '300.00', 'registered'],
        ['D2', 'commission', '246.91', 'silver'],
        ['D2', 'mdf', '123.46', 'silver'],
        ['D3', 'commission', '-32.53', null],
        // 1050.50 × 5% = 52.525 → 52.52 and × 1% = 10.505 → 10.50 (ties to even).
        ['D4', 'commission', '21.00', 'silver'],
        ['D4', 'mdf', '10.50', 'silver'],
      ].sort(),
    );
    expect(appended.filter((e) => e.benefit === 'commission').every((e) => e.kind === 'adjustment')).toBe(true);
    expect(second.expected.scorecard.ledger).toEqual({ commission: '9969.80', mdf: '133.96', rebate: '0.00' });

    // D4 moves back to a day it was registered on, and D5 closes: adjustments and an accrual.
    const third = await step([
      dealUpserted('d-4b', P, { dealId: 'D4', amount: '1050.50', closedAt: '2026-03-15', version: 2 }),
      dealUpserted('d-5b', P, { dealId: 'D5', amount: '5000.00', closedAt: '2026-11-23', version: 2 }),
    ]);
    expect(third.entries.slice(0, second.entries.length)).toEqual(second.entries);
    expect(
      third.entries
        .slice(second.entries.length)
        .map((e) => [e.deal_id, e.benefit, e.amount])
        .sort(),
    ).toEqual(
      [
        ['D4', 'commission', '-21.00'],
        ['D4', 'mdf', '-10.50'],
        ['D5', 'commission', '250.00'],
        ['D5', 'mdf', '50.00'],
      ].sort(),
    );

    // Recomputing with nothing new appends nothing.
    const again = await recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow(AS_OF));
    expect(again.ledgerEntries).toBe(0);
    expect(await ledgerEntries(pipeline.database.db, P)).toEqual(third.entries);

    // `tierline ledger ID --json` shows the same totals and every entry.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await withEnv(cliEnv(pipeline, AS_OF), () => readLedger(P, { json: true }));
      const printed = JSON.parse(String(log.mock.calls[0]?.[0])) as {
        totals: Record<string, string>;
        entries: unknown[];
      };
      expect(printed.totals).toMatchObject({
        commission: third.expected.scorecard.ledger.commission,
        mdf: third.expected.scorecard.ledger.mdf,
      });
      expect(printed.entries).toHaveLength(third.entries.length);
    } finally {
      log.mockRestore();
    }
  });

  it('refuses to edit or delete an entry in the database itself', async () => {
    const db = pipeline.database.db;
    await expect(
      db.updateTable('ledger_entries').set({ amount: '1.00' }).where('partner_id', '=', P).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('ledger_entries').where('partner_id', '=', P).execute()).rejects.toThrow(/append-only/);
  });
});
