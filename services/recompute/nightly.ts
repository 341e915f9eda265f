// The nightly run: every partner brought to a day, a chunk of partners per job; the run's
// result is the sum of its chunks', recorded in the audit log. Only the partners that are due
// are recomputed (docs/architecture.md#the-nightly-run): those owing a recompute, without a
// scorecard, or whose stored next-change day has come. The others are left as they are: their
// stored scorecard stays exact for its own as-of day, and their standing (tiers, status,
// history, decisions, ledger, notifications) holds on the day, which the next-change property
// (test/domain/next-change.test.ts) makes exact. `full` recomputes everyone.
import type { Kysely } from 'kysely';
import { recordAudit } from '../../db/repositories/audit.ts';
import { duePartners } from '../../db/repositories/nightly.ts';
import { partnerIdsAfter } from '../../db/repositories/partners.ts';
import type { DB } from '../../db/types.ts';
import { formatDay, type Day } from '../../domain/dates.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { recomputePartners, type RecomputeOptions } from './partners.ts';
import { emptySummary, mergeSummaries, type RecomputeSummary } from './summary.ts';

/** A chunk's result: what its recomputes changed, and how many partners were not due (left as of an earlier day). */
export type ChunkSummary = RecomputeSummary & { notDue: number };

/** One chunk of the nightly run as of `asOf`: the due partners recomputed (all of them when `full`). */
export async function nightlyChunk(
  db: Kysely<DB>,
  program: ProgramSet,
  partnerIds: readonly string[],
  asOf: Day,
  options: RecomputeOptions & { full?: boolean } = {},
): Promise<ChunkSummary> {
  const { due, notDue } = options.full
    ? { due: partnerIds, notDue: 0 }
    : await duePartners(db, partnerIds, formatDay(asOf));
  return { ...(await recomputePartners(db, program, due, asOf, options)), notDue };
}

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

export type NightlyRunResult = ChunkSummary & {
  asOf: string | undefined;
  full: boolean;
  chunks: number;
  seconds: number;
};

/** Sums the chunks' summaries. `startedAt` and `now` in ms since the epoch. */
export function nightlyRunResult(
  asOf: string | undefined,
  chunks: readonly Partial<ChunkSummary>[],
  startedAt: number | undefined,
  now: number,
  full = false,
): NightlyRunResult {
  const summary = chunks.reduce<RecomputeSummary>(
    (into, c) => mergeSummaries(into, { ...emptySummary(), ...c }),
    emptySummary(),
  );
  const notDue = chunks.reduce((n, c) => n + (c.notDue ?? 0), 0);
  return {
    asOf,
    full,
    chunks: chunks.length,
    ...summary,
    notDue,
    seconds: startedAt ? (now - startedAt) / 1000 : 0,
  };
}

export async function recordNightlyRun(db: Kysely<DB>, result: NightlyRunResult): Promise<void> {
  await recordAudit(db, {
    actor: 'scheduler',
    action: 'nightly-run',
    partner_id: null,
    details: JSON.stringify(result),
  });
}
