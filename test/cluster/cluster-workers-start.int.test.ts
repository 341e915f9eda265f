// Found by the cluster chaos suite (npm run test:chaos -- --cluster) on a loaded host: a worker
// process whose cluster connections failed their first slots refresh printed the error and
// then lived on with no workers, its connections reconnecting for ever, so no supervisor
// restarted it. The process must exit 1 (closing what it opened). Redis here is the run's
// plain Redis named as a cluster seed: its CLUSTER SLOTS fails, as every seed did then. Run
// as a child process: BullMQ's own connect() promises for the failed cluster connections
// reject unhandled, which is the process's business, not the test runner's.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tierline } from '../cli/support.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';
import { redisService } from '../setup/redis.ts';

describeWithPostgres('workers whose Redis Cluster does not answer at start', () => {
  let database: FreshDatabase;

  beforeAll(async () => {
    database = await freshDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('exit 1 naming the failure instead of living on without workers', () => {
    const run = tierline(['workers', '--only', 'ingest,recompute'], {
      DATABASE_URL: database.url,
      REDIS_URL: redisService().url,
      REDIS_CLUSTER: '1',
      TIERLINE_METRICS_PORT: '',
    });
    // spawnSync's 2-minute timeout would leave status null: the old process never exited.
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot start the workers|startup nodes|cluster/i);
  }, 150_000);
});
