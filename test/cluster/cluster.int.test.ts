// Issue #20 items 1–2: the pipeline on a Redis Cluster (a private 3 masters + 3 replicas,
// test/setup/cluster.ts), never the shared Redis. `ingest --wait` through the real binary
// exits with its counts; drained, every stored scorecard, history and ledger equals
// `evaluate`; the nightly run (a BullMQ flow with children) completes; and a master killed
// mid-run (its replica promoted) loses no acknowledged event: the pipeline resumes by itself
// and ends equal to `evaluate`.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JOBS, MAX_EVENTS_PER_JOB, QUEUES, type QueueName } from '../../queues/catalog.ts';
import { enqueueMany, openQueues } from '../../queues/queues.ts';
import { queueWriter } from '../../queues/replicas.ts';
import { SLOTS_REFRESH_MS } from '../../queues/connection.ts';
import { waitForJobs, type JobRef } from '../../queues/wait.ts';
import { runRecompute } from '../../scripts/commands/recompute.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { spawnTierline, stopChild } from '../setup/children.ts';
import { clusterToolsAvailable, startLocalCluster, type LocalCluster } from '../setup/cluster.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { prng, shuffle } from '../setup/prng.ts';
import { pollUntil } from '../setup/wait.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { compareWithReference, reference } from '../recompute/support.ts';

const AS_OF = '2026-11-23';

function clusterEnv(cluster: LocalCluster, pipeline: Pipeline): Record<string, string> {
  return {
    DATABASE_URL: pipeline.database.url,
    REDIS_URL: cluster.url,
    REDIS_CLUSTER: '1',
    TIERLINE_QUEUE_PREFIX: pipeline.settings.prefix,
    TIERLINE_TODAY: AS_OF,
  };
}

function history(seed: number, partners: number): GeneratedEvent[] {
  return [...generateHistory({ partners, seed, until: AS_OF, months: 12, eventsPerPartner: 30 })];
}

/** Puts `events` on the ingest queues; resolves once Redis has acknowledged every job. */
async function enqueue(pipeline: Pipeline, events: readonly GeneratedEvent[]): Promise<JobRef[]> {
  const runId = randomUUID();
  const refs: JobRef[] = [];
  for (const source of ['crm', 'lms', 'erp'] as const) {
    const lines = events.filter((e) => e.source === source).map((e) => JSON.stringify(e));
    for (let i = 0; i < lines.length; i += MAX_EVENTS_PER_JOB) {
      const receivedAt = new Date().toISOString();
      const payload = {
        events: lines.slice(i, i + MAX_EVENTS_PER_JOB).map((raw) => ({ raw, receivedAt })),
        origin: 'file',
        runId,
      };
      const [job] = await enqueueMany(pipeline.queues, JOBS.ingestEvents, source as QueueName, [payload]);
      if (job?.id) refs.push({ queue: source, id: job.id });
    }
  }
  return refs;
}

async function expectEqualsEvaluate(
  pipeline: Pipeline,
  events: readonly GeneratedEvent[],
  partners: number,
): Promise<void> {
  const compared = await compareWithReference(pipeline.database.db, reference(pipeline.program, events), AS_OF);
  expect(compared.partners).toBe(partners);
  expect(compared.scorecards).toEqual([]);
  expect(compared.history).toEqual([]);
  expect(compared.ledger).toEqual([]);
}

/**
 * test/pipeline/drain.ts's `drained`, but with the scheduler role running: its two schedules
 * (nightly run, reconciler) always hold a delayed job each.
 */
async function drainedButSchedules(pipeline: Pipeline): Promise<boolean> {
  lastState = await undrained(pipeline);
  return lastState === undefined;
}

/** What drainedButSchedules last found left to do (printed when a drain times out). */
let lastState: string | undefined;

