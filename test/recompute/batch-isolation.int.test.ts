// Wake-ups are recomputed in batches of partners, one transaction each. A partner whose
// recompute can never succeed (here: a stored deal in a foreign currency without a rate,
// which no valid event could leave) must fail only its own wake-up: the batch is tried
// again partner by partner, so its batch-mates are still recomputed and their jobs succeed.
import type { Job } from 'bullmq';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProgramCache } from '../../workers/program-cache.ts';
import { recomputeWakeHandler, wakeBatcher, type RecomputeDeps } from '../../workers/recompute-jobs.ts';
import { pendingRecomputes } from '../../db/repositories/recompute-requests.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { certificationEarned, dealUpserted, partnerUpserted, putFacts } from './support.ts';

const GOOD = 'P-BATCH-GOOD';
const BAD = 'P-BATCH-BAD';
const OTHER = 'P-BATCH-OTHER';

describeWithPostgres('recompute: one partner that cannot be recomputed in a batch of wake-ups', () => {
  let pipeline: Pipeline;
  let deps: RecomputeDeps;

  beforeAll(async () => {
    pipeline = await createPipeline();
    deps = {
      db: pipeline.database.db,
      queues: pipeline.queues,
      programs: new ProgramCache(pipeline.database.db),
      log: pino({ level: 'silent' }),
    };
    await putFacts(
      pipeline,
      [GOOD, BAD, OTHER].flatMap((p) => [
        partnerUpserted(`${p}-p`, p),
        certificationEarned(`${p}-c1`, p, { personId: 'E1', earnedAt: '2026-01-10' }),
        dealUpserted(`${p}-d1`, p, { dealId: 'D1', amount: '100000.00', closedAt: '2026-03-01' }),
      ]),
    );
    await pipeline.database.db
      .insertInto('deals')
      .values({
        partner_id: BAD,
        deal_id: 'D-BROKEN',
        version: '1',
        stage: 'closed_won',
        amount: '10.00',
        currency: 'EUR',
        fx_rate: null,
        customer_id: null,
        registered_at: null,
        closed_at: '2026-03-02',
        source: 'crm',
        event_id: 'broken',
      })
      .execute();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const wake = async (partnerIds: string[]): Promise<Job> => {
    const owed = (await pendingRecomputes(pipeline.database.db, partnerIds)).map((o) => ({
      partnerId: o.partnerId,
      requestedAt: o.requestedAt,
    }));
    return { name: 'recompute-wake', id: `test-${partnerIds.join('-')}`, data: { owed } } as unknown as Job;
  };
  const scorecard = (id: string) =>
    pipeline.database.db.selectFrom('scorecards').select('partner_id').where('partner_id', '=', id).executeTakeFirst();
  const owes = async (id: string) => (await pendingRecomputes(pipeline.database.db, [id])).length === 1;

  it('fails the job that holds it, recomputes the rest of its batch, and keeps its owed request', async () => {
    const handle = recomputeWakeHandler(deps, wakeBatcher(deps));
    await expect(handle(await wake([GOOD, BAD]))).rejects.toThrow(/fxRate/);
    expect(await scorecard(GOOD)).toBeDefined();
    expect(await owes(GOOD)).toBe(false);
    expect(await scorecard(BAD)).toBeUndefined();
    expect(await owes(BAD)).toBe(true);
  });

  it("leaves other jobs' wake-ups gathered into the same batch unharmed", async () => {
    const handle = recomputeWakeHandler(deps, wakeBatcher(deps));
    const [bad, other] = await Promise.allSettled([handle(await wake([BAD])), handle(await wake([OTHER]))]);
    expect(bad.status).toBe('rejected');
    expect(other).toMatchObject({ status: 'fulfilled', value: { partners: 1 } });
    expect(await scorecard(OTHER)).toBeDefined();
    expect(await owes(BAD)).toBe(true);
  });
});
