// A Redis restarted without its data loses the job schedulers too, and then nothing would
// ever run the reconciler that finds owed work in Postgres (found by `npm run test:chaos`).
// The scheduler role puts missing schedules back by itself.
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { installSchedules, keepSchedules } from '../../workers/scheduler.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

describeWithPostgres('schedules', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('are installed again when Redis has lost them', async () => {
    const { queues, database } = pipeline;
    const log = pino({ level: 'silent' });
    const env = { TIERLINE_RECONCILE_EVERY_MS: '1000' };
    await installSchedules(queues, database.db, log, env);
    const stop = keepSchedules(queues, database.db, log, env);
    try {
      // What a Redis restarted empty leaves: no schedulers, no scheduled jobs.
      await queues.recompute.obliterate({ force: true });
      expect(await queues.recompute.getJobScheduler('reconcile')).toBeUndefined();
      await expect
        .poll(async () => (await queues.recompute.getJobScheduler('reconcile'))?.every, {
          timeout: 10_000,
          interval: 100,
        })
        .toBe(1_000);
      expect(await queues.recompute.getJobScheduler('nightly')).toBeDefined();
    } finally {
      stop();
    }
  });
});
