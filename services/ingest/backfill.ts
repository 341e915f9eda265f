// The bulk path for history: batches straight into Postgres, in arrival order, one
// transaction at a time, then one recompute wake-up per affected partner. The next batch is
// validated and hashed (JavaScript) while the previous one's statements run in Postgres, so
// neither waits for the other.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { enqueueRecomputes, type Queues } from '../../queues/queues.ts';
import { openCopySession } from '../../db/copy.ts';
import { applyPreparedBatch, applyPreparedBatchByCopy, pendingRecomputes } from './batch.ts';
import { addOutcomes, countOutcomes, noOutcomes, type OutcomeCounts } from './outcomes.ts';
import type { NumberedLine, PartnerTally } from './lines.ts';
import { emptyBatch, prepareEvent, type PreparedBatch } from './prepare.ts';

/** Events per backfill transaction (as before: the stored rows, received_seq included, are the same). */
const BACKFILL_BATCH = 2_000;
/** Events validated between two turns of the event loop while a batch is in flight. */
const YIELD_EVERY = 200;

export async function backfillLines(
  db: Kysely<DB>,
  queues: Queues,
  ctx: EventContext,
  lines: AsyncIterable<NumberedLine>,
  options: {
    /** The file the lines come from, kept with each dead letter with its line and the run. */
    file: string;
    runId: string;
    partners?: PartnerTally;
    onLine?: (bytes: number, events: number) => void;
  },
): Promise<OutcomeCounts> {
  const counts = noOutcomes();
  const partners = new Set<string>();
  let batch: PreparedBatch = emptyBatch();
  let inFlight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  let bytes = 0;
  let events = 0;
  // One connection for the whole file: its inbox rows go by COPY (a Kysely not made by
  // createDb has no pool to take it from, and keeps the ordinary statements).
  const session = await openCopySession(db);
  const apply = (ready: PreparedBatch) =>
    session ? applyPreparedBatchByCopy(session, ready) : applyPreparedBatch(db, ready);
  const settle = async (): Promise<void> => {
    await inFlight;
    inFlight = undefined;
    if (failed) throw failed.error;
  };
  const flush = async (): Promise<void> => {
    if (batch.items.length === 0) return;
    const ready = batch;
    batch = emptyBatch();
    // One transaction at a time: the batches commit in arrival order.
    await settle();
    inFlight = apply(ready).then(
      (result) => {
        addOutcomes(counts, countOutcomes(result.outcomes));
        for (const p of result.partners) partners.add(p);
      },
      (error: unknown) => {
        failed = { error };
      },
    );
  };
  try {
    for await (const { bytes: raw, line } of lines) {
      bytes += raw.byteLength + 1;
      events++;
      prepareEvent(batch, ctx, { raw, seen: { origin: options.file, line, runId: options.runId } });
      const result = batch.results[batch.results.length - 1];
      if (result?.ok) options.partners?.add(result.event.partnerId);
      if (batch.items.length >= BACKFILL_BATCH) await flush();
      // Let the batch in flight take its next statement's reply: lines are read a megabyte
      // (thousands of events) at a time, and its transaction would otherwise wait for them.
      else if (inFlight && batch.items.length % YIELD_EVERY === 0) await new Promise(setImmediate);
      options.onLine?.(bytes, events);
    }
    await flush();
    await settle();
  } finally {
    await inFlight;
    session?.release();
  }
  // The requests are in Postgres already; these jobs only wake the recompute workers.
  const affected = [...partners];
  for (let i = 0; i < affected.length; i += 10_000) {
    const latest = await pendingRecomputes(db, affected.slice(i, i + 10_000));
    await enqueueRecomputes(queues, latest);
  }
  return counts;
}
