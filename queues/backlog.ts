// How far behind ingest is: the time the oldest ingest job still unfinished was queued. Events
// exist only in Redis until an ingest worker commits them, so a notification that settled
// while such a job waited (a frozen or failed-over Redis master, a worker holding jobs, a
// paused queue) was re-checked without them and might be undone by them: the notifier holds
// notifications that settled after this time (services/notifications, issue 15).
import type { Queue } from 'bullmq';
import { SOURCES } from '../domain/events/schema.ts';
import type { Queues } from './queues.ts';

const UNFINISHED = ['active', 'waiting', 'prioritized', 'delayed', 'paused'] as const;
/** Jobs looked at from each end of each state: enough for the oldest, whatever order stalls put jobs back in. */
const SAMPLE = 20;

async function oldestQueued(queue: Queue): Promise<number | undefined> {
  const [first, last] = await Promise.all([
    queue.getRanges([...UNFINISHED], 0, SAMPLE - 1, true),
    queue.getRanges([...UNFINISHED], 0, SAMPLE - 1, false),
  ]);
  const ids = [...new Set([...first, ...last])];
  if (ids.length === 0) return undefined;
  const client = await queue.client;
  const stamps = await Promise.all(ids.map((id) => client.hget(queue.toKey(id), 'timestamp')));
  const times = stamps.map(Number).filter((t) => Number.isFinite(t) && t > 0);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** When the oldest ingest job not yet finished was queued; undefined when none is left. */
export async function ingestBacklogSince(queues: Queues): Promise<Date | undefined> {
  const oldest = await Promise.all(SOURCES.map((source) => oldestQueued(queues[source])));
  const times = oldest.filter((t): t is number => t !== undefined);
  return times.length === 0 ? undefined : new Date(Math.min(...times));
}
