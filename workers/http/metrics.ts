// GET /metrics on the receiver (`tierline serve`): Prometheus text format. Besides this
// process's own registry (workers/metrics.ts: default process metrics, and worker counters
// when workers share the process), it reads at scrape time what the whole system holds,
// since the workers usually run elsewhere:
//
//   tierline_queue_jobs{queue,state}               jobs per queue and state (Redis)
//   tierline_decisions_stored{kind}                tier changes recorded in `decisions`, by kind (Postgres)
//   tierline_outbox_notifications{status}          outbox rows by status (Postgres)
//   tierline_recompute_requests_owed               partners owed a recompute (Postgres)
//   tierline_dead_letters_stored{replayed}         dead-lettered events (Postgres)
//   tierline_metrics_source_up{source}             1 when the last scrape could read redis / postgres
//
// A source that cannot be read within the timeout reports up=0 and leaves its series out
// (rather than stale values); the scrape itself still answers 200.
// Protected by a bearer token when TIERLINE_METRICS_TOKEN or TIERLINE_ADMIN_TOKEN is set.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Gauge, Registry } from 'prom-client';
import {
  deadLettersByReplayed,
  decisionsByKind,
  outboxByStatus,
  owedRecomputes,
} from '../../db/repositories/metrics.ts';
import type { DB, OutboxStatus } from '../../db/types.ts';
import { QUEUES } from '../../queues/catalog.ts';
import type { Queues } from '../../queues/queues.ts';
import { TIER_CHANGE_KINDS, bearerMatches, enableDefaultMetrics, registry as processRegistry } from '../metrics.ts';
import { errorMessage } from '../../lib/errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export const QUEUE_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
  'completed',
  'failed',
] as const;
const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'claimed', 'sent', 'skipped', 'failed', 'withdrawn'];

export interface SystemMetricsDeps {
  queues: Queues;
  db: Kysely<DB>;
  log: Logger;
  /** Per source and scrape. Default 2 s. */
  timeoutMs?: number;
}

export interface SystemMetrics {
  registry: Registry;
  /** Reads Redis and Postgres into the gauges. */
  refresh(): Promise<void>;
}

async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  work.catch(() => {});
  const settled = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(ms, undefined, { signal: settled.signal }).then(() => {
        throw new Error(`${what} timed out after ${ms} ms`);
      }),
    ]);
  } finally {
    settled.abort();
  }
}

/** Gauges of what Redis and Postgres hold, on a registry of their own (one per server). */
export function systemMetrics(deps: SystemMetricsDeps): SystemMetrics {
  const registry = new Registry();
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const up = new Gauge({
    name: 'tierline_metrics_source_up',
    help: 'Whether the last scrape could read the source (redis, postgres).',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const queueJobs = new Gauge({
    name: 'tierline_queue_jobs',
    help: 'Jobs in each queue by state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
  });
  const decisions = new Gauge({
    name: 'tierline_decisions_stored',
    help: 'Tier changes recorded in the decisions table, by kind.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const outbox = new Gauge({
    name: 'tierline_outbox_notifications',
    help: 'Outbox notifications by status.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const owed = new Gauge({
    name: 'tierline_recompute_requests_owed',
    help: 'Partners owed a recompute (recompute_requests rows).',
    registers: [registry],
  });
  const deadLetters = new Gauge({
    name: 'tierline_dead_letters_stored',
    help: 'Events in the dead-letter store, by whether they were replayed.',
    labelNames: ['replayed'] as const,
    registers: [registry],
  });

  const readRedis = async (): Promise<void> => {
    const names = Object.values(QUEUES);
    const counts = await within(
      Promise.all(names.map((name) => deps.queues[name].getJobCounts(...QUEUE_STATES))),
      timeoutMs,
      'redis',
    );
    queueJobs.reset();
    names.forEach((queue, i) => {
      for (const state of QUEUE_STATES) queueJobs.set({ queue, state }, counts[i]?.[state] ?? 0);
    });
  };

  const readPostgres = async (): Promise<void> => {
    const [byKind, byStatus, requests, dead] = await within(
      Promise.all([
        decisionsByKind(deps.db),
        outboxByStatus(deps.db),
        owedRecomputes(deps.db),
        deadLettersByReplayed(deps.db),
      ]),
      timeoutMs,
      'postgres',
    );
    decisions.reset();
    for (const kind of TIER_CHANGE_KINDS) decisions.set({ kind }, 0);
    for (const row of byKind) decisions.set({ kind: row.kind ?? 'unknown' }, Number(row.n));
    outbox.reset();
    for (const status of OUTBOX_STATUSES) outbox.set({ status }, 0);
    for (const row of byStatus) outbox.set({ status: row.status }, Number(row.n));
    owed.set(Number(requests ?? 0));
    deadLetters.reset();
    deadLetters.set({ replayed: 'false' }, 0);
    deadLetters.set({ replayed: 'true' }, 0);
    for (const row of dead) deadLetters.set({ replayed: String(row.replayed) }, Number(row.n));
  };

  const read = async (source: 'redis' | 'postgres', work: () => Promise<void>, clear: () => void): Promise<void> => {
    try {
      await work();
      up.set({ source }, 1);
    } catch (error) {
      clear();
      up.set({ source }, 0);
      deps.log.warn({ source, reason: errorMessage(error) }, 'metrics: cannot read source');
    }
  };

  return {
    registry,
    async refresh() {
      await Promise.all([
        read('redis', readRedis, () => queueJobs.reset()),
        read('postgres', readPostgres, () => {
          decisions.reset();
          outbox.reset();
          owed.reset();
          deadLetters.reset();
        }),
      ]);
    },
  };
}

export interface MetricsRouteOptions extends SystemMetricsDeps {
  /** Bearer tokens accepted; empty = open. */
  tokens: readonly string[];
}

/** Mounts GET /metrics. */
export function registerMetrics(app: FastifyInstance, options: MetricsRouteOptions): void {
  enableDefaultMetrics();
  const system = systemMetrics(options);
  app.get('/metrics', async (request, reply) => {
    if (options.tokens.length > 0 && !bearerMatches(request.headers.authorization, options.tokens)) {
      request.log.warn({ path: '/metrics' }, 'refused metrics scrape without a valid token');
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="tierline-metrics"')
        .send({ error: 'Unauthorized', message: 'a bearer token is required' });
    }
    await system.refresh();
    const merged = Registry.merge([processRegistry, system.registry]);
    return reply
      .code(200)
      .header('content-type', merged.contentType)
      .header('cache-control', 'no-store')
      .send(await merged.metrics());
  });
}
