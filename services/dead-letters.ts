// The dead-letter use cases. Replay: each dead letter re-validated as stored (so a fixed
// program, or a row corrected in place, lets it through); fixed events are applied and
// marked replayed, still-broken ones stay. Purge: what is not worth replaying removed, by
// id, age or source (never everything by accident), audited.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/repositories/audit.ts';
import {
  deleteDeadLetters,
  listDeadLetters,
  markReplayed,
  type DeadLetterFilter,
} from '../db/repositories/dead-letters.ts';
import { toJsonb } from '../db/json.ts';
import type { DB } from '../db/types.ts';
import { parseDay } from '../domain/dates.ts';
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

/** Replays dead letters; with `by` (the console), the replay is audited as `dead-letters.replay`. */
export async function replayDeadLetters(db: Kysely<DB>, ids?: string[], by?: string): Promise<Replay> {
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
  if (by !== undefined)
    await recordAudit(db, {
      actor: by,
      action: 'dead-letters.replay',
      partner_id: null,
      details: toJsonb({
        ids: ids ?? null,
        replayed: replayed.slice(0, 1_000),
        stillBroken: rows.length - replayed.length,
      }),
    });
  return { replayed: replayed.length, stillBroken: rows.length - replayed.length, owed };
}

export async function wakeRecomputes(queues: Queues, owed: readonly OwedRecompute[]): Promise<void> {
  await enqueueRecomputes(queues, owed);
}

/** Dead-letter ids as given on a command line: positive integers, else a Refusal naming the bad one. */
export function checkDeadLetterIds(ids: readonly string[], option = '--id'): string[] {
  for (const id of ids)
    if (!/^[1-9][0-9]{0,17}$/.test(id))
      throw new Refusal(
        `${option}: expected dead-letter ids (positive integers, see \`tierline dlq list\`), got ${JSON.stringify(id)}`,
      );
  return [...ids];
}

export interface PurgeRequest {
  ids?: readonly string[] | undefined;
  /** YYYY-MM-DD: last seen before this day began (UTC). */
  before?: string | undefined;
  source?: string | undefined;
  /** Every dead letter: must be asked for by name, never implied by giving no filter. */
  all?: boolean | undefined;
}

/** A purge request checked (no I/O, so a command can refuse it before connecting). */
export function purgeFilter(request: PurgeRequest): DeadLetterFilter {
  const filter: DeadLetterFilter = {};
  if (request.ids !== undefined) filter.ids = checkDeadLetterIds(request.ids);
  if (request.before !== undefined) {
    if (parseDay(request.before) === undefined)
      throw new Refusal(`--before: expected a date YYYY-MM-DD, got ${JSON.stringify(request.before)}`);
    filter.seenBefore = new Date(`${request.before}T00:00:00Z`);
  }
  if (request.source !== undefined) {
    if (request.source.trim() === '') throw new Refusal('--source: expected a source such as crm, lms or erp, got ""');
    filter.source = request.source;
  }
  const filtered = Object.keys(filter).length > 0;
  if (request.all && filtered) throw new Refusal('give --all or filters (--id, --before, --source), not both');
  if (!request.all && !filtered)
    throw new Refusal('say what to purge: --id, --before or --source (all must match), or --all for every dead letter');
  return filter;
}

/** Removes the dead letters matching the filter and records who did it; returns how many. */
export async function purgeDeadLetters(
  db: Kysely<DB>,
  request: PurgeRequest,
  by: string,
): Promise<{ removed: number }> {
  const filter = purgeFilter(request);
  return db.transaction().execute(async (trx) => {
    const ids = await deleteDeadLetters(trx, filter);
    await recordAudit(trx, {
      actor: by,
      action: 'dead-letters.purge',
      partner_id: null,
      details: toJsonb({
        filter: {
          ids: request.ids ?? null,
          before: request.before ?? null,
          source: request.source ?? null,
          all: request.all ?? false,
        },
        removed: ids.length,
        ids: ids.slice(0, 1_000),
      }),
    });
    return { removed: ids.length };
  });
}
