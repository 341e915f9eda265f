// The central property (issue #4): whatever the arrival order, duplicates and late backdated
// events, once the pipeline has drained every partner's stored scorecard and ledger totals
// equal what `tierline evaluate` computes from the same events.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { ingest } from './ingest-jobs.ts';
import { prng, shuffle } from '../setup/prng.ts';
import { waitUntilDrained } from './drain.ts';
import { backdated } from './backdated.ts';

const AS_OF = '2026-11-23';

describeWithPostgres('pipeline equals evaluate', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    vi.stubEnv('TIERLINE_TODAY', AS_OF);
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest', 'recompute']);
  });

  afterAll(async () => {
    await pipeline?.stop();
    vi.unstubAllEnvs();
  });

  it(
    'stores the scorecards and ledger totals that evaluate computes, for shuffled, duplicated and late events',
    { timeout: 240_000 },
    async () => {
      const rnd = prng(2026);
      const history = [...generateHistory({ partners: 250, seed: 11, until: AS_OF, months: 24, eventsPerPartner: 60 })];
      const duplicates = Array.from(
        { length: 400 },
        () => history[Math.floor(rnd() * history.length)] as GeneratedEvent,
      );
      const first = shuffle([...history, ...duplicates], rnd);
      const late = backdated(history, rnd, AS_OF);
      expect(first.length).toBeGreaterThan(10_000);

      await ingest(pipeline, first);
      await waitUntilDrained(pipeline);
      await ingest(pipeline, shuffle([...late, ...late.slice(0, 20)], rnd));
      await waitUntilDrained(pipeline);

      const reference = new BatchEvaluation(pipeline.program);
      for (const e of [...first, ...late]) reference.addObject(e);
      const expected = reference.partnerIds().map((id) => reference.evaluate(id, dayOrThrow(AS_OF))?.scorecard);

      const { db } = pipeline.database;
      const stored = await db
        .selectFrom('scorecards')
        .select(['partner_id', 'scorecard'])
        .orderBy('partner_id')
        .execute();
      expect(stored.map((r) => r.partner_id)).toEqual(reference.partnerIds());
      expect(stored.map((r) => r.scorecard)).toEqual(expected);

      const totals = await db
        .selectFrom('ledger_entries')
        .select(['partner_id', 'benefit', sql<string>`sum(amount)::text`.as('total')])
        .groupBy(['partner_id', 'benefit'])
        .execute();
      for (const row of totals) {
        const card = expected.find((c) => c?.partnerId === row.partner_id);
        expect({ partner: row.partner_id, benefit: row.benefit, total: row.total }).toEqual({
          partner: row.partner_id,
          benefit: row.benefit,
          total: card?.ledger[row.benefit],
        });
      }
      const duplicatedEntries = await db
        .selectFrom('ledger_entries')
        .select(['partner_id', 'deal_id', 'benefit'])
        .where('kind', '=', 'accrual')
        .groupBy(['partner_id', 'deal_id', 'benefit'])
        .having(sql`count(*)`, '>', 1)
        .execute();
      expect(duplicatedEntries).toEqual([]);
    },
  );
});
