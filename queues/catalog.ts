// The job catalog: every job's name, queue(s), zod payload, retry policy and deterministic
// jobId, in one place. Payloads are parsed when enqueued and again when handled.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SOURCES, type Source } from '../domain/events/schema.ts';

export const QUEUES = { crm: 'crm', lms: 'lms', erp: 'erp', recompute: 'recompute' } as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const MAX_EVENTS_PER_JOB = 500;

const ingestPayload = z.object({
  /** Events as received (JSON text), validated by the worker. */
  events: z
    .array(
      z.object({
        raw: z.string().max(1_000_000),
        receivedAt: z.iso.datetime({ offset: true }),
        /** Its line in `from` (files), kept with it if it is dead-lettered. */
        line: z.number().int().positive().optional(),
      }),
    )
    .min(1)
    .max(MAX_EVENTS_PER_JOB),
  origin: z.enum(['file', 'http', 'replay']),
  /** Where the events came from: the file's path, or the HTTP request. */
  from: z.string().max(4096).optional(),
  /** Groups the jobs of one `tierline ingest` run. */
  runId: z.string().min(1).max(200),
});

const recomputePayload = z.object({
  partnerId: z.string().min(1).max(1000),
  /** Evaluate up to this day instead of today (recompute --as-of). */
  asOf: z.iso.date().optional(),
  /** The recompute_requests row version that asked for this job (its requested_at, in µs). */
  requestedAt: z.string().regex(/^\d+$/).optional(),
});

/** Wake-ups per job: the partners one ingest batch (or one sweep) left owing a recompute. */
export const MAX_WAKES_PER_JOB = 1_000;

const wakePayload = z.object({
  owed: z
    .array(
      z.object({
        partnerId: z.string().min(1).max(1000),
        /** The version of the partner's recompute_requests row that asked (requested_at in µs). */
        requestedAt: z.string().regex(/^\d+$/),
      }),
    )
    .min(1)
    .max(MAX_WAKES_PER_JOB),
});

const chunkPayload = z.object({
  asOf: z.iso.date(),
  /** The nightly run this chunk belongs to. */
  run: z.string().min(1),
  partnerIds: z.array(z.string().min(1)).min(1).max(2_000),
  /** Recompute every partner of the chunk, not only the due ones (`recompute --all --full`). */
  full: z.boolean().optional(),
});

const nightlyPayload = z.object({
  /** The day the run advances partners to; absent when the schedule fires (today). */
  asOf: z.iso.date().optional(),
  /** Recompute every partner, not only the due ones (`recompute --all --full`). */
  full: z.boolean().optional(),
  /** Set by the run itself once its chunks are queued (a step job: start, then wait). */
  step: z.enum(['start', 'wait']).optional(),
  startedAt: z.number().optional(),
});

const reconcilePayload = z.object({});

const consoleReportPayload = z.object({
  /** The console_reports row to compute (its parameters are stored there). */
  reportId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});

export interface JobSpec<P extends z.ZodType> {
  name: string;
  queues: readonly QueueName[];
  payload: P;
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
  jobId(payload: z.output<P>, queue: QueueName): string;
  /** Its enqueue acknowledges events to a sender: it waits for REDIS_ACK_REPLICAS replicas first. */
  acknowledged?: boolean;
}

/** A job id from parts: BullMQ refuses ':' in custom ids, and ids from sources may hold anything. */
export const jobKey = (...parts: string[]): string => parts.map(encodeURIComponent).join('|');

const digest = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 32);

export const JOBS = {
  ingestEvents: {
    name: 'ingest-events',
    queues: SOURCES,
    payload: ingestPayload,
    // Transient failures (Postgres down, deadlocks) retry for about two minutes in all.
    attempts: 12,
    backoff: { type: 'exponential', delay: 250 },
    // The same events re-sent by the same run (a producer retry) are one job.
    jobId: (p, queue) => jobKey('ingest', queue, p.runId, digest(...p.events.map((e) => e.raw))),
    acknowledged: true,
  } satisfies JobSpec<typeof ingestPayload>,
  recomputePartner: {
    name: 'recompute-partner',
    queues: [QUEUES.recompute],
    payload: recomputePayload,
    attempts: 12,
    backoff: { type: 'exponential', delay: 250 },
    // One job per version of the partner's owed-work row: a burst of events committed in a
    // few batches asks for a few recomputes, and a request made while a recompute runs
    // still gets its own job. The owed work itself is in Postgres (recompute_requests).
    jobId: (p) => jobKey('recompute', p.partnerId, p.asOf ?? 'today', p.requestedAt ?? 'sweep'),
  } satisfies JobSpec<typeof recomputePayload>,
  recomputeWake: {
    name: 'recompute-wake',
    queues: [QUEUES.recompute],
    payload: wakePayload,
    attempts: 12,
    backoff: { type: 'exponential', delay: 250 },
    // One job per committed ingest batch rather than one per partner: a queue hop per
    // batch, not per partner. The same owed versions asked again are the same job.
    jobId: (p) => jobKey('wake', digest(...p.owed.map((o) => `${o.partnerId}\u0000${o.requestedAt}`))),
  } satisfies JobSpec<typeof wakePayload>,
  recomputeChunk: {
    name: 'recompute-chunk',
    queues: [QUEUES.recompute],
    payload: chunkPayload,
    attempts: 12,
    backoff: { type: 'exponential', delay: 1_000 },
    // A second run for the same day and partners is the same job.
    jobId: (p) => jobKey('chunk', p.run, digest(...p.partnerIds)),
  } satisfies JobSpec<typeof chunkPayload>,
  nightlyRun: {
    name: 'nightly-run',
    queues: [QUEUES.recompute],
    payload: nightlyPayload,
    attempts: 5,
    backoff: { type: 'exponential', delay: 5_000 },
    // Queues its chunks as children, waits for them, then sums their results. The
    // schedule names its own jobs; `recompute --all` names one per day and request.
    jobId: (p) => jobKey('nightly', p.asOf ?? 'today'),
  } satisfies JobSpec<typeof nightlyPayload>,
  reconcile: {
    name: 'reconcile',
    queues: [QUEUES.recompute],
    payload: reconcilePayload,
    attempts: 1,
    backoff: { type: 'fixed', delay: 1_000 },
    jobId: () => 'reconcile',
  } satisfies JobSpec<typeof reconcilePayload>,
  consoleReport: {
    name: 'console-report',
    queues: [QUEUES.recompute],
    payload: consoleReportPayload,
    // A finance or what-if run of the console (services/console-reports.ts): a refusal
    // fails it for good; a transient failure (Postgres) retries a few times.
    attempts: 3,
    backoff: { type: 'exponential', delay: 5_000 },
    // The run's id is derived from its kind and parameters: the same run submitted again is the same job.
    jobId: (p) => jobKey('report', p.reportId),
  } satisfies JobSpec<typeof consoleReportPayload>,
} as const;

export type ChunkPayload = z.output<typeof chunkPayload>;
export type WakePayload = z.output<typeof wakePayload>;
export type NightlyPayload = z.output<typeof nightlyPayload>;
export type IngestPayload = z.output<typeof ingestPayload>;
export type ConsoleReportPayload = z.output<typeof consoleReportPayload>;
export type RecomputePayload = z.output<typeof recomputePayload>;
export type JobName = (typeof JOBS)[keyof typeof JOBS]['name'];

export function isSource(queue: string): queue is Source {
  return (SOURCES as readonly string[]).includes(queue);
}
