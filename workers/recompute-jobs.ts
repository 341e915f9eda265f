// Handlers of the recompute queue: one partner (after ingest), a chunk of the nightly run,
// the nightly run itself (queue chunks as children, wait, sum), and the reconciler that
// re-enqueues owed work whose wake-up job was lost. Each parses its payload and calls the
// recompute service (services/recompute/).
import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { DB } from '../db/types.ts';
import { dayOrThrow, formatDay } from '../domain/dates.ts';
import { JOBS, QUEUES, jobKey } from '../queues/catalog.ts';
import { jobOptions, type Queues } from '../queues/queues.ts';
import { nightlyChunk, partnerChunks, nightlyRunResult, recordNightlyRun } from '../services/recompute/nightly.ts';
import { BATCH_SIZE } from '../services/recompute/partners.ts';
import { requeueOverdue } from '../services/recompute/reconcile.ts';
import type { RecomputeSummary } from '../services/recompute/summary.ts';
import { recomputeWakes, sumOutcomes, type Outcome, type Wake } from '../services/recompute/wakes.ts';
import { afterCommit } from './chaos.ts';
import { today } from './clock.ts';
import type { ProgramCache } from './program-cache.ts';
import { MicroBatcher } from './micro-batcher.ts';

export interface RecomputeDeps {
  db: Kysely<DB>;
  queues: Queues;
  programs: ProgramCache;
  log: Logger;
  chunkSize?: number;
}

function parse<T>(
  spec: {
    name: string;
    payload: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } };
  },
  job: Job,
): T {
  const parsed = spec.payload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid ${spec.name} payload: ${parsed.error.message}`);
  return parsed.data;
}

export type WakeBatcher = MicroBatcher<Wake, Outcome>;

/** One per process, shared by the handlers that wake partners, so their jobs merge into batches. */
export function wakeBatcher(deps: RecomputeDeps): WakeBatcher {
  return new MicroBatcher<Wake, Outcome>({
    maxItems: BATCH_SIZE,
    maxWaitMs: 1,
    maxInFlight: 2,
    flush: async (wakes) => recomputeWakes(deps.db, await deps.programs.get(), wakes, { afterCommit }),
  });
}

/**
 * A change older than alerts.notifyChangesWithinDays is recorded, not emailed (a backfill of
 * old history must not mail partners about last year): say so, so silence is explained.
 */
function logSkippedNotifications(log: Logger, jobId: string | undefined, summary: RecomputeSummary): void {
  if (summary.notificationsSkipped === 0) return;
  log.info(
    { jobId, skipped: summary.notificationsSkipped },
    'notifications skipped: the changes are older than alerts.notifyChangesWithinDays (`tierline emails list --status skipped`)',
  );
}

async function submitWakes(batcher: WakeBatcher, wakes: Wake[]): Promise<RecomputeSummary> {
  const slices: Promise<Outcome[]>[] = [];
  for (let i = 0; i < wakes.length; i += BATCH_SIZE) slices.push(batcher.submit(wakes.slice(i, i + BATCH_SIZE)));
  return sumOutcomes((await Promise.all(slices)).flat());
}

/** `recompute --partner` (and tools): one partner, recomputed even if it owes nothing unless the job carries the owed version. */
export function recomputePartnerHandler(deps: RecomputeDeps, batcher: WakeBatcher) {
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputePartner, job);
    const asOf = p.asOf ?? formatDay(today((await deps.programs.get()).timezone));
    const summary = await submitWakes(batcher, [
      { partnerId: p.partnerId, asOf, onlyIfOwed: p.requestedAt !== undefined },
    ]);
    logSkippedNotifications(deps.log, job.id, summary);
    return summary;
  };
}

/** Wake-ups for owed work (after an ingest batch, a backfill, a sweep): partners that owe nothing by now are skipped. */
export function recomputeWakeHandler(deps: RecomputeDeps, batcher: WakeBatcher) {
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputeWake, job);
    const asOf = formatDay(today((await deps.programs.get()).timezone));
    const started = performance.now();
    const summary = await submitWakes(
      batcher,
      p.owed.map((o) => ({ partnerId: o.partnerId, asOf, onlyIfOwed: true })),
    );
    deps.log.debug(
      {
        partners: p.owed.length,
        recomputed: summary.partners,
        jobId: job.id,
        ms: Math.round(performance.now() - started),
      },
      'woken',
    );
    logSkippedNotifications(deps.log, job.id, summary);
    return summary;
  };
}

/**
 * Chunks a process runs at once: each holds a batch's facts in memory and a connection,
 * and the worker takes many jobs at a time for the sake of the wake-ups' batches.
 */
const CHUNKS_AT_ONCE = 2;

export function recomputeChunkHandler(deps: RecomputeDeps) {
  const limit = pLimit(CHUNKS_AT_ONCE);
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputeChunk, job);
    const program = await deps.programs.get();
    const summary = await limit(() =>
      nightlyChunk(deps.db, program, p.partnerIds, dayOrThrow(p.asOf), { afterCommit, full: p.full ?? false }),
    );
    logSkippedNotifications(deps.log, job.id, summary);
    return summary;
  };
}

export function nightlyRunHandler(deps: RecomputeDeps) {
  return async (job: Job, token?: string): Promise<unknown> => {
    const p = parse(JOBS.nightlyRun, job);
    if (p.step !== 'wait') {
      const program = await deps.programs.get();
      const asOf = p.asOf ?? formatDay(today(program.timezone));
      const run = job.id ?? jobKey('nightly', asOf);
      let chunks = 0;
      for await (const ids of partnerChunks(deps.db, deps.chunkSize ?? 500)) {
        const data = JOBS.recomputeChunk.payload.parse({ asOf, run, partnerIds: ids, full: p.full });
        await deps.queues.recompute.add(JOBS.recomputeChunk.name, data, {
          ...jobOptions(JOBS.recomputeChunk, data, QUEUES.recompute),
          parent: { id: job.id ?? '', queue: job.queueQualifiedName },
        });
        chunks++;
      }
      await job.updateData({ ...p, asOf, step: 'wait', chunks, startedAt: Date.now() });
      deps.log.info({ jobId: job.id, asOf, chunks }, 'nightly run: chunks queued');
      if (chunks > 0 && (await job.moveToWaitingChildren(token ?? ''))) throw new WaitingChildrenError();
    }
    const values = Object.values(await job.getChildrenValues()) as RecomputeSummary[];
    const current = JOBS.nightlyRun.payload.parse(job.data);
    const result = nightlyRunResult(current.asOf, values, current.startedAt, Date.now(), current.full ?? false);
    deps.log.info({ jobId: job.id, ...result }, 'nightly run: done');
    await recordNightlyRun(deps.db, result);
    return result;
  };
}

/** Re-enqueues owed recomputes older than a minute: their job may have died with Redis. */
export function reconcileHandler(deps: RecomputeDeps, olderThanMs = 60_000) {
  return async (job: Job): Promise<{ requeued: number }> => {
    parse(JOBS.reconcile, job);
    const requeued = await requeueOverdue(deps.db, deps.queues, olderThanMs, Date.now());
    if (requeued > 0) deps.log.warn({ requeued }, 'reconciler re-enqueued owed recomputes');
    return { requeued };
  };
}
