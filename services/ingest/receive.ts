// Events received by a worker: stored (one batch, one transaction), then the affected
// partners' recomputes woken. A job payload that does not parse is kept whole as a dead letter.
import type { Kysely } from 'kysely';
import { recordDeadLetters } from '../../db/repositories/dead-letters.ts';
import type { DB } from '../../db/types.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { enqueueRecomputes, type Queues } from '../../queues/queues.ts';
import { applyEventBatch } from './batch.ts';
import type { Outcome } from './outcomes.ts';
import type { Incoming } from './prepare.ts';

export async function receiveEvents(
  deps: { db: Kysely<DB>; queues: Queues },
  ctx: EventContext,
  items: readonly Incoming[],
  /** Runs between the commit and the wake-ups (the chaos suite crashes there). */
  afterCommit: () => void = () => {},
): Promise<Outcome[]> {
  const result = await applyEventBatch(deps.db, ctx, items);
  afterCommit();
  // After the commit: a crash here leaves the requests in Postgres for the retry
  // (which re-enqueues pending ones) or the reconciler.
  await enqueueRecomputes(deps.queues, result.recompute);
  return result.outcomes;
}

export async function deadLetterPayload(db: Kysely<DB>, data: unknown, queue: string, reason: string): Promise<void> {
  await recordDeadLetters(db, [
    { raw: Buffer.from(JSON.stringify(data) ?? 'undefined'), source: queue, eventId: null, reason },
  ]);
}
