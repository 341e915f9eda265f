// Shared helpers for the ingest integration tests: event builders, enqueue-and-wait, the
// CLI environment of a pipeline, a child-process worker, and a normal form of PartnerFacts
// so facts read back from Postgres can be compared with the domain's fold.
import { createHash } from 'node:crypto';
import { Job } from 'bullmq';
import { sql } from 'kysely';
import { canonicalJson } from '../../domain/events/parse.ts';
import type { PartnerFacts } from '../../domain/facts/types.ts';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { JOBS, type QueueName } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { spawnTierline, type ChildWorker } from '../setup/children.ts';
import { withEnv } from '../setup/env.ts';
import type { Pipeline } from '../setup/pipeline.ts';

type Json = Record<string, unknown>;
type Source = 'crm' | 'lms' | 'erp';

export interface EventShape {
  id: string;
  source: Source;
  type: string;
  occurredAt: string;
  partnerId: string;
  data: Json;
}

const OCCURRED = '2026-11-20T14:03:11Z';

export function dealEvent(id: string, partnerId: string, data: Json = {}): EventShape {
  return {
    id,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: OCCURRED,
    partnerId,
    data: {
      dealId: 'D-1',
      stage: 'closed_won',
      amount: '48000.00',
      currency: 'USD',
      customerId: 'C-1',
      registeredAt: '2026-08-02',
      closedAt: '2026-11-20',
      version: 1,
      ...data,
    },
  };
}

export function partnerEvent(id: string, partnerId: string, data: Json = {}): EventShape {
  return {
    id,
    source: 'crm',
    type: 'partner.upserted',
    occurredAt: OCCURRED,
    partnerId,
    data: {
      name: 'Acme Resale',
      partnerType: 'reseller',
      region: 'EMEA',
      contacts: [{ email: 'ops@example.com', role: 'primary' }],
      status: 'active',
      version: 1,
      ...data,
    },
  };
}

export function certificationEvent(id: string, partnerId: string, data: Json = {}): EventShape {
  return {
    id,
    source: 'lms',
    type: 'certification.earned',
    occurredAt: OCCURRED,
    partnerId,
    data: {
      personId: 'E-1',
      certificationId: 'sales-expert',
      earnedAt: '2026-03-01',
      expiresAt: '2028-03-01',
      ...data,
    },
  };
}

export function invoiceEvent(id: string, partnerId: string, data: Json = {}): EventShape {
  return {
    id,
    source: 'erp',
    type: 'invoice.booked',
    occurredAt: OCCURRED,
    partnerId,
    data: { invoiceId: 'INV-1', amount: '1200.00', currency: 'USD', bookedAt: '2026-10-01', recurring: true, ...data },
  };
}

/** The same JSON with every object's keys in reverse order. */
export function reorderKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorderKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .reverse()
        .map((k) => [k, reorderKeys((value as Json)[k])]),
    );
  }
  return value;
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
export const fingerprint = (value: unknown): string => sha256(canonicalJson(value));

let runs = 0;

/**
 * Puts each group of raw events on `queue` as one ingest job (a run of its own, so the
 * same lines sent again are a new job), waits for all of them and returns each job's counts.
 */
export async function ingestJobs(
  pipeline: Pipeline,
  queue: QueueName,
  groups: ReadonlyArray<ReadonlyArray<string>>,
): Promise<OutcomeCounts[]> {
  const receivedAt = new Date().toISOString();
  const runId = `test-${process.pid}-${++runs}`;
  const payloads = groups.map((raws, i) => ({
    events: raws.map((raw) => ({ raw, receivedAt })),
    origin: 'replay' as const,
    runId: `${runId}-${i}`,
  }));
  const waiter = await waitForJobs(pipeline, 50);
  try {
    const jobs = await enqueueMany(pipeline.queues, JOBS.ingestEvents, queue, payloads);
    const refs = jobs.map((j) => ({ queue, id: String(j.id) }));
    const results = await waiter.until(refs);
    // waitForJobs' poll reads a job before its state, so a job completing in between is
    // reported with a null result (see the report on queues/wait.ts); read those again.
    return await Promise.all(
      results.map(
        async (r, i) =>
          (r ?? (await Job.fromId(pipeline.queues[queue], refs[i]?.id as string))?.returnvalue) as OutcomeCounts,
      ),
    );
  } finally {
    await waiter.close();
  }
}

