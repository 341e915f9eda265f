// Handlers of the recompute queue: one partner (after ingest), a chunk of the nightly run,
// the nightly run itself (queue chunks as children, wait, sum), and the reconciler that
// re-enqueues owed work whose wake-up job was lost.
import { UnrecoverableError, WaitingChildrenError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { overdueRequests, partnerIdsAfter } from '../db/repositories/partners.ts';
import type { DB } from '../db/types.ts';
import { dayOrThrow, formatDay } from '../domain/dates.ts';
import { JOBS, QUEUES, jobKey } from '../queues/catalog.ts';
import { enqueueRecomputes, jobOptions, type Queues } from '../queues/queues.ts';
import { afterCommit } from './chaos.ts';
import { today } from './clock.ts';
import type { ProgramCache } from './program-cache.ts';
import { MicroBatcher } from './micro-batcher.ts';
import {
  BATCH_SIZE,
  emptySummary,
  mergeSummaries,
  recomputeEach,
  recomputePartners,
  type RecomputeSummary,
} from './recompute.ts';

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

interface Wake {
  partnerId: string;
  asOf: string;
  onlyIfOwed: boolean;
}

type Outcome = { ok: true; summary: RecomputeSummary } | { ok: false; error: unknown };

/**
 * Recomputes the partners of the wake-ups gathered from the jobs running side by side, a
 * batch to a transaction. A batch that fails is tried partner by partner, so one partner
 * whose recompute cannot succeed fails only its own job.
 */
async function recomputeWakes(deps: RecomputeDeps, wakes: Wake[]): Promise<Outcome[]> {
  const program = await deps.programs.get();
  const results = new Map<string, Outcome>();
  const groups = new Map<string, Wake[]>();
  for (const w of wakes) {
    const key = `${w.asOf}|${w.onlyIfOwed}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const [key, group] of groups) {
    const first = group[0] as Wake;
    const ids = [...new Set(group.map((w) => w.partnerId))];
    /** Records each partner's outcome; false when the batch failed. */
    const attempt = async (partnerIds: string[]): Promise<boolean> => {
      try {
        const done = await recomputeEach(deps.db, program, partnerIds, dayOrThrow(first.asOf), {
          onlyIfOwed: first.onlyIfOwed,
          afterCommit,
        });
        for (const [id, summary] of done) results.set(`${key}|${id}`, { ok: true, summary });
        return true;
      } catch (error) {
        for (const id of partnerIds) results.set(`${key}|${id}`, { ok: false, error });
        return false;
      }
    };
    if (!(await attempt(ids)) && ids.length > 1) for (const id of ids) await attempt([id]);
  }
  // The first wake-up of a partner answers for its recompute; the others (and a skipped one) for nothing.
  const answered = new Set<string>();
  return wakes.map((w) => {
    const key = `${w.asOf}|${w.onlyIfOwed}|${w.partnerId}`;
    const outcome = results.get(key);
    if (outcome && !outcome.ok) return outcome;
    if (!outcome || answered.has(key)) return { ok: true, summary: emptySummary() };
    answered.add(key);
    return outcome;
  });
}

export type WakeBatcher = MicroBatcher<Wake, Outcome>;

/** One per process, shared by the handlers that wake partners, so their jobs merge into batches. */
export function wakeBatcher(deps: RecomputeDeps): WakeBatcher {
  return new MicroBatcher<Wake, Outcome>({
    maxItems: BATCH_SIZE,
    maxWaitMs: 1,
    maxInFlight: 2,
    flush: (wakes) => recomputeWakes(deps, wakes),
  });
}

async function submitWakes(batcher: WakeBatcher, wakes: Wake[]): Promise<RecomputeSummary> {
  const slices: Promise<Outcome[]>[] = [];
  for (let i = 0; i < wakes.length; i += BATCH_SIZE) slices.push(batcher.submit(wakes.slice(i, i + BATCH_SIZE)));
  const outcomes = (await Promise.all(slices)).flat();
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw failed.error;
  return outcomes.reduce((sum, o) => (o.ok ? mergeSummaries(sum, o.summary) : sum), emptySummary());
}

/** `recompute --partner` (and tools): one partner, recomputed even if it owes nothing unless the job carries the owed version. */
export function recomputePartnerHandler(deps: RecomputeDeps, batcher: WakeBatcher) {
  return async (job: Job): Promise<RecomputeSummary> => {
    const p = parse(JOBS.recomputePartner, job);
    const asOf = p.asOf ?? formatDay(today((await deps.programs.get()).timezone));
    return submitWakes(batcher, [{ partnerId: p.partnerId, asOf, onlyIfOwed: p.requestedAt !== undefined }]);
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
    return limit(() => recomputePartners(deps.db, program, p.partnerIds, dayOrThrow(p.asOf), { afterCommit }));
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
    const result = {
      asOf: current.asOf,
      chunks: values.length,
      ...summary,
      seconds: current.startedAt ? (Date.now() - current.startedAt) / 1000 : 0,
    };
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
