// Events onto the ingest queues as the receiver puts them (one job per source and slice), then
// wait until Redis reports every job done: shared by the pipeline property tests.
import { randomUUID } from 'node:crypto';
import { JOBS, MAX_EVENTS_PER_JOB, type QueueName } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { waitForJobs, type JobRef } from '../../queues/wait.ts';
import type { Pipeline } from '../setup/pipeline.ts';

/** Puts `events` on the ingest queues, `perJob` to a job; resolves with the jobs once Redis has acknowledged them. */
export async function enqueueEvents(
  pipeline: Pipeline,
  events: readonly unknown[],
  perJob = MAX_EVENTS_PER_JOB,
): Promise<JobRef[]> {
  const runId = randomUUID();
  const refs: JobRef[] = [];
  for (const source of ['crm', 'lms', 'erp'] as const) {
    const lines = events.filter((e) => (e as { source: string }).source === source).map((e) => JSON.stringify(e));
    for (let i = 0; i < lines.length; i += perJob) {
      const receivedAt = new Date().toISOString();
      const payload = {
        events: lines.slice(i, i + perJob).map((raw) => ({ raw, receivedAt })),
        origin: 'file',
        runId,
      };
      const [job] = await enqueueMany(pipeline.queues, JOBS.ingestEvents, source as QueueName, [payload]);
      if (job?.id) refs.push({ queue: source, id: job.id });
    }
  }
  return refs;
}

/** Resolves once every job in `refs` is done (completed or failed for good). */
export async function waitForIngest(pipeline: Pipeline, refs: readonly JobRef[]): Promise<void> {
  const waiter = await waitForJobs(
    { queues: pipeline.queues, settings: pipeline.settings, connection: pipeline.connection },
    200,
  );
  try {
    await waiter.until([...refs]);
  } finally {
    await waiter.close();
  }
}

export async function ingest(pipeline: Pipeline, events: readonly unknown[], perJob?: number): Promise<void> {
  const waiter = await waitForJobs(
    { queues: pipeline.queues, settings: pipeline.settings, connection: pipeline.connection },
    200,
  );
  try {
    await waiter.until(await enqueueEvents(pipeline, events, perJob));
  } finally {
    await waiter.close();
  }
}
