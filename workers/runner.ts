// Runs the selected workers in this process until stopped. Start-up checks the handler
// registry and Redis; stop() lets running jobs finish (or hands them back) and closes every
// connection.
import { Worker, type WorkerOptions } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.ts';
import { JOBS, QUEUES, type QueueName } from '../queues/catalog.ts';
import { openRedis, type QueueSettings, type RedisConnection } from '../queues/connection.ts';
import type { Queues } from '../queues/queues.ts';
import { ingestHandler } from './ingest.ts';
import { observeWorker } from './metrics.ts';
import { startNotifierRole } from './notifier/role.ts';
import { installChaosHooks } from './chaos.ts';
import { ProgramCache } from './program-cache.ts';
import { ProgressTracker } from './progress.ts';
import {
  nightlyRunHandler,
  reconcileHandler,
  recomputeChunkHandler,
  recomputePartnerHandler,
  recomputeWakeHandler,
  wakeBatcher,
} from './recompute-jobs.ts';
import { consoleReportHandler } from './report-jobs.ts';
import { checkRegistrations, processorFor, type Registration } from './registry.ts';
import { installSchedules, keepSchedules } from './scheduler.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROLES = ['ingest', 'recompute', 'scheduler', 'notifier'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Explicit lock and stall settings: BullMQ's defaults take 30–60 s to hand a crashed
 * worker's job to another. A job lock is renewed every lockDuration/2 while it runs.
 */
export const WORKER_SETTINGS = {
  lockDuration: 15_000,
  stalledInterval: 10_000,
  maxStalledCount: 3,
} as const satisfies Partial<WorkerOptions>;

/**
 * Stalls (the lock lapsed: the worker died or its event loop stopped) before BullMQ fails a
 * job for good, without retries. An ingest job carries events that exist nowhere else yet,
 * and running it again is always safe (inbox keys), so a few crashes in a row while it is
 * held must not lose it; ten stalls is a poison pill. A recompute job only wakes a worker:
 * its owed work stays in Postgres and the reconciler queues it again.
 */
export const MAX_STALLED: Record<QueueName, number> = {
  crm: 10,
  lms: 10,
  erp: 10,
  recompute: WORKER_SETTINGS.maxStalledCount,
};

export const CONCURRENCY: Record<QueueName, number> = { crm: 256, lms: 256, erp: 256, recompute: 64 };

export interface RunnerDeps {
  db: Kysely<DB>;
  queues: Queues;
  settings: QueueSettings;
  log: Logger;
  /** How long the queue workers may take to connect before the start fails (TIERLINE_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
}

export interface Runner {
  workers: Worker[];
  /** What each worker has taken and finished, for /healthz (workers/progress.ts). */
  progress: ProgressTracker;
  stop(timeoutMs?: number): Promise<void>;
}

export function registrations(deps: RunnerDeps, programs: ProgramCache): Registration[] {
  const recompute = { db: deps.db, queues: deps.queues, programs, log: deps.log };
  const wakes = wakeBatcher(recompute);
  return [
    { job: JOBS.ingestEvents.name, handle: ingestHandler({ db: deps.db, queues: deps.queues, programs }) },
    { job: JOBS.recomputePartner.name, handle: recomputePartnerHandler(recompute, wakes) },
    { job: JOBS.recomputeWake.name, handle: recomputeWakeHandler(recompute, wakes) },
    { job: JOBS.recomputeChunk.name, handle: recomputeChunkHandler(recompute) },
    { job: JOBS.nightlyRun.name, handle: nightlyRunHandler(recompute) },
    { job: JOBS.reconcile.name, handle: reconcileHandler(recompute) },
    { job: JOBS.consoleReport.name, handle: consoleReportHandler({ db: deps.db, log: deps.log }) },
  ];
}

const DEFAULT_START_TIMEOUT_MS = 60_000;

/**
 * Resolves with `ready`, or rejects after `ms`. ioredis's first connect of a cluster that is
 * failing over at that moment ("Too many Cluster redirections", CLUSTERDOWN) can leave the
 * promise BullMQ waits on unsettled for ever, even once the cluster is healthy again: seen in
 * the cluster chaos suite, a worker process restarted mid-failover that never became ready.
 */
