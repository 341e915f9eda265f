// The nightly run: every partner recomputed as of a day, a chunk of partners per job; the
// run's result is the sum of its chunks', recorded in the audit log.
import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/repositories/audit.ts';
import { partnerIdsAfter } from '../../db/repositories/partners.ts';
import type { DB } from '../../db/types.ts';
import { emptySummary, mergeSummaries, type RecomputeSummary } from './summary.ts';

/** Every partner with an event, in id order, `size` at a time. */
export async function* partnerChunks(db: Kysely<DB>, size: number): AsyncGenerator<string[]> {
  let after: string | null = null;
  for (;;) {
    const ids = await partnerIdsAfter(db, after, size);
    if (ids.length === 0) return;
    after = ids[ids.length - 1] ?? null;
    yield ids;
  }
}

export type NightlyRunResult = RecomputeSummary & { asOf: string | undefined; chunks: number; seconds: number };

/** Sums the chunks' summaries. `startedAt` and `now` in ms since the epoch. */
export function nightlyRunResult(
  asOf: string | undefined,
  chunks: readonly RecomputeSummary[],
  startedAt: number | undefined,
  now: number,
): NightlyRunResult {
  const summary = chunks.reduce(mergeSummaries, emptySummary());
  return { asOf, chunks: chunks.length, ...summary, seconds: startedAt ? (now - startedAt) / 1000 : 0 };
}

export async function recordNightlyRun(db: Kysely<DB>, result: NightlyRunResult): Promise<void> {
  await recordAudit(db, {
    actor: 'scheduler',
    action: 'nightly-run',
    partner_id: null,
    details: JSON.stringify(result),
  });
}
