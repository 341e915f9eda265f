// Converted records onto the ingest queues (the live connectors on `serve`): the FX rates the
// foreign amounts need are read from Postgres, problems are dead-lettered with the source
// record's own text, skips are counted, and the events are queued in jobs of up to
// MAX_EVENTS_PER_JOB. Resolves only once Redis has the jobs and Postgres the dead letters.
import type { Kysely } from 'kysely';
import { recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import type { DB } from '../../db/types.ts';
import { applyFx } from '../../domain/connectors/fx.ts';
import type { FxNeed, Outcome } from '../../domain/connectors/outcome.ts';
import type { Source } from '../../domain/events/schema.ts';
import { JOBS, MAX_EVENTS_PER_JOB, type IngestPayload } from '../../queues/catalog.ts';
import { enqueueMany, type Queues } from '../../queues/queues.ts';
import { storedRates } from './fx.ts';

export interface Delivered {
  accepted: number;
  skipped: number;
  deadLettered: number;
  jobs: string[];
  /** Each dead-lettered record: its index in the outcomes and the reason. */
  problems: Array<{ index: number; reason: string }>;
}

export interface Delivery {
  /** Where `dlq list` says the events came from, e.g. "POST /connectors/stripe (request 7)". */
  from: string;
  /** Groups the jobs: the same delivery again is the same jobs. */
  runId: string;
  /** The §4 source the records' events belong to (dead letters are filed under it). */
  source: Source;
  receivedAt: string;
  /** The source record's own text, kept whole in the dead letter of a problem. */
  rawOf: (outcome: Outcome, index: number) => string;
}

export async function deliverOutcomes(
  db: Kysely<DB>,
  queues: Queues,
  outcomes: readonly Outcome[],
  delivery: Delivery,
): Promise<Delivered> {
  const needs = outcomes.flatMap((o): FxNeed[] => (o.kind === 'event' && o.fx ? [o.fx] : []));
  const lookup = needs.length > 0 ? await storedRates(db, needs) : () => undefined;
  const final = outcomes.map((o) => applyFx(o, lookup));
  const bySource = new Map<Source, string[]>();
  const dead: DeadLetterInput[] = [];
  let skipped = 0;
  const problems: Delivered['problems'] = [];
  final.forEach((o, index) => {
    if (o.kind === 'event') {
      const list = bySource.get(o.event.source) ?? [];
      list.push(JSON.stringify(o.event));
      bySource.set(o.event.source, list);
    } else if (o.kind === 'skipped') skipped++;
    else {
      problems.push({ index, reason: `${o.ref}: ${o.reason}` });
      dead.push({
        raw: Buffer.from(delivery.rawOf(o, index), 'utf8'),
        reason: `${o.ref}: ${o.reason}`,
        source: delivery.source,
        eventId: null,
        origin: delivery.from,
        runId: delivery.runId,
      });
    }
  });
  await recordDeadLetters(db, dead);
  const jobs: string[] = [];
  let accepted = 0;
  for (const [source, events] of bySource) {
    const payloads: IngestPayload[] = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_JOB)
      payloads.push({
        events: events.slice(i, i + MAX_EVENTS_PER_JOB).map((raw) => ({ raw, receivedAt: delivery.receivedAt })),
        origin: 'http',
        from: delivery.from,
        runId: delivery.runId,
      });
    const added = await enqueueMany(queues, JOBS.ingestEvents, source, payloads);
    for (const job of added) if (job.id) jobs.push(job.id);
    accepted += events.length;
  }
  return { accepted, skipped, deadLettered: dead.length, jobs, problems };
}
