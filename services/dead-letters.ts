// The dead-letter replay use case: each dead letter re-validated as stored (so a fixed
// program, or a row corrected in place, lets it through); fixed events are applied and
// marked replayed, still-broken ones stay.
import type { Kysely } from 'kysely';
import { listDeadLetters, markReplayed } from '../db/repositories/dead-letters.ts';
import type { DB } from '../db/types.ts';
import { isSource } from '../queues/catalog.ts';
import { enqueueRecomputes, type Queues } from '../queues/queues.ts';
import { Refusal } from './errors.ts';
import { applyEventBatch, type OwedRecompute } from './ingest/batch.ts';
import { loadProgramSet } from './programs.ts';

export { listDeadLetters };

export interface Replay {
  replayed: number;
  stillBroken: number;
  /** The recomputes the replayed events owe: wake them with wakeRecomputes. */
  owed: OwedRecompute[];
}

export async function replayDeadLetters(db: Kysely<DB>, ids?: string[]): Promise<Replay> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const rows = await listDeadLetters(db, { ids });
  const replayed: string[] = [];
  const owed: OwedRecompute[] = [];
  for (const row of rows) {
    const source = row.source !== null && isSource(row.source) ? row.source : undefined;
    const result = await applyEventBatch(db, { currency: program.currency, timezone: program.timezone }, [
      { source, raw: row.raw },
    ]);
    if (result.outcomes[0] !== 'dead-lettered') {
      replayed.push(row.id);
      owed.push(...result.recompute);
    }
  }
  await markReplayed(db, replayed);
  return { replayed: replayed.length, stillBroken: rows.length - replayed.length, owed };
}

export async function wakeRecomputes(queues: Queues, owed: readonly OwedRecompute[]): Promise<void> {
  await enqueueRecomputes(queues, owed);
}
