// The queues of the catalog, and enqueueing that parses every payload first.
import { Queue, type JobsOptions } from 'bullmq';
import type { z } from 'zod';
import { JOBS, MAX_WAKES_PER_JOB, QUEUES, type JobSpec, type QueueName } from './catalog.ts';
import type { RedisConnection, ReplicaAck } from './connection.ts';
import { waitForReplicas } from './replicas.ts';

/** Finished jobs are kept a while for `--wait` and the dashboard, then dropped so Redis does not grow. */
export const RETENTION: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = {
  removeOnComplete: { age: 3_600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 50_000 },
};

export type Queues = Record<QueueName, Queue>;

const NO_ACK: ReplicaAck = { replicas: 0, timeoutMs: 0 };
/** What acknowledged enqueues on each set of queues wait for (set once, when they are opened). */
const acks = new WeakMap<Queues, ReplicaAck>();

export function openQueues(connection: RedisConnection, prefix: string, ack: ReplicaAck = NO_ACK): Queues {
  const queues = {} as Queues;
  for (const name of Object.values(QUEUES)) queues[name] = new Queue(name, { connection, prefix });
  acks.set(queues, ack);
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

/**
 * Adds jobs of one kind in one round trip; payloads are parsed here, and again by the handler.
 * A job that acknowledges events to a sender returns only once the replicas the queues were
 * opened with hold it (REDIS_ACK_REPLICAS), or throws ReplicaAckError.
 */
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
  if (jobs.length === 0) return [];
  const added = await queues[queue].addBulk(jobs);
  if (spec.acknowledged) await waitForReplicas(queues[queue], acks.get(queues) ?? NO_ACK);
  return added;
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
