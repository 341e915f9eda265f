// Prometheus metrics of this process, on one prom-client registry shared by whatever runs
// in it (the receiver's /metrics, `tierline workers --metrics-port`). Worker counters are
// fed by BullMQ worker events (observeWorker, wired in runner.ts), so they count what
// *this* process did since it started; Prometheus sums them across processes. What the
// whole system holds (queue depths, decisions, outbox) is read at scrape time by the
// receiver (workers/http/metrics.ts), not counted here.
//
//   tierline_jobs_processed_total{queue,job}          jobs completed
//   tierline_jobs_failed_total{queue,job,final}        failed attempts; final="true" when no retry is left
//   tierline_job_duration_seconds{queue,job}           processing time of a completed job (histogram)
//   tierline_recompute_latency_seconds{job}            recompute jobs, from enqueued to stored (histogram)
//   tierline_tier_changes_total{kind}                  tier changes written (promoted, demoted, override, restarted, track)
//   tierline_events_ingested_total{outcome}            ingest outcomes (accepted, duplicate, stale, conflict, dead-lettered)
// plus prom-client's default process and Node.js metrics (process_*, nodejs_*).
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job, Worker } from 'bullmq';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { readVariable } from '../config/env.ts';
import { JOBS } from '../queues/catalog.ts';
import { errorMessage } from '../lib/errors.ts';

/** The process-wide registry. */
export const registry = new Registry();

let defaults = false;
/** prom-client's process_* and nodejs_* metrics, once per process. */
export function enableDefaultMetrics(): void {
  if (defaults) return;
  defaults = true;
  collectDefaultMetrics({ register: registry });
}

export const TIER_CHANGE_KINDS = ['promoted', 'demoted', 'override', 'restarted', 'track'] as const;
export const INGEST_OUTCOMES = ['accepted', 'duplicate', 'stale', 'conflict', 'dead-lettered'] as const;

export const jobsProcessed = new Counter({
  name: 'tierline_jobs_processed_total',
  help: 'Jobs completed by the workers of this process, by queue and job name.',
  labelNames: ['queue', 'job'] as const,
  registers: [registry],
});

export const jobsFailed = new Counter({
  name: 'tierline_jobs_failed_total',
  help:
    'Failed job attempts in this process, by queue and job name; ' +
    'final="true" when the job will not be retried (it is in the failed set).',
  labelNames: ['queue', 'job', 'final'] as const,
  registers: [registry],
});

