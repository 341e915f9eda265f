// A stream of received lines onto the ingest queues: each source's events in jobs of up to
// MAX_EVENTS_PER_JOB (addBulk, with back-pressure); what cannot even be routed is
// dead-lettered here, since no worker will ever see it.
import type { Kysely } from 'kysely';
import { identify, recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import type { DB } from '../../db/types.ts';
import type { Source } from '../../domain/events/schema.ts';
import { JOBS, MAX_EVENTS_PER_JOB, type IngestPayload } from '../../queues/catalog.ts';
import { enqueueMany, type Queues } from '../../queues/queues.ts';
import type { NumberedLine, PartnerTally } from './lines.ts';
import { routeLine } from './route.ts';

export interface Submitted {
  events: number;
  deadLettered: number;
  jobs: Array<{ queue: Source; id: string }>;
}

export async function submitLines(
  db: Kysely<DB>,
  queues: Queues,
  lines: AsyncIterable<NumberedLine>,
  options: {
    runId: string;
    /** The file the lines come from: its path travels with each event, with the line number. */
    file: string;
    partners?: PartnerTally;
    onLine?: (bytes: number, events: number) => void;
  },
): Promise<Submitted> {
  const submitted: Submitted = { events: 0, deadLettered: 0, jobs: [] };
  const chunks: Record<Source, Array<{ raw: string; line: number }>> = { crm: [], lms: [], erp: [] };
  const dead: DeadLetterInput[] = [];
  let bytes = 0;
  const flush = async (source: Source): Promise<void> => {
    const lines = chunks[source].splice(0);
    if (lines.length === 0) return;
    const receivedAt = new Date().toISOString();
    const payload: IngestPayload = {
      events: lines.map(({ raw, line }) => ({ raw, receivedAt, line })),
      origin: 'file',
      from: options.file,
      runId: options.runId,
    };
    const [job] = await enqueueMany(queues, JOBS.ingestEvents, source, [payload]);
    if (job?.id) submitted.jobs.push({ queue: source, id: job.id });
  };
  const bury = async (): Promise<void> => {
    const n = dead.length;
    await recordDeadLetters(db, dead.splice(0));
    submitted.deadLettered += n;
  };
  for await (const { bytes: line, line: number } of lines) {
    bytes += line.byteLength + 1;
    submitted.events++;
    const routed = routeLine(line);
    if ('reason' in routed)
      dead.push({
        raw: line,
        reason: routed.reason,
        ...identify(routed.parsed),
        origin: options.file,
        line: number,
        runId: options.runId,
      });
    else {
      if (routed.partnerId !== undefined) options.partners?.add(routed.partnerId);
      chunks[routed.source].push({ raw: routed.text, line: number });
      if (chunks[routed.source].length >= MAX_EVENTS_PER_JOB) await flush(routed.source);
    }
    if (dead.length >= 500) await bury();
    options.onLine?.(bytes, submitted.events);
  }
  await Promise.all([flush('crm'), flush('lms'), flush('erp')]);
  await bury();
  return submitted;
}
