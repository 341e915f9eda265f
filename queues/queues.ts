// The queues of the catalog, and enqueueing that parses every payload first.
import { Queue, type JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { JOBS, MAX_WAKES_PER_JOB, QUEUES, type JobSpec, type QueueName } from './catalog.ts';
import type { RedisConnection } from './connection.ts';

/** Finished jobs are kept a while for `--wait` and the dashboard, then dropped so Redis does not grow. */
export const RETENTION: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 3_600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 50_000 },
};

export type Queues = Record<QueueName, Queue>;

export function openQueues(connection: RedisConnection, prefix: string): Queues {
  const queues = {} as Queues;
  for (const name of Object.values(QUEUES)) queues[name] = new Queue(name, { connection, prefix });
  return queues;
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

export function jobOptions<P extends z.ZodType>(
  spec: JobSpec<P>,
  payload: z.output<P>,
  queue: QueueName,
  extra: JobsOptions = {},
): JobsOptions {
  return { jobId: spec.jobId(payload, queue), attempts: spec.attempts, backoff: spec.backoff, ...RETENTION, ...extra };
}

/** Adds jobs of one kind in one round trip; payloads are parsed here, and again by the handler. */
export async function enqueueMany<P extends z.ZodType>(
  queues: Queues,
  spec: JobSpec<P>,
  queue: QueueName,
  payloads: readonly unknown[],
  extra: JobsOptions = {},
) {
  if (!spec.queues.includes(queue)) throw new Error(`job ${spec.name} does not run on queue ${queue}`);
  const jobs = payloads.map((p) => {
    const data = spec.payload.parse(p) as z.output<P>;
    return { name: spec.name, data, opts: jobOptions(spec, data, queue, extra) };
  });
  return jobs.length === 0 ? [] : queues[queue].addBulk(jobs);
}

/** Wakes the recompute workers for owed work (recompute_requests rows): one job per thousand partners. */
export async function enqueueRecomputes(
  queues: Queues,
  owed: ReadonlyArray<{ partnerId: string; requestedAt: string }>,
) {
  const payloads = [];
  for (let i = 0; i < owed.length; i += MAX_WAKES_PER_JOB) {
    payloads.push({
      owed: owed.slice(i, i + MAX_WAKES_PER_JOB).map((o) => ({ partnerId: o.partnerId, requestedAt: o.requestedAt })),
    });
  }
  return enqueueMany(queues, JOBS.recomputeWake, QUEUES.recompute, payloads, { delay: 0 });
}