export const jobDuration = new Histogram({
  name: 'tierline_job_duration_seconds',
  help: 'Processing time of completed jobs (from taken by a worker to completed), by queue and job name.',
  labelNames: ['queue', 'job'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

export const recomputeLatency = new Histogram({
  name: 'tierline_recompute_latency_seconds',
  help: 'Recompute jobs from enqueued to completed (the scorecard, decisions and ledger stored): queue wait, retries and processing.',
  labelNames: ['job'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900],
  registers: [registry],
});

export const tierChanges = new Counter({
  name: 'tierline_tier_changes_total',
  help: 'Effective-tier changes written by recomputes in this process, by kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const eventsIngested = new Counter({
  name: 'tierline_events_ingested_total',
  help: 'Events handled by the ingest workers of this process, by outcome.',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

// Every series exists from the start, so rate() and increase() see the first change.
for (const kind of TIER_CHANGE_KINDS) tierChanges.inc({ kind }, 0);
for (const outcome of INGEST_OUTCOMES) eventsIngested.inc({ outcome }, 0);

const RECOMPUTE_JOBS = new Set<string>([JOBS.recomputePartner.name, JOBS.recomputeWake.name, JOBS.recomputeChunk.name]);

type JobFacts = Pick<Job, 'name' | 'timestamp' | 'processedOn' | 'finishedOn' | 'attemptsMade' | 'opts'>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const count = (value: unknown): number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;

/** Counts a completed job and what its result says (recompute changes, ingest outcomes). */
export function recordCompleted(queue: string, job: JobFacts, result: unknown, now = Date.now()): void {
  jobsProcessed.inc({ queue, job: job.name });
  const finished = job.finishedOn || now;
  if (job.processedOn) jobDuration.observe({ queue, job: job.name }, Math.max(0, finished - job.processedOn) / 1000);
  if (RECOMPUTE_JOBS.has(job.name)) {
    const enqueued = job.timestamp + (job.opts?.delay ?? 0);
    if (job.timestamp) recomputeLatency.observe({ job: job.name }, Math.max(0, finished - enqueued) / 1000);
    // The nightly run's own result sums its chunks: counting the chunks alone counts each change once.
    const changes = isRecord(result) ? result.changes : undefined;
    if (isRecord(changes))
      for (const kind of TIER_CHANGE_KINDS)
        if (count(changes[kind]) > 0) tierChanges.inc({ kind }, count(changes[kind]));
  }
  if (job.name === JOBS.ingestEvents.name && isRecord(result)) {
    for (const outcome of INGEST_OUTCOMES)
      if (count(result[outcome]) > 0) eventsIngested.inc({ outcome }, count(result[outcome]));
  }
}

/** Counts a failed attempt; final when BullMQ moved the job to the failed set instead of retrying it. */
export function recordFailed(queue: string, job: JobFacts | undefined, error: Error): void {
  const name = job?.name ?? 'unknown';
  const final =
    job === undefined ||
    Boolean(job.finishedOn) ||
    error.name === 'UnrecoverableError' ||
    job.attemptsMade >= (job.opts?.attempts ?? 1);
  jobsFailed.inc({ queue, job: name, final: String(final) });
}

/** Feeds the counters from a BullMQ worker's events. */
export function observeWorker(worker: Worker, queue: string): void {
  worker.on('completed', (job, result) => recordCompleted(queue, job, result));
  worker.on('failed', (job, error) => recordFailed(queue, job, error));
}

export interface HealthReport {
  ok: boolean;
  [check: string]: unknown;
}

export interface MetricsServerOptions {
  port: number;
  host: string;
  /** Bearer tokens accepted on /metrics; empty = open. /healthz is always open (it tells nothing private). */
  tokens: readonly string[];
  health: () => Promise<HealthReport>;
  registry?: Registry;
}

export interface MetricsServer {
  /** "http://host:port". */
  address: string;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compares secrets in constant time (whatever their lengths). */
export function sameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Whether `header` is "Bearer <one of tokens>". */
export function bearerMatches(header: string | undefined, tokens: readonly string[]): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  return presented !== undefined && tokens.some((t) => sameSecret(presented, t));
}

/**
 * A small HTTP server for a worker process: GET /metrics (this process's registry) and
 * GET /healthz (what `health` reports: 200 or 503). Nothing else; no request bodies.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const source = options.registry ?? registry;
  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    if (path === '/healthz') {
      const report = await options.health().catch((error: unknown) => ({ ok: false, error: errorMessage(error) }));
      return send(
        res,
        report.ok ? 200 : 503,
        'application/json',
        `${JSON.stringify({ status: report.ok ? 'ok' : 'unavailable', ...report, ok: undefined })}\n`,
      );
    }
    if (path === '/metrics') {
      if (options.tokens.length > 0 && !bearerMatches(req.headers.authorization, options.tokens)) {
        res.setHeader('www-authenticate', 'Bearer realm="tierline-metrics"');
        return send(res, 401, 'text/plain; charset=utf-8', 'unauthorized\n');
      }
      return send(res, 200, source.contentType, await source.metrics());
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `http://${host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Tokens that open /metrics: TIERLINE_METRICS_TOKEN (for the scraper) and
 * TIERLINE_ADMIN_TOKEN. Neither set: /metrics is open (keep the port internal).
 */
export function metricsTokensFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  return [readVariable('TIERLINE_METRICS_TOKEN', env), readVariable('TIERLINE_ADMIN_TOKEN', env)].filter(
    (t): t is string => Boolean(t),
  );
}
