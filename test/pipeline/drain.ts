// Waiting until the pipeline has nothing left to do: no ingest or recompute job waiting,
// active or delayed, and no recompute owed in Postgres.
import type { Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

export async function drained(pipeline: Pipeline): Promise<boolean> {
  for (const queue of Object.values(pipeline.queues)) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(counts).some((n) => n > 0)) return false;
  }
  const owed = await pipeline.database.db
    .selectFrom('recompute_requests')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(owed.n) === 0;
}

export async function waitUntilDrained(pipeline: Pipeline, timeoutMs = 120_000): Promise<void> {
  // Two consecutive idle looks: a job may be between queues for an instant.
  let idle = 0;
  await pollUntil(
    'the pipeline to drain',
    async () => ((idle = (await drained(pipeline)) ? idle + 1 : 0) >= 2 ? true : undefined),
    timeoutMs,
    100,
  );
}
