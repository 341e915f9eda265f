// Issue 14, incremental recompute: a partner keeps a handful of checkpoints; a fact of today
// resumes from the day before, a late fact of last month from the month end before it, an
// older one or a changed override recomputes the whole history; the next day resumes from the
// as-of day. Every time, what is stored equals the reference (`tierline evaluate`).
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { setOverride } from '../../services/overrides.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  compareWithReference,
  dealUpserted,
  partnerUpserted,
  putFacts,
  reference,
  type TestEvent,
} from './support.ts';

const AS_OF = '2026-11-23';
const P = 'P-INCR';

describeWithPostgres('recompute: incremental from checkpoints', () => {
  let pipeline: Pipeline;
  const events: TestEvent[] = [];

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  /** Each checkpoint's day and the transaction that wrote it. */
  const checkpoints = async (): Promise<Map<string, string>> => {
    const { rows } = await sql<{ day: string; xmin: string }>`
      select day, xmin::text from timeline_checkpoints where partner_id = ${P} order by day`.execute(
      pipeline.database.db,
    );
    return new Map(rows.map((r) => [r.day, r.xmin]));
  };
  const add = async (...more: TestEvent[]): Promise<void> => {
    events.push(...more);
    await putFacts(pipeline, more);
  };
  const recomputeAndCompare = async (asOf = AS_OF): Promise<void> => {
    await recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow(asOf));
    const c = await compareWithReference(pipeline.database.db, reference(pipeline.program, events), asOf);
    expect({ scorecards: c.scorecards, history: c.history, ledger: c.ledger }).toEqual({
      scorecards: [],
      history: [],
      ledger: [],
    });
  };
  /** Days whose checkpoint row was rewritten between two readings. */
  const rewritten = (before: Map<string, string>, after: Map<string, string>): string[] =>
    [...after].filter(([day, xmin]) => before.get(day) !== xmin).map(([day]) => day);

  it('resumes from the latest checkpoint before the earliest affected day, and equals the reference', async () => {
    const deals = Array.from({ length: 40 }, (_, i) =>
      dealUpserted(`d-${i}`, P, {
        dealId: `D${i}`,
        amount: `${20_000 + i * 1_000}.00`,
        closedAt: formatDay(dayOrThrow('2024-01-15') + i * 25),
      }),
    );
    await add(
      partnerUpserted('p-1', P),
      certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2024-01-10' }),
      certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2025-03-01' }),
      ...deals,
    );
    await recomputeAndCompare();
    const first = await checkpoints();
    // Month ends of the last 92 days, the day before and the as-of day.
    expect([...first.keys()]).toEqual(['2026-08-31', '2026-09-30', '2026-10-31', '2026-11-22', '2026-11-23']);

    // A deal closing today: resumed after 2026-11-22, whose checkpoint stays as it was.
    await add(dealUpserted('d-today', P, { dealId: 'DT', amount: '90000.00', closedAt: AS_OF }));
    await recomputeAndCompare();
    const today = await checkpoints();
    expect(rewritten(first, today)).toEqual(['2026-11-23']);

    // A late deal of 2026-10-05: resumed after 2026-09-30.
    await add(dealUpserted('d-late', P, { dealId: 'DL', amount: '400000.00', closedAt: '2026-10-05' }));
    await recomputeAndCompare();
    const late = await checkpoints();
    expect(rewritten(today, late)).toEqual(['2026-10-31', '2026-11-22', '2026-11-23']);

    // A deal moved from 2026-10-05 to 2025-06-01, before every checkpoint: the whole history.
    await add(dealUpserted('d-moved', P, { dealId: 'DL', amount: '400000.00', closedAt: '2025-06-01', version: 2 }));
    await recomputeAndCompare();
    const moved = await checkpoints();
    expect(rewritten(late, moved)).toEqual([...moved.keys()]);

    // The next day: time alone, resumed after the stored as-of day.
    await recomputeAndCompare('2026-11-24');
    const next = await checkpoints();
    expect([...next.keys()]).toEqual(['2026-08-31', '2026-09-30', '2026-10-31', '2026-11-23', '2026-11-24']);
    expect(rewritten(moved, next)).toEqual(['2026-11-24']);
  });

  it('an override set makes the next recompute whole (its checkpoints were computed without it)', async () => {
    const before = await checkpoints();
    await setOverride(
      pipeline.database.db,
      { partnerId: P, tier: 'gold', from: '2026-11-24', until: '2026-12-31', reason: 'test', by: 'test' },
      { today: () => dayOrThrow('2026-11-24'), currentUser: () => 'test' },
    );
    await recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow('2026-11-24'));
    const after = await checkpoints();
    expect(rewritten(before, after)).toEqual([...after.keys()]);
    const card = await pipeline.database.db
      .selectFrom('scorecards')
      .select('scorecard')
      .where('partner_id', '=', P)
      .executeTakeFirstOrThrow();
    expect((card.scorecard as { effectiveTier: string; status: string }).status).toBe('override');
  });
});