async function connectedWithin(ready: Promise<unknown>, ms: number): Promise<void> {
  const gaveUp = new AbortController();
  const timeout = sleep(ms, 'timeout' as const, { ref: false, signal: gaveUp.signal }).catch(() => undefined);
  try {
    const outcome = await Promise.race([ready.then(() => 'ready' as const), timeout]);
    if (outcome === 'timeout') throw new Error(`the queue workers did not connect to Redis within ${ms} ms`);
  } finally {
    gaveUp.abort();
  }
}

export async function startWorkers(deps: RunnerDeps, roles: readonly Role[]): Promise<Runner> {
  installChaosHooks();
  const programs = new ProgramCache(deps.db);
  const progress = new ProgressTracker();
  const regs = registrations(deps, programs);
  checkRegistrations(regs);
  // The outbox relay (workers/notifier): not a BullMQ worker, it reads the outbox in Postgres.
  const notifier = roles.includes('notifier')
    ? await startNotifierRole({ db: deps.db, settings: deps.settings, log: deps.log, programs })
    : undefined;
  const queues: QueueName[] = [];
  if (roles.includes('ingest')) queues.push(QUEUES.crm, QUEUES.lms, QUEUES.erp);
  if (roles.includes('recompute')) queues.push(QUEUES.recompute);
  const connections: RedisConnection[] = [];
  const workers = queues.map((queue) => {
    const connection = openRedis(deps.settings, 'worker');
    connection.on('error', (error: Error) => deps.log.warn({ queue, err: error.message }, 'redis connection error'));
    connections.push(connection);
    const worker = new Worker(queue, processorFor(queue, regs), {
      connection,
      prefix: deps.settings.prefix,
      concurrency: CONCURRENCY[queue],
      ...WORKER_SETTINGS,
      maxStalledCount: MAX_STALLED[queue],
    });
    worker.on('failed', (job, error) =>
      deps.log.warn(
        { queue, jobId: job?.id, job: job?.name, attempts: job?.attemptsMade, err: error.message },
        'job failed',
      ),
    );
    worker.on('error', (error) => deps.log.error({ queue, err: error.message }, 'worker error'));
    // A lock lapsed (a crashed or blocked worker): the job runs again, and its effects must count once.
    worker.on('stalled', (jobId) => deps.log.warn({ queue, jobId }, 'job stalled; it runs again'));
    progress.watch(worker, queue, connection);
    // Jobs processed/failed, durations, recompute latency and tier changes (workers/metrics.ts).
    observeWorker(worker, queue);
    return worker;
  });
  let schedules: (() => void) | undefined;
  if (roles.includes('scheduler')) {
    await installSchedules(deps.queues, deps.db, deps.log);
    // A Redis that lost its data (restarted without persistence) lost the schedules too.
    schedules = keepSchedules(deps.queues, deps.db, deps.log);
  }
  try {
    await connectedWithin(
      Promise.all(workers.map((w) => w.waitUntilReady())),
      deps.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
    );
  } catch (error) {
    // Redis unreachable at start (a cluster's first slots refresh failing on every seed): close
    // what was opened here, or its connections reconnect for ever and the process never exits.
    schedules?.();
    for (const c of connections) c.disconnect();
    const closed = Promise.all([
      ...workers.map((w) => w.close(true).catch(() => {})),
      notifier?.stop(1_000).catch(() => {}),
    ]);
    await Promise.race([closed, sleep(5_000, undefined, { ref: false })]);
    throw error;
  }
  deps.log.info({ roles, queues }, 'workers started');
  return {
    workers,
    progress,
    async stop(timeoutMs = 30_000) {
      schedules?.();
      const notifierStopped = notifier?.stop(timeoutMs);
      // pause() stops taking jobs and waits for the running ones. Not close(): once a close()
      // has begun, BullMQ returns that same promise to close(true), so the timeout could
      // never force anything.
      const finished = Promise.all(workers.map((w) => w.pause()));
      finished.catch(() => {});
      const finishedInTime = new AbortController();
      const timer = sleep(timeoutMs, 'timeout' as const, { ref: false, signal: finishedInTime.signal });
      const outcome = await Promise.race([
        finished.then(
          () => 'done' as const,
          () => 'done' as const,
        ),
        timer,
      ]);
      finishedInTime.abort();
      if (outcome === 'timeout') {
        // Their locks lapse (lockDuration) and another worker's stall check takes them back.
        deps.log.warn({ timeoutMs }, 'jobs still running at shutdown; handing them back');
        await Promise.all(workers.map((w) => w.close(true)));
      } else {
        await Promise.all(workers.map((w) => w.close()));
      }
      await notifierStopped;
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
