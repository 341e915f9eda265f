// Events onto the ingest queues as the receiver puts them (one job per source and slice), then
// wait until Redis reports every job done: shared by the pipeline property tests.
import { randomUUID } from 'node:crypto';
import { JOBS, MAX_EVENTS_PER_JOB, type QueueName } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { waitForJobs, type JobRef } from '../../queues/wait.ts';
import type { Pipeline } from '../setup/pipeline.ts';

export async function ingest(pipeline: Pipeline, events: readonly unknown[]): Promise<void> {
  const waiter = await waitForJobs(
    { queues: pipeline.queues, settings: pipeline.settings, connection: pipeline.connection },
    200,
  );
  try {
    const runId = randomUUID();
    const refs: JobRef[] = [];
    for (const source of ['crm', 'lms', 'erp'] as const) {
      const lines = events.filter((e) => (e as { source: string }).source === source).map((e) => JSON.stringify(e));
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
    await waiter.until(refs);
  } finally {
    await waiter.close();
  }
}
