// Handlers of the recompute queue: one partner (after ingest), a chunk of the nightly run,
// the nightly run itself (queue chunks as children, wait, sum), and the reconciler that
// re-enqueues owed work whose wake-up job was lost.
import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { overdueRequests, partnerIdsAfter } from '../db/repositories/partners.ts';
import type { DB } from '../db/types.ts';
import { dayOrThrow, formatDay } from '../domain/dates.ts';
import { JOBS, QUEUES, jobKey } from '../queues/catalog.ts';
import { enqueueRecomputes, jobOptions, type Queues } from '../queues/queues.ts';
import { afterCommit } from './chaos.ts';
import { today } from './clock.ts';
import type { ProgramCache } from './program-cache.ts';
import { emptySummary, mergeSummaries, recomputePartners, type RecomputeSummary } from './recompute.ts';

export interface RecomputeDeps {
  db: Kysely<DB>;
  queues: Queues;
  programs: ProgramCache;
  log: Logger;
  chunkSize?: number;
}

function parse<T>(spec: { name: string; payload: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } } }, job: Job): T {
  const parsed = spec.payload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`invalid ${spec.name} payload: ${parsed.error.message}`);
  return parsed.data;
}

export function recomputePartnerHandler(deps: RecomputeDeps) {
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputePartner, job);
    const program = await deps.programs.get();
    const asOf = p.asOf ? dayOrThrow(p.asOf) : today(program.timezone);
    const started = performance.now();
    const summary = await recomputePartners(deps.db, program, [p.partnerId], asOf, false, p.requestedAt !== undefined);
    afterCommit();
    deps.log.debug({ partnerId: p.partnerId, jobId: job.id, ms: Math.round(performance.now() - started) }, 'recomputed');
    return summary;
  };
}

export function recomputeChunkHandler(deps: RecomputeDeps) {
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputeChunk, job);
    const program = await deps.programs.get();
    return recomputePartners(deps.db, program, p.partnerIds, dayOrThrow(p.asOf), true);
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
      let after: string | null = null;
      for (;;) {
        const ids = await partnerIdsAfter(deps.db, after, deps.chunkSize ?? 500);
        if (ids.length === 0) break;
        after = ids[ids.length - 1] ?? null;
        const data = JOBS.recomputeChunk.payload.parse({ asOf, run, partnerIds: ids });
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
    const summary = values.reduce(mergeSummaries, emptySummary());
    const current = JOBS.nightlyRun.payload.parse(job.data);
    const result = { asOf: current.asOf, chunks: values.length, ...summary, seconds: current.startedAt ? (Date.now() - current.startedAt) / 1000 : 0 };
    deps.log.info({ jobId: job.id, ...result }, 'nightly run: done');
    await deps.db
      .insertInto('audit_log')
      .values({ actor: 'scheduler', action: 'nightly-run', partner_id: null, details: JSON.stringify(result) })
      .execute();
    return result;
  };
}

/** Re-enqueues owed recomputes older than a minute: their job may have died with Redis. */
export function reconcileHandler(deps: RecomputeDeps, olderThanMs = 60_000) {
  return async (job: Job): Promise<{ requeued: number }> => {
    parse(JOBS.reconcile, job);
    const rows = await overdueRequests(deps.db, olderThanMs, 10_000);
    await enqueueRecomputes(
      deps.queues,
      // A fresh job id per sweep: the lost job's id may still be taken by a failed job.
      rows.map((r) => ({ partnerId: r.partner_id, requestedAt: `${r.micros}${Math.floor(Date.now() / 60_000)}` })),
    );
    if (rows.length > 0) deps.log.warn({ requeued: rows.length }, 'reconciler re-enqueued owed recomputes');
    return { requeued: rows.length };
  };
}
