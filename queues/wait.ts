// Waiting for a set of jobs to finish (for `--wait`): QueueEvents tells us as they complete,
// and a periodic look at the jobs themselves catches anything that finished before we
// listened or while the event stream was down.
import { Job, QueueEvents } from 'bullmq';
import type { QueueName } from './catalog.ts';
import { blockingCopy, type RedisConnection } from './connection.ts';
import type { Queues } from './queues.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface JobRef {
  queue: QueueName;
  id: string;
}

export interface Waiter {
  until(jobs: readonly JobRef[], onPending?: (pending: number) => void): Promise<unknown[]>;
  close(): Promise<void>;
}

export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

export async function waitForJobs(
  services: { queues: Queues; settings: { prefix: string }; connection: RedisConnection },
  pollMs = 1_000,
): Promise<Waiter> {
  const events = new Map<QueueName, QueueEvents>();
  const copies: RedisConnection[] = [];
  const results = new Map<string, { ok: boolean; value: unknown }>();
  const key = (queue: string, id: string): string => `${queue}\u0000${id}`;
  const closeAll = async (): Promise<void> => {
    await Promise.all([...events.values()].map((qe) => qe.close()));
    // QueueEvents closes only the copy it made of ours; ours (a Cluster connects its own
    // sockets) would keep the process alive after `--wait` printed its counts.
    for (const copy of copies) copy.disconnect();
  };
  try {
    for (const name of Object.keys(services.queues) as QueueName[]) {
      // QueueEvents blocks on Redis: its connection must retry forever, unlike a producer's.
      const copy = blockingCopy(services.connection);
      copies.push(copy);
      const qe = new QueueEvents(name, { connection: copy, prefix: services.settings.prefix });
      qe.on('completed', ({ jobId, returnvalue }) => results.set(key(name, jobId), { ok: true, value: returnvalue }));
      qe.on('failed', ({ jobId, failedReason }) => results.set(key(name, jobId), { ok: false, value: failedReason }));
      events.set(name, qe);
    }
    await Promise.all([...events.values()].map((qe) => qe.waitUntilReady()));
  } catch (error) {
    // Those already open retry forever and would keep the process alive.
    await closeAll().catch(() => {});
    throw error;
  }

  async function look(ref: JobRef): Promise<void> {
    // State first: a job read before it completes would carry no return value yet.
    const state = await services.queues[ref.queue].getJobState(ref.id);
    if (state !== 'completed' && state !== 'failed') return;
    const job = await Job.fromId(services.queues[ref.queue], ref.id);
    if (!job) return;
    if (state === 'completed') results.set(key(ref.queue, ref.id), { ok: true, value: job.returnvalue });
    else results.set(key(ref.queue, ref.id), { ok: false, value: job.failedReason });
  }

  return {
    async until(jobs, onPending) {
      for (;;) {
        const pending = jobs.filter((j) => !results.has(key(j.queue, j.id)));
        if (pending.length === 0) break;
        onPending?.(pending.length);
        await sleep(pollMs);
        for (const ref of pending.slice(0, 200)) await look(ref);
      }
      const out: unknown[] = [];
      for (const j of jobs) {
        const r = results.get(key(j.queue, j.id));
        if (!r?.ok) throw new JobFailedError(`job ${j.id} on ${j.queue} failed: ${String(r?.value)}`);
        out.push(typeof r.value === 'string' ? JSON.parse(r.value) : r.value);
      }
      return out;
    },
    close: closeAll,
  };
}
