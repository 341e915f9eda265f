// Shared helpers for the ingest integration tests: event builders, enqueue-and-wait, the
// CLI environment of a pipeline, a child-process worker, and a normal form of PartnerFacts
// so facts read back from Postgres can be compared with the domain's fold.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job } from 'bullmq';
import { sql } from 'kysely';
import { canonicalJson } from '../../domain/events/parse.ts';
import type { PartnerFacts } from '../../domain/facts/types.ts';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { JOBS, type QueueName } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { waitForJobs } from '../../queues/wait.ts';
import type { Pipeline } from '../setup/pipeline.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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
export async function withCliEnv<T>(pipeline: Pipeline, fn: () => Promise<T>): Promise<T> {
  const env = cliEnv(pipeline);
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Polls `check` until it returns a value other than undefined, or fails at the deadline. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function countRows(pipeline: Pipeline, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(
    pipeline.database.db,
  );
  return Number(rows[0]?.n ?? 0);
}

export interface ChildWorker {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string | null>;
}

/** `tierline workers --only ingest` as a child process on the pipeline's services. */
export function spawnIngestWorker(pipeline: Pipeline): ChildWorker {
  const child = spawn(process.execPath, ['bin/tierline.js', 'workers', '--only', 'ingest'], {
    cwd: repoRoot,
    env: { ...process.env, ...cliEnv(pipeline), LOG_LEVEL: 'warn', TIERLINE_SHUTDOWN_TIMEOUT_MS: '5000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => out, exited };
}

/** Stops a child worker: SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopChild(worker: ChildWorker | undefined, timeoutMs = 15_000): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), timeoutMs);
  await worker.exited;
  clearTimeout(timer);
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

export { prng } from '../setup/prng.ts';

export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
