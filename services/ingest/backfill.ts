// The bulk path for history: batches straight into Postgres, in arrival order, one
// transaction at a time, then one recompute wake-up per affected partner. The next batches
// are validated and hashed in worker threads (prepare-pool.ts) while this thread reads the
// file and the previous batch's statements run in Postgres, so none waits for the others.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { enqueueRecomputes, type Queues } from '../../queues/queues.ts';
import { openCopySession } from '../../db/copy.ts';
import { applyPreparedBatch, applyPreparedBatchByCopy, pendingRecomputes } from './batch.ts';
import { addOutcomes, countOutcomes, noOutcomes, type OutcomeCounts } from './outcomes.ts';
import type { NumberedLine, PartnerTally } from './lines.ts';
import type { Incoming, PreparedBatch } from './prepare.ts';
import { openPreparePool } from './prepare-pool.ts';

/** Events per backfill transaction (as before: the stored rows, received_seq included, are the same). */
const BACKFILL_BATCH = 2_000;
/** Lines read between two turns of the event loop (replies from Postgres and the threads). */
const YIELD_EVERY = 500;

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
    /** Preparation threads (default: one per spare CPU, at most 3; 0: on this thread). */
    threads?: number;
  },
): Promise<OutcomeCounts> {
  const counts = noOutcomes();
  const partners = new Set<string>();
  let items: Incoming[] = [];
  // Batches being prepared, in file order; at most `depth` ahead of the one being applied.
  const preparing: Array<Promise<PreparedBatch>> = [];
  let inFlight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  let bytes = 0;
  let events = 0;
  const pool = openPreparePool(ctx, options.threads);
  const depth = Math.max(2, (options.threads ?? 2) + 1);
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
  /** Takes the oldest prepared batch and starts applying it once the one before has committed. */
  const applyNext = async (): Promise<void> => {
    const ready = await (preparing.shift() as Promise<PreparedBatch>);
    for (const r of ready.results) if (r.ok) options.partners?.add(r.event.partnerId);
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
  const cut = async (): Promise<void> => {
    if (items.length === 0) return;
    const prepared = pool.prepare(items);
    // Surfaced when applyNext takes it; not an unhandled rejection meanwhile.
    prepared.catch(() => {});
    preparing.push(prepared);
    items = [];
    while (preparing.length > depth) await applyNext();
  };
  try {
    for await (const { bytes: raw, line } of lines) {
      bytes += raw.byteLength + 1;
      events++;
      items.push({ raw, seen: { origin: options.file, line, runId: options.runId } });
      if (items.length >= BACKFILL_BATCH) await cut();
      // Let the batch in flight take its next statement's reply: lines are read a megabyte
      // (thousands of events) at a time, and its transaction would otherwise wait for them.
      else if (events % YIELD_EVERY === 0) await new Promise(setImmediate);
      options.onLine?.(bytes, events);
    }
    await cut();
    while (preparing.length > 0) await applyNext();
    await settle();
  } finally {
    await inFlight;
    await Promise.allSettled(preparing);
    session?.release();
    await pool.close();
  }
  // The requests are in Postgres already; these jobs only wake the recompute workers.
  const affected = [...partners];
  for (let i = 0; i < affected.length; i += 10_000) {
    const latest = await pendingRecomputes(db, affected.slice(i, i + 10_000));
    await enqueueRecomputes(queues, latest);
  }
  return counts;
}
