// The ingest use case: one batch of received events into Postgres, in one transaction.
// Invalid ones go to the dead-letter store, the first valid delivery of each (source, id)
// claims the inbox row, facts are written set-based, and the partners whose history moved
// owe a recompute. Called by the ingest worker, `tierline ingest --backfill` and `dlq replay`.
import type { Kysely, Transaction } from 'kysely';
import { identify, recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import { writeFacts } from './facts.ts';
import { markStale } from '../../db/repositories/inbox.ts';
import { pendingRecomputes, requestRecomputes, type OwedRecompute } from '../../db/repositories/recompute-requests.ts';
import { inTransaction, isBadData } from '../../db/transactions.ts';
import type { DB } from '../../db/types.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { CopySession } from '../../db/copy.ts';
import { copyInboxRows } from '../../db/repositories/inbox-copy.ts';
import { claimInbox, type ClaimRows, type Valid } from './claim.ts';
import type { Outcome } from './outcomes.ts';
import { prepareEventBatch, type Incoming, type PreparedBatch } from './prepare.ts';

export { countOutcomes, type Outcome, type OutcomeCounts } from './outcomes.ts';
export { prepareEvent, prepareEventBatch, type Incoming, type PreparedBatch } from './prepare.ts';
export { pendingRecomputes, type OwedRecompute };

export interface BatchResult {
  outcomes: Outcome[];
  recompute: OwedRecompute[];
}

const bytesOf = (raw: string | Buffer): Buffer => (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);

async function applyValidated(
  db: Transaction<DB>,
  batch: PreparedBatch,
  outcomes: Outcome[],
  claimRows?: ClaimRows,
): Promise<string[]> {
  const dead: DeadLetterInput[] = [];
  const valid: Valid[] = [];
  batch.results.forEach((r, index) => {
    // raw is read through: a backfill's results parse it again only when it is used (prepare.ts addPrepared).
    if (r.ok)
      valid.push({
        index,
        event: r.event,
        get raw(): unknown {
          return r.raw;
        },
        hash: batch.hashes[index] as string,
      });
    else {
      outcomes[index] = 'dead-lettered';
      const item = batch.items[index];
      dead.push({ raw: bytesOf(item?.raw ?? ''), reason: r.reason, ...identify(r.raw), ...item?.seen });
    }
  });
  await recordDeadLetters(db, dead);
  const claimed = await claimInbox(db, valid, outcomes, claimRows);
  const { stale, affected } = await writeFacts(db, claimed);
  for (const c of claimed) outcomes[c.index] = stale.has(c.index) ? 'stale' : 'accepted';
  await markStale(
    db,
    claimed.filter((c) => stale.has(c.index)).map((c) => ({ source: c.event.source, eventId: c.event.id })),
  );
  const eventIds = new Map<string, string[]>();
  for (const c of claimed) {
    if (stale.has(c.index)) continue;
    const ids = eventIds.get(c.event.partnerId);
    if (ids) ids.push(`${c.event.source}:${c.event.id}`);
    else eventIds.set(c.event.partnerId, [`${c.event.source}:${c.event.id}`]);
  }
  await requestRecomputes(db, affected, eventIds);
  return [...new Set(valid.map((v) => v.event.partnerId))];
}

/**
 * Applies a prepared batch and returns the outcomes and the partners with a valid event
 * (the ones that may owe a recompute). A batch that Postgres refuses for its data (not for
 * the moment) is retried event by event, so one bad event is dead-lettered with the
 * database's reason and the rest are stored.
 */
export async function applyPreparedBatch(
  db: Kysely<DB>,
  batch: PreparedBatch,
): Promise<{ outcomes: Outcome[]; partners: string[] }> {
  const outcomes: Outcome[] = new Array<Outcome>(batch.items.length).fill('dead-lettered');
  try {
    const partners = await inTransaction(db, (trx) => applyValidated(trx, batch, outcomes));
    return { outcomes, partners };
  } catch (error) {
    if (!isBadData(error)) throw error;
    if (batch.items.length === 1) {
      await deadLetterOne(db, batch.items[0] as Incoming, error);
      return { outcomes: ['dead-lettered'], partners: [] };
    }
  }
  const merged = { outcomes: [] as Outcome[], partners: [] as string[] };
  for (let i = 0; i < batch.items.length; i++) {
    const one = await applyPreparedBatch(db, {
      items: batch.items.slice(i, i + 1),
      results: batch.results.slice(i, i + 1),
      hashes: batch.hashes.slice(i, i + 1),
    });
    merged.outcomes.push(...one.outcomes);
    merged.partners.push(...one.partners);
  }
  return merged;
}

/**
 * applyPreparedBatch for the bulk path: the same statements on the session's connection,
 * except that the new inbox rows are written by COPY (db/repositories/inbox-copy.ts). The
 * rows, outcomes and received_seq values are the same. When Postgres refuses the batch for
 * its data, or another transaction claims one of its keys meanwhile (a unique violation),
 * the batch is rolled back and applied by applyPreparedBatch, which judges it as ever.
 */
export async function applyPreparedBatchByCopy(
  session: CopySession,
  batch: PreparedBatch,
): Promise<{ outcomes: Outcome[]; partners: string[] }> {
  const outcomes: Outcome[] = new Array<Outcome>(batch.items.length).fill('dead-lettered');
  try {
    const partners = await inTransaction(session.db, (trx) =>
      applyValidated(trx, batch, outcomes, (_db, candidates) =>
        copyInboxRows(
          session,
          candidates.map((c) => {
            const raw = batch.items[c.index]?.raw;
            return {
              // The envelope's strings, as validated: the payload's own.
              key: { source: c.event.source, id: c.event.id, partnerId: c.event.partnerId, type: c.event.type },
              get raw(): unknown {
                return c.raw;
              },
              hash: c.hash,
              bytes: typeof raw === 'string' ? undefined : raw,
            };
          }),
        ),
      ),
    );
    return { outcomes, partners };
  } catch (error) {
    if (!isBadData(error)) throw error;
  }
  return applyPreparedBatch(session.db, batch);
}

/** Validates and applies a batch, then reads the affected partners' owed recomputes. */
export async function applyEventBatch(
  db: Kysely<DB>,
  ctx: EventContext,
  items: readonly Incoming[],
): Promise<BatchResult> {
  const { outcomes, partners } = await applyPreparedBatch(db, prepareEventBatch(ctx, items));
  return { outcomes, recompute: await pendingRecomputes(db, partners) };
}

async function deadLetterOne(db: Kysely<DB>, item: Incoming, error: unknown): Promise<void> {
  const raw = bytesOf(item.raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const message = errorMessage(error);
  await recordDeadLetters(db, [
    { raw, reason: `database refused the event: ${message}`, ...identify(parsed), ...item.seen },
  ]);
}
