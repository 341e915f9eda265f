// Waking the recompute workers for what a partner owes after a manual change (an override, a
// review decision). Postgres is the record: the owed recompute is stored already, so with
// Redis unreachable the command still did what it said; the reconciler queues the recompute
// once Redis answers.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { wakePartner } from '../../services/overrides.ts';
import { describeError } from './errors.ts';
import { openQueueServices } from './services.ts';

export async function wakeRecompute(db: Kysely<DB>, partnerId: string, out: (line: string) => void): Promise<void> {
  try {
    const services = await openQueueServices('producer');
    try {
      await wakePartner(db, services.queues, partnerId);
    } finally {
      await services.close();
    }
  } catch (error) {
    out(`stored; the recompute will run when Redis answers (${describeError(error)})`);
  }
}
