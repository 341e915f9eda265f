// Issue 4, "Program versions and overrides": `overrides set/list/clear` are audited
// (audit_log rows), the next recompute applies an override (status `override`, its tier as
// the effective tier, ledger at that tier on its days), and after `clear` the partner
// returns to what the policy alone gives.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { clearOverrides, listOverrides, setOverride } from '../../scripts/commands/overrides.ts';
import { runRecompute } from '../../scripts/commands/recompute.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  cliEnv,
  currentHistory,
  dealUpserted,
  evaluateRef,
  expectedHistory,
  ledgerSums,
  nonZero,
  partnerUpserted,
  putFacts,
  reference,
  referenceLines,
  storedScorecard,
} from './support.ts';
import { pollUntil } from '../setup/wait.ts';

const TODAY = '2026-11-23';
const P = 'P-OVERRIDE';

describeWithPostgres('recompute: manual overrides', () => {
  let pipeline: Pipeline;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    pipeline = await createPipeline();
    // The CLI functions read their services and "today" from the environment; the
    // in-process workers read "today" from it too.
    restoreEnv = setEnv(cliEnv(pipeline, TODAY));
    await pipeline.startWorkers(['recompute']);
  });
  afterAll(async () => {
    await pipeline?.stop();
    restoreEnv?.();
  });

  const audit = () =>
    pipeline.database.db.selectFrom('audit_log').selectAll().where('partner_id', '=', P).orderBy('id').execute();
  const scorecard = async () => (await storedScorecard(pipeline.database.db, P)) as Scorecard | undefined;

  async function expectState(expected: ReturnType<typeof evaluateRef>): Promise<void> {
    const db = pipeline.database.db;
    expect(await scorecard()).toEqual(expected.scorecard);
    expect(await currentHistory(db, P)).toEqual(expectedHistory(expected));
    expect(nonZero(await ledgerSums(db, P))).toEqual(referenceLines(expected));
  }

  it('audits set and clear, applies the override on the next recompute, and returns to policy after clear', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      // Silver by policy (two sales people, 300k trailing revenue); a deal closes during the override.
      const events = [
        partnerUpserted('p-1', P),
        certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
        certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2026-01-10' }),
        dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
        dealUpserted('d-2', P, { dealId: 'D2', amount: '10000.00', closedAt: '2026-11-21' }),
      ];
      await putFacts(pipeline, events);
      await runRecompute({ partner: P, wait: true });
      const batch = reference(pipeline.program, events);
      const policy = evaluateRef(batch, P, TODAY);
      expect(policy.scorecard).toMatchObject({ effectiveTier: 'silver', status: 'qualified' });
      await expectState(policy);

      // Refused input is not audited.
      await expect(
        setOverride(P, 'platinum', { from: '2026-11-20', until: '2026-12-31', reason: 'x', by: 'alice' }),
      ).rejects.toThrow(/platinum/);
      expect(await audit()).toEqual([]);

      await setOverride(P, 'gold', {
        from: '2026-11-20',
        until: '2026-12-31',
        reason: 'strategic account',
        by: 'alice',
      });
      const [set] = await audit();
      const overrideId = (set?.details as { id?: unknown } | undefined)?.id;
      expect(overrideId).toBeDefined();
      expect(set).toMatchObject({
        actor: 'alice',
        action: 'override.set',
        partner_id: P,
        details: { tier: 'gold', from: '2026-11-20', until: '2026-12-31', reason: 'strategic account' },
      });

      log.mockClear();
      await listOverrides({ json: true });
      expect(log.mock.calls.map((c) => JSON.parse(String(c[0])) as unknown)).toEqual([
        expect.objectContaining({
          partnerId: P,
          tier: 'gold',
          from: '2026-11-20',
          until: '2026-12-31',
          reason: 'strategic account',
          by: 'alice',
        }),
      ]);

      // The recompute that `set` asked for applies it.
      await pollUntil(
        'the override to be applied',
        async () => ((await scorecard())?.status === 'override' ? true : undefined),
        20_000,
        50,
      );
      const rule: OverrideRule = {
        tier: 'gold',
        from: dayOrThrow('2026-11-20'),
        until: dayOrThrow('2026-12-31'),
        reason: 'strategic account',
        by: 'alice',
      };
      const overridden = evaluateRef(batch, P, TODAY, [rule]);
      expect(overridden.scorecard).toMatchObject({
        effectiveTier: 'gold',
        qualifiedTier: 'silver',
        status: 'override',
        benefits: { commissionRate: '0.08' },
      });
      await expectState(overridden);
      // D2 closed on an overridden day: paid at gold.
      expect(overridden.scorecard.ledger).toEqual({ commission: '15800.00', mdf: '3200.00', rebate: '100.00' });
      const decisions = await pipeline.database.db
        .selectFrom('decisions')
        .selectAll()
        .where('partner_id', '=', P)
        .orderBy('id')
        .execute();
      expect(decisions.at(-1)).toMatchObject({
        day: '2026-11-20',
        previous_tier: 'silver',
        new_tier: 'gold',
        qualified_tier: 'silver',
        criteria: { kind: 'override' },
        trigger_event_ids: [`override:${String(overrideId)}`],
      });

      await clearOverrides(P, { by: 'bob' });
      const trail = await audit();
      expect(trail).toHaveLength(2);
      expect(trail[1]).toMatchObject({ actor: 'bob', action: 'override.clear', partner_id: P });
      log.mockClear();
      await listOverrides({ json: true });
      expect(log.mock.calls).toEqual([]);

      // The next recompute puts it back where the policy alone puts it, ledger included.
      await pollUntil(
        'the partner to return to policy',
        async () => ((await scorecard())?.status === 'qualified' ? true : undefined),
        20_000,
        50,
      );
      await expectState(policy);
      expect((await scorecard())?.ledger).toEqual({ commission: '15500.00', mdf: '3100.00', rebate: '0.00' });
      // Nothing was edited on the way: the gold accruals were taken back by adjustments.
      const d2 = await pipeline.database.db
        .selectFrom('ledger_entries')
        .select(['benefit', 'kind', 'amount'])
        .where('partner_id', '=', P)
        .where('deal_id', '=', 'D2')
        .orderBy('id')
        .execute();
      expect(d2.filter((e) => e.benefit === 'rebate').map((e) => [e.kind, e.amount])).toEqual([
        ['accrual', '100.00'],
        ['adjustment', '-100.00'],
      ]);
    } finally {
      log.mockRestore();
    }
  });

  // A wake-up for owed work is skipped when the partner owes nothing and is computed as of
  // the day; an operator's `recompute --partner` must not be.
  it('recompute --partner recomputes a partner that owes nothing', async () => {
    const db = pipeline.database.db;
    await pollUntil(
      'nothing owed',
      async () =>
        (await db.selectFrom('recompute_requests').select('partner_id').where('partner_id', '=', P).executeTakeFirst())
          ? undefined
          : true,
      20_000,
      50,
    );
    const stamp = new Date('2001-01-01T00:00:00Z');
    await db.updateTable('scorecards').set({ computed_at: stamp }).where('partner_id', '=', P).execute();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await runRecompute({ partner: P, wait: true });
    } finally {
      log.mockRestore();
    }
    const row = await db
      .selectFrom('scorecards')
      .select('computed_at')
      .where('partner_id', '=', P)
      .executeTakeFirstOrThrow();
    expect(new Date(row.computed_at).getTime()).toBeGreaterThan(stamp.getTime());
  });
});