/** One job, one result. */
export async function ingestOne(pipeline: Pipeline, queue: QueueName, raws: readonly string[]): Promise<OutcomeCounts> {
  const [counts] = await ingestJobs(pipeline, queue, [raws]);
  if (!counts) throw new Error('no result for the job');
  return counts;
}

export const counts = (c: Partial<OutcomeCounts>): OutcomeCounts => ({
  accepted: 0,
  duplicate: 0,
  stale: 0,
  conflict: 0,
  'dead-lettered': 0,
  ...c,
});

/** The environment the CLI reads its services from, for this pipeline. */
export function cliEnv(pipeline: Pipeline): Record<string, string> {
  return {
    DATABASE_URL: pipeline.database.url,
    REDIS_URL: pipeline.settings.url,
    TIERLINE_QUEUE_PREFIX: pipeline.settings.prefix,
  };
}

/** Runs `fn` with the pipeline's service variables in process.env, restoring them after. */
export function withCliEnv<T>(pipeline: Pipeline, fn: () => Promise<T>): Promise<T> {
  return withEnv(cliEnv(pipeline), fn);
}

export async function countRows(pipeline: Pipeline, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
    pipeline.database.db,
  );
  return Number(rows[0]?.n ?? 0);
}

/** `tierline workers --only ingest` as a child process on the pipeline's services. */
export function spawnIngestWorker(pipeline: Pipeline): ChildWorker {
  return spawnTierline(['workers', '--only', 'ingest'], {
    ...cliEnv(pipeline),
    LOG_LEVEL: 'warn',
    TIERLINE_SHUTDOWN_TIMEOUT_MS: '5000',
  });
}

/** Whether every ingest queue of the pipeline has nothing waiting, delayed or active. */
export async function ingestQueuesDrained(
  pipeline: Pipeline,
): Promise<{ completed: number; failed: number } | undefined> {
  let completed = 0;
  let failed = 0;
  for (const name of ['crm', 'lms', 'erp'] as const) {
    const c = await pipeline.queues[name].getJobCounts(
      'wait',
      'active',
      'delayed',
      'prioritized',
      'waiting-children',
      'paused',
      'completed',
      'failed',
    );
    if (
      (c.wait ?? 0) +
        (c.active ?? 0) +
        (c.delayed ?? 0) +
        (c.prioritized ?? 0) +
        (c['waiting-children'] ?? 0) +
        (c.paused ?? 0) >
      0
    )
      return undefined;
    completed += c.completed ?? 0;
    failed += c.failed ?? 0;
  }
  return { completed, failed };
}

/**
 * A comparable plain form of a partner's facts: keyed collections sorted by key, event lists
 * sorted by event id, bigints as strings, absent optionals dropped.
 */
export function normaliseFacts(facts: PartnerFacts): unknown {
  const byKey = <V>(m: Map<string, V>): Array<[string, V]> =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const byEvent = <V extends { eventId: string }>(xs: readonly V[]): V[] =>
    [...xs].sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const plain = {
    partnerId: facts.partnerId,
    profile: facts.profile,
    deals: byKey(facts.deals),
    certifications: byEvent(facts.certifications),
    revocations: byEvent(facts.revocations),
    departures: byEvent(facts.departures),
    invoices: byKey(facts.invoices),
    credits: byKey(facts.credits),
  };
  return JSON.parse(JSON.stringify(plain, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
}

/** Every partner's normal form, by partnerId. */
export function normaliseAll(all: ReadonlyMap<string, PartnerFacts>): Record<string, unknown> {
  return Object.fromEntries([...all.keys()].sort().map((id) => [id, normaliseFacts(all.get(id) as PartnerFacts)]));
}
