// The ingest handler: validate and store the events of a job, micro-batched with the jobs
// running beside it, then ask for the affected partners' recomputes. A job whose payload
// does not parse can never succeed, so it fails for good (and its events are dead-lettered).
import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import { countOutcomes, type Outcome, type OutcomeCounts } from '../services/ingest/outcomes.ts';
import { deadLetterPayload, receiveEvents } from '../services/ingest/receive.ts';
import type { DB } from '../db/types.ts';
import type { Source } from '../domain/events/schema.ts';
import { JOBS, isSource } from '../queues/catalog.ts';
import type { Queues } from '../queues/queues.ts';
import type { Sighting } from '../services/ingest/prepare.ts';
import { afterCommit } from './chaos.ts';
import { MicroBatcher } from './micro-batcher.ts';
import type { ProgramCache } from './program-cache.ts';

export interface IngestDeps {
  db: Kysely<DB>;
  queues: Queues;
  programs: ProgramCache;
}

interface Item {
  source: Source;
  raw: string;
  seen: Sighting;
}

export function ingestHandler(deps: IngestDeps): (job: Job) => Promise<OutcomeCounts> {
  const batcher = new MicroBatcher<Item, Outcome>({
    maxItems: 1_000,
    maxWaitMs: 1,
    // Group commit: while two batches are in Postgres the next one grows, so a burst costs
    // a few large transactions rather than many small ones contending for the same rows.
    maxInFlight: 2,
    flush: async (items) => {
      const program = await deps.programs.get();
      return receiveEvents(deps, { currency: program.currency, timezone: program.timezone }, items, afterCommit);
    },
  });
  return async (job) => {
    const parsed = JOBS.ingestEvents.payload.safeParse(job.data);
    if (!parsed.success) {
      const reason = `invalid ${job.name} payload: ${parsed.error.message}`;
      await deadLetterPayload(deps.db, job.data, job.queueName, reason);
      throw new UnrecoverableError(reason);
    }
    if (!isSource(job.queueName)) throw new UnrecoverableError(`${job.name} on unexpected queue ${job.queueName}`);
    const source = job.queueName;
    const { events, from, origin, runId } = parsed.data;
    const outcomes = await batcher.submit(
      events.map((e) => ({ source, raw: e.raw, seen: { origin: from ?? origin, line: e.line, runId } })),
    );
    return countOutcomes(outcomes);
  };
}
