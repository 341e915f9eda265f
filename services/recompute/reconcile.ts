// The reconciler: owed recomputes whose wake-up job may have died with Redis are queued
// again. Postgres holds what is owed, so a sweep loses nothing.
import type { Kysely } from 'kysely';
import { overdueRequests } from '../../db/repositories/partners.ts';
import type { DB } from '../../db/types.ts';
import { enqueueRecomputes, type Queues } from '../../queues/queues.ts';

/** Most owed recomputes re-enqueued per sweep. */
const SWEEP_LIMIT = 10_000;

/** Re-enqueues owed recomputes older than `olderThanMs`; returns how many. `now` in ms since the epoch. */
export async function requeueOverdue(db: Kysely<DB>, queues: Queues, olderThanMs: number, now: number) {
  const rows = await overdueRequests(db, olderThanMs, SWEEP_LIMIT);
  await enqueueRecomputes(
    queues,
    // A fresh job id per sweep: the lost job's id may still be taken by a failed job.
    rows.map((r) => ({ partnerId: r.partner_id, requestedAt: `${r.micros}${Math.floor(now / 60_000)}` })),
  );
  return rows.length;
}