async function undrained(pipeline: Pipeline): Promise<string | undefined> {
  for (const queue of Object.values(pipeline.queues)) {
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children');
    if (Object.values(counts).some((n) => n > 0)) return `${queue.name} ${JSON.stringify(counts)}`;
    const delayed = await queue.getJobs(['delayed']);
    const other = delayed.filter((job) => !job.id?.startsWith('repeat:'));
    if (other.length > 0)
      return `${queue.name} ${other.length} delayed: ${other[0]?.id} ${other[0]?.failedReason ?? ''}`;
  }
  const owed = await pipeline.database.db
    .selectFrom('recompute_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(owed.n) === 0 ? undefined : `${owed.n} recomputes owed`;
}

/** Drained twice in a row, asked through the failover (a look may fail while slots move). */
async function waitDrainedAfterFailover(pipeline: Pipeline): Promise<void> {
  let idle = 0;
  try {
    await pollUntil(
      'the pipeline to drain after the failover',
      async () => ((idle = (await drainedButSchedules(pipeline)) ? idle + 1 : 0) >= 2 ? true : undefined),
      180_000,
      250,
      { retryErrors: true },
    );
  } catch (error) {
    throw new Error(`${String(error)}; last seen: ${lastState ?? 'drained'}`, { cause: error });
  }
}

// Without redis-server/redis-cli the tests skip locally; CI (.ci/run checks the tools) fails.
const describeCluster =
  clusterToolsAvailable() || process.env.CI
    ? describeWithPostgres
    : (name: string, fn: () => void) => describe.skip(`${name} [skipped: no redis-server/redis-cli]`, fn);

describeCluster('the pipeline on a Redis Cluster (3 masters + 3 replicas)', () => {
  let cluster: LocalCluster;
  const files = mkdtempSync(join(tmpdir(), 'tierline-cluster-files-'));

  beforeAll(async () => {
    vi.stubEnv('TIERLINE_TODAY', AS_OF);
    cluster = await startLocalCluster({ nodeTimeoutMs: 2_000 });
  }, 120_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await cluster?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  describe('with every master up', () => {
    let pipeline: Pipeline;
    const PARTNERS = 40;
    const rnd = prng(20);
    const events = history(20, PARTNERS);
    const file = join(files, 'events.jsonl');

    beforeAll(async () => {
      pipeline = await createPipeline(undefined, { cluster: cluster.url });
      await pipeline.startWorkers(['ingest', 'recompute']);
    }, 60_000);

    afterAll(async () => {
      await pipeline?.stop();
    });

    it('`tierline ingest FILE --wait` exits with its counts', async () => {
      const first = events.slice(0, 300);
      writeFileSync(file, first.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const run = spawnTierline(['ingest', file, '--wait'], clusterEnv(cluster, pipeline));
      const timer = setTimeout(() => void stopChild(run, 1_000), 90_000);
      const code = await run.exited;
      clearTimeout(timer);
      expect(run.output()).toContain(`accepted ${first.length},`);
      expect(code).toBe(0);
    }, 120_000);

    it('drains shuffled and duplicated events to what evaluate computes', async () => {
      const duplicates = Array.from({ length: 100 }, () => events[Math.floor(rnd() * events.length)] as GeneratedEvent);
      const refs = await enqueue(pipeline, shuffle([...events, ...duplicates], rnd));
      const waiter = await waitForJobs(pipeline, 200);
      try {
        await waiter.until(refs);
      } finally {
        await waiter.close();
      }
      await waitUntilDrained(pipeline);
      await expectEqualsEvaluate(pipeline, events, PARTNERS);
    }, 180_000);

    it("acknowledges events once a replica of the queues' master holds them, and refuses them when none can", async () => {
      const crm = events.find((e) => e.source === 'crm');
      const payload = {
        events: [{ raw: JSON.stringify(crm), receivedAt: new Date().toISOString() }],
        origin: 'file',
        runId: randomUUID(),
      };
      // WAIT goes to the master that owns the queues' slot, on the connection that wrote the job;
      // the slot map (re-read every SLOTS_REFRESH_MS) lists its replica.
      const writer = await pollUntil(
        'the slot map to list the replica of the queues’ master',
        async () => {
          const w = await queueWriter(pipeline.queues.crm);
          return w.replicas === 1 ? w : undefined;
        },
        3 * SLOTS_REFRESH_MS,
        250,
      );
      expect(writer.node.options.port).toBe(cluster.masterFor(`${pipeline.settings.prefix}:crm`));
      // The pipeline's queues wait for 1 replica (each master has one): acknowledged.
      const [job] = await enqueueMany(pipeline.queues, JOBS.ingestEvents, QUEUES.crm, [payload]);
      expect(job?.id).toBeDefined();
      // With that replica stopped, a new job's enqueue is refused after the timeout.
      const info = spawnSync('redis-cli', ['-p', String(writer.node.options.port), 'info', 'replication'], {
        encoding: 'utf8',
      }).stdout;
      const replicaPort = Number(/slave0:ip=[^,]+,port=(\d+)/.exec(info)?.[1]);
      const replica = cluster.nodes.find((n) => n.port === replicaPort);
      expect(replica).toBeDefined();
      const strict = openQueues(pipeline.connection, pipeline.settings.prefix, { replicas: 1, timeoutMs: 300 });
      replica?.process.kill('SIGSTOP');
      try {
        const another = { ...payload, runId: randomUUID() };
        await expect(enqueueMany(strict, JOBS.ingestEvents, QUEUES.crm, [another])).rejects.toThrow(
          /only 0 of 1 Redis replicas \(REDIS_ACK_REPLICAS\)/,
        );
      } finally {
        replica?.process.kill('SIGCONT');
        // The connection is the pipeline's: close only these Queue objects.
        await Promise.all(Object.values(strict).map((q) => q.close()));
      }
    }, 60_000);

    it('runs the nightly flow (a parent with chunk children) to completion', async () => {
      const restore = setEnv(clusterEnv(cluster, pipeline));
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        // --full: every partner recomputed by the chunk children (a plain run would find none due).
        const result = (await runRecompute({ all: true, full: true, asOf: AS_OF, wait: true })) as {
          partners: number;
          chunks: number;
        };
        expect(result).toMatchObject({ partners: PARTNERS });
        expect(result.chunks).toBeGreaterThan(0);
      } finally {
        log.mockRestore();
        restore();
      }
      await expectEqualsEvaluate(pipeline, events, PARTNERS);
    }, 180_000);
  });

  describe('with the queues’ master killed mid-run', () => {
    let pipeline: Pipeline;
    const PARTNERS = 60;
    const events = history(21, PARTNERS);
    let firstKilled = 0;

    beforeAll(async () => {
      pipeline = await createPipeline(undefined, { cluster: cluster.url });
      // The scheduler role runs the reconciler, which re-enqueues work owed in Postgres.
      vi.stubEnv('TIERLINE_RECONCILE_EVERY_MS', '2000');
      await pipeline.startWorkers(['ingest', 'recompute', 'scheduler']);
    }, 60_000);

    afterAll(async () => {
      await pipeline?.stop();
    });

    it('loses no acknowledged event and resumes by itself to what evaluate computes', async () => {
      const master = cluster.masterFor(`${pipeline.settings.prefix}:crm`);
      firstKilled = master;
      await enqueue(pipeline, shuffle(events, prng(21)));
      // Mid-run: some partners computed, not all.
      await pollUntil(
        'the first scorecards',
        async () => {
          const row = await pipeline.database.db
            .selectFrom('scorecards')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow();
          return Number(row.n) > 0 ? true : undefined;
        },
        60_000,
      );
      await cluster.kill(master);
      await cluster.waitForFailover(master);
      await waitDrainedAfterFailover(pipeline);
      await expectEqualsEvaluate(pipeline, events, PARTNERS);

      // A new process starts with the dead master named first among the seeds.
      const seeds = [`redis://127.0.0.1:${master}`, ...cluster.url.split(',').filter((u) => !u.endsWith(`:${master}`))];
      const file = join(files, 'again.jsonl');
      writeFileSync(
        file,
        events
          .slice(0, 50)
          .map((e) => JSON.stringify(e))
          .join('\n') + '\n',
      );
      const run = spawnTierline(['ingest', file, '--wait'], {
        ...clusterEnv(cluster, pipeline),
        REDIS_URL: seeds.join(','),
      });
      const timer = setTimeout(() => void stopChild(run, 1_000), 90_000);
      const code = await run.exited;
      clearTimeout(timer);
      expect(run.output()).toContain('accepted 0, duplicate 50,');
      expect(code).toBe(0);
    }, 300_000);

    it('completes a nightly run (a flow) whose master is killed as it starts', async () => {
      // The killed node comes back as a replica, so the slot's new master can fail over too.
      await cluster.restart(firstKilled);
      const master = cluster.masterFor(`${pipeline.settings.prefix}:recompute`);
      await enqueueMany(pipeline.queues, JOBS.nightlyRun, QUEUES.recompute, [{ asOf: AS_OF }], {
        jobId: `nightly|${AS_OF}|failover`,
      });
      // This test is about the run surviving the kill, not about the window in which a failover
      // loses writes the master acknowledged but had not replicated yet (README, Limits): under
      // load the enqueue itself was sometimes in that window, and no run ever started.
      // Replication is ordered, so a later write in the same slot that a replica acknowledged
      // (WAIT, on one connection) carries the enqueue with it.
      const fence = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(master)], {
        input: `SET ${pipeline.settings.prefix}:fence 1\nWAIT 1 10000\n`,
        encoding: 'utf8',
      });
      expect(fence.stdout.trim().split('\n').at(-1)).toBe('1');
      await cluster.kill(master);
      await cluster.waitForFailover(master);
      await pollUntil(
        'the nightly run recorded in the audit log',
        async () => {
          const rows = await pipeline.database.db
            .selectFrom('audit_log')
            .select('details')
            .where('action', '=', 'nightly-run')
            .execute();
          return rows.length > 0 ? rows : undefined;
        },
        180_000,
        250,
      ).catch(async (error: unknown) => {
        const left = await undrained(pipeline).catch((e: unknown) => String(e));
        throw new Error(`${String(error)}; left: ${left ?? 'nothing'}`, { cause: error });
      });
      await waitDrainedAfterFailover(pipeline);
      await expectEqualsEvaluate(pipeline, events, PARTNERS);
    }, 300_000);
  });
});
