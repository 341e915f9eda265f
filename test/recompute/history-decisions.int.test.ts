// Issue 4, "Recompute worker": the effective-tier history is effective-dated and superseded,
// never rewritten in place, when a late event changes the past; every tier change gets a
// decision row with the metrics and criteria that decided it and the events that triggered
// it; recomputing again writes no new history rows and no new decisions.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  currentHistory,
  dealUpserted,
  evaluateRef,
  expectedHistory,
  partnerUpserted,
  personDeparted,
  putFacts,
  reference,
  storedScorecard,
  tableCounts,
  type TestEvent,
} from './support.ts';

const AS_OF = '2026-11-23';
const P = 'P-HISTORY';

describeWithPostgres('recompute: effective-tier history and decisions', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const allHistory = () =>
    pipeline.database.db
      .selectFrom('effective_tier_history')
      .selectAll()
      .where('partner_id', '=', P)
      .orderBy('id')
      .execute();
  const decisions = () =>
    pipeline.database.db.selectFrom('decisions').selectAll().where('partner_id', '=', P).orderBy('id').execute();
  const recompute = () => recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow(AS_OF));

  it('supersedes history rows on a late event, records one decision per tier change, and is idempotent', async () => {
    const db = pipeline.database.db;
    // Silver from 2026-05-01 (second sales certification); E1 leaves on 2026-06-01, so
    // silver is in grace and demoted on the 90th day of the run, 2026-08-29.
    const events: TestEvent[] = [
      partnerUpserted('p-1', P),
      certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
      dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
      certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2026-05-01' }),
      personDeparted('x-1', P, { personId: 'E1', departedAt: '2026-06-01' }),
    ];
    await putFacts(pipeline, events);
    await recompute();

    const before = await allHistory();
    expect(before.map((r) => [r.valid_from, r.valid_to, r.tier_id, r.status, r.superseded_at])).toEqual([
      ['2026-01-10', '2026-05-01', 'registered', 'qualified', null],
      ['2026-05-01', '2026-06-01', 'silver', 'qualified', null],
      ['2026-06-01', '2026-08-29', 'silver', 'grace', null],
      ['2026-08-29', null, 'registered', 'qualified', null],
    ]);
    expect(before.every((r) => r.program_id === 'acme' && r.program_version === '2027.1')).toBe(true);

    const firstDecisions = await decisions();
    expect(
      firstDecisions.map((d) => [d.day, d.previous_tier, d.new_tier, d.qualified_tier, d.program_version]),
    ).toEqual([
      ['2026-05-01', 'registered', 'silver', 'silver', '2027.1'],
      ['2026-08-29', 'silver', 'registered', 'registered', '2027.1'],
    ]);
    const [promotion, demotion] = firstDecisions;
    // What decided them: the metric values that day and every tier's criteria results.
    expect(promotion?.metrics).toMatchObject({ revenue12m: '300000.00', salesCertified: '2', techCertified: '0' });
    expect(promotion?.criteria).toMatchObject({
      kind: 'promoted',
      track: 'resell',
      tiers: [
        { tier: 'registered', holds: true },
        { tier: 'silver', holds: true, unmet: [] },
        { tier: 'gold', holds: false },
      ],
    });
    expect(demotion?.metrics).toMatchObject({ salesCertified: '1' });
    expect(demotion?.criteria).toMatchObject({
      kind: 'demoted',
      tiers: [
        { tier: 'registered', holds: true },
        {
          tier: 'silver',
          holds: false,
          unmet: [{ path: 'allOf[1]', metric: 'salesCertified', actual: '1', required: '2', shortBy: '1' }],
        },
        { tier: 'gold' },
      ],
    });
    // The events whose arrival asked for the recompute.
    expect(promotion?.trigger_event_ids).toEqual(expect.arrayContaining(['lms:c-2', 'lms:x-1', 'crm:d-1']));

    // Recomputing with nothing new writes nothing.
    const counts = await tableCounts(db);
    const again = await recompute();
    expect(again.decisions).toBe(0);
    expect(await tableCounts(db)).toEqual(counts);
    expect(await allHistory()).toEqual(before);

    // A late, backdated certification: two sales people from 2026-04-01, so the partner is
    // silver from then on and never demoted. History from 2026-01-10 is superseded.
    const late = certificationEarned('c-3', P, {
      personId: 'E3',
      certificationId: 'sales-associate',
      earnedAt: '2026-04-01',
    });
    events.push(late);
    await putFacts(pipeline, [late]);
    await recompute();
    const expected = evaluateRef(reference(pipeline.program, events), P, AS_OF);
    expect(await storedScorecard(db, P)).toEqual(expected.scorecard);

    const after = await allHistory();
    // The old rows are still there, unchanged but for superseded_at.
    expect(after.slice(0, before.length).map((r) => ({ ...r, superseded_at: null }))).toEqual(before);
    expect(after.slice(0, before.length).every((r) => r.superseded_at instanceof Date)).toBe(true);
    // The new rows are the reference's runs.
    expect(await currentHistory(db, P)).toEqual(expectedHistory(expected));
    expect(after.slice(before.length).map((r) => [r.valid_from, r.valid_to, r.tier_id, r.status])).toEqual([
      ['2026-01-10', '2026-04-01', 'registered', 'qualified'],
      ['2026-04-01', null, 'silver', 'qualified'],
    ]);
    // The database refuses to rewrite a history row.
    await expect(
      db
        .updateTable('effective_tier_history')
        .set({ tier_id: 'gold' })
        .where('id', '=', after[0]?.id ?? '0')
        .execute(),
    ).rejects.toThrow(/never updated/);

    // One new decision for the new change, triggered by the late event; the earlier
    // decisions stay in the audit trail.
    const secondDecisions = await decisions();
    expect(secondDecisions.slice(0, firstDecisions.length)).toEqual(firstDecisions);
    const added = secondDecisions.slice(firstDecisions.length);
    expect(added.map((d) => [d.day, d.previous_tier, d.new_tier, d.qualified_tier])).toEqual([
      ['2026-04-01', 'registered', 'silver', 'silver'],
    ]);
    expect(added[0]?.trigger_event_ids).toEqual(['lms:c-3']);
    expect(added[0]?.metrics).toMatchObject({ salesCertified: '2', revenue12m: '300000.00' });
    expect(expected.changes.map((c) => c.day)).toEqual([dayOrThrow('2026-04-01')]);

    // And twice more: nothing new.
    const settled = await tableCounts(db);
    await recompute();
    await recompute();
    expect(await tableCounts(db)).toEqual(settled);
    expect(await decisions()).toEqual(secondDecisions);
    expect(await allHistory()).toEqual(after);
  });
});
