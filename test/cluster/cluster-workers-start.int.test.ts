// Found by the cluster chaos suite (npm run test:chaos -- --cluster) on a loaded host: a worker
// process whose cluster connections failed their first slots refresh printed the error and
// then lived on with no workers, its connections reconnecting for ever, so no supervisor
// restarted it. startWorkers must close what it opened before it rethrows. Redis here is the
// run's plain Redis named as a cluster seed: its CLUSTER SLOTS fails, as every seed did then.
import { Cluster } from 'ioredis';
import { pino } from 'pino';
import { afterEach, expect, it, vi } from 'vitest';
import { startWorkers } from '../../workers/runner.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

describeWithPostgres('workers whose Redis Cluster does not answer at start', () => {
  let pipeline: Pipeline | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    await pipeline?.stop();
  });

  it('startWorkers rejects and leaves no cluster connection reconnecting', async () => {
    pipeline = await createPipeline();
    const opened: Cluster[] = [];
    const connect = Cluster.prototype.connect;
    vi.spyOn(Cluster.prototype, 'connect').mockImplementation(function (this: Cluster) {
      opened.push(this);
      return connect.call(this);
    });
    await expect(
      startWorkers(
        {
          db: pipeline.database.db,
          queues: pipeline.queues,
          settings: { ...pipeline.settings, cluster: true },
          log: pino({ level: 'silent' }),
        },
        ['ingest', 'recompute'],
      ),
    ).rejects.toThrow();
    expect(opened.length).toBeGreaterThan(0);
    // Closed by hand: ended, or disconnecting with nothing left to close; never reconnecting again.
    const closed = (c: Cluster): boolean => c.status === 'end' || c.status === 'disconnecting';
    await pollUntil(
      'every cluster connection the workers opened to be closed',
      async () => (opened.every(closed) ? true : undefined),
      15_000,
      100,
    );
  }, 60_000);
});
