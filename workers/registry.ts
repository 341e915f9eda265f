// Which handler runs which job of the catalog. Start-up fails when a catalog job has no
// handler or two, so a job can never sit in a queue that nothing processes.
import { UnrecoverableError, type Job } from 'bullmq';
import { JOBS, type QueueName } from '../queues/catalog.ts';

export type Handler = (job: Job, token?: string) => Promise<unknown>;

export interface Registration {
  job: string;
  handle: Handler;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
}

export function checkRegistrations(registrations: readonly Registration[]): void {
  const problems: string[] = [];
  for (const spec of Object.values(JOBS)) {
    const count = registrations.filter((r) => r.job === spec.name).length;
    if (count === 0) problems.push(`job ${spec.name} has no handler`);
    if (count > 1) problems.push(`job ${spec.name} has ${count} handlers`);
  }
  const known = new Set<string>(Object.values(JOBS).map((s) => s.name));
  for (const r of registrations)
    if (!known.has(r.job)) problems.push(`handler for ${r.job}, which is not in the job catalog`);
  if (problems.length > 0) throw new RegistryError(problems.join('; '));
}

/** The processor of one queue: dispatches by job name among the handlers of jobs on that queue. */
export function processorFor(queue: QueueName, registrations: readonly Registration[]): Handler {
  const byName = new Map<string, Handler>();
  for (const spec of Object.values(JOBS)) {
    if (!(spec.queues as readonly string[]).includes(queue)) continue;
    const registration = registrations.find((r) => r.job === spec.name);
    if (registration) byName.set(spec.name, registration.handle);
  }
  return async (job, token) => {
    const handle = byName.get(job.name);
    if (!handle) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${queue}`);
    return handle(job, token);
  };
}
