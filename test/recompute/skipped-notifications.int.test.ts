// Issue 21 item 6: a change older than alerts.notifyChangesWithinDays is recorded as a
// skipped notification, not emailed — and the recompute worker says so in its log, so an
// operator who sees no email for a backfilled promotion finds why.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { stopChild } from '../setup/children.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';
import { certificationEarned, dealUpserted, partnerUpserted, putFacts, spawnRecomputeWorker } from './support.ts';

const AS_OF = '2026-11-23';
const P = 'P-OLD';

describeWithPostgres('notifications skipped as too old (issue 21 item 6)', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
    // Silver from 2026-05-01 (two sales certifications and the revenue): months before today.
    await putFacts(pipeline, [
      partnerUpserted('p-1', P),
      certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
      dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
      certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2026-05-01' }),
    ]);
  });
  afterAll(async () => {
    await pipeline?.stop();
  }, 60_000);

  it('the recompute worker logs how many were skipped, and the rows are there with their reason', async () => {
    const worker = await spawnRecomputeWorker(pipeline, 'recompute-skip', AS_OF);
    let line: string;
    try {
      await enqueueMany(pipeline.queues, JOBS.recomputePartner, QUEUES.recompute, [{ partnerId: P }]);
      line = await pollUntil(
        'the skipped-notifications log line',
        async () =>
          worker
            .output()
            .split('\n')
            .find((l) =>
              l.includes('notifications skipped: the changes are older than alerts.notifyChangesWithinDays'),
            ),
        60_000,
      );
    } finally {
      await stopChild(worker);
    }
    const logged = JSON.parse(line) as { skipped: number; level: number };
    const rows = await pipeline.database.db
      .selectFrom('outbox')
      .select(['kind', 'status', 'skip_reason'])
      .where('partner_id', '=', P)
      .execute();
    const skipped = rows.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => r.kind)).toContain('tier.promoted');
    expect(logged.skipped).toBe(skipped.length);
    for (const r of skipped) expect(r.skip_reason).toMatch(/is older than notifyChangesWithinDays \(7 days\)$/);
  });
});
