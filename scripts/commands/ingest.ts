// `tierline ingest FILE [--wait] [--backfill]`: streams a JSON Lines file of any size.
// Queue path: events go to their source's queue in jobs of up to 500 (addBulk, with
// back-pressure); what cannot even be routed (not UTF-8, not JSON, no known source,
// oversize) is dead-lettered here. Backfill path: batches straight into Postgres, then one
// recompute per affected partner.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { identify, recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import {
  applyPreparedBatch,
  countOutcomes,
  pendingRecomputes,
  prepareEvent,
  type OutcomeCounts,
  type PreparedBatch,
} from '../../db/repositories/ingest-batch.ts';
import { loadProgramSet } from '../../db/repositories/programs.ts';
import type { DB } from '../../db/types.ts';
import { MAX_EVENT_BYTES } from '../../domain/events/parse.ts';
import { JOBS, MAX_EVENTS_PER_JOB, isSource, type IngestPayload } from '../../queues/catalog.ts';
import { enqueueMany, enqueueRecomputes } from '../../queues/queues.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { CliError, describeError } from '../lib/errors.ts';
import { readLines } from '../lib/lines.ts';
import { fileProgress } from '../lib/progress.ts';
import { openDatabase, openQueueServices, type QueueServices } from '../lib/services.ts';

interface IngestOptions {
  wait?: boolean;
  backfill?: boolean;
  runId?: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The queue of a line, or why it cannot go on any. */
function route(line: Buffer): { source: 'crm' | 'lms' | 'erp'; text: string } | { reason: string; parsed?: unknown } {
  if (line.byteLength > MAX_EVENT_BYTES)
    return { reason: `event is ${line.byteLength} bytes, over the ${MAX_EVENT_BYTES}-byte limit` };
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return { reason: 'line is not valid UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { reason: `not JSON: ${describeError(error)}` };
  }
  const source = (parsed as { source?: unknown } | null)?.source;
  if (typeof source !== 'string' || !isSource(source))
    return { reason: `source: expected one of crm, lms, erp`, parsed };
  return { source, text };
}

const empty = (): OutcomeCounts => ({ accepted: 0, duplicate: 0, stale: 0, conflict: 0, 'dead-lettered': 0 });

function add(into: OutcomeCounts, more: Partial<OutcomeCounts>): void {
  for (const key of Object.keys(into) as (keyof OutcomeCounts)[]) into[key] += more[key] ?? 0;
}

async function* nonBlank(path: string): AsyncGenerator<Buffer> {
  try {
    for await (const line of readLines(path)) if (line.some((b) => b !== 0x20 && b !== 0x09)) yield line;
  } catch (error) {
    throw new CliError(`cannot read events file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
}

async function viaQueues(
  path: string,
  options: IngestOptions,
  db: Kysely<DB>,
  services: QueueServices,
): Promise<OutcomeCounts | undefined> {
  const runId = options.runId ?? randomUUID();
  const progress = fileProgress(path, 'ingest');
  const counts = empty();
  const chunks = { crm: [] as string[], lms: [] as string[], erp: [] as string[] };
  const dead: DeadLetterInput[] = [];
  const jobIds: Array<{ queue: 'crm' | 'lms' | 'erp'; id: string }> = [];
  const waiter = options.wait ? await waitForJobs(services) : undefined;
  let bytes = 0;
  let events = 0;
  const flush = async (source: 'crm' | 'lms' | 'erp'): Promise<void> => {
    const lines = chunks[source].splice(0);
    if (lines.length === 0) return;
    const receivedAt = new Date().toISOString();
    const payload: IngestPayload = { events: lines.map((raw) => ({ raw, receivedAt })), origin: 'file', runId };
    const [job] = await enqueueMany(services.queues, JOBS.ingestEvents, source, [payload]);
    if (job?.id) jobIds.push({ queue: source, id: job.id });
  };
  const bury = async (): Promise<void> => {
    const n = dead.length;
    await recordDeadLetters(db, dead.splice(0));
    counts['dead-lettered'] += n;
  };
  try {
    for await (const line of nonBlank(path)) {
      bytes += line.byteLength + 1;
      events++;
      const routed = route(line);
      if ('reason' in routed) dead.push({ raw: line, reason: routed.reason, ...identify(routed.parsed) });
      else {
        chunks[routed.source].push(routed.text);
        if (chunks[routed.source].length >= MAX_EVENTS_PER_JOB) await flush(routed.source);
      }
      if (dead.length >= 500) await bury();
      progress.update(bytes, events);
    }
    await Promise.all([flush('crm'), flush('lms'), flush('erp')]);
    await bury();
  } finally {
    progress.stop();
  }
  if (!waiter) {
    console.log(
      `queued ${events - counts['dead-lettered']} events in ${jobIds.length} jobs (run ${runId}); ${counts['dead-lettered']} dead-lettered`,
    );
    return undefined;
  }
  try {
    const results = await waiter.until(jobIds, (pending) => {
      if (process.stderr.isTTY)
        process.stderr.write(`\rwaiting for ${pending} jobs (is \`tierline workers\` running?)   `);
    });
    for (const r of results) add(counts, r as Partial<OutcomeCounts>);
  } finally {
    await waiter.close();
  }
  return counts;
}

/** Events per backfill transaction (as before: the stored rows, received_seq included, are the same). */
const BACKFILL_BATCH = 2_000;
/** Events validated between two turns of the event loop while a batch is in flight. */
const YIELD_EVERY = 200;

/**
 * Batches straight into Postgres, in file order, one transaction at a time; but the next
 * batch is validated and hashed (JavaScript) while the previous one's statements run in
 * Postgres, so neither waits for the other.
 */
async function viaBackfill(path: string, db: Kysely<DB>, services: QueueServices): Promise<OutcomeCounts> {
  const program = await loadProgramSet(db);
  if (!program) throw new CliError('no program is loaded: run `tierline program load FILE` first');
  const ctx = { currency: program.currency, timezone: program.timezone };
  const progress = fileProgress(path, 'backfill');
  const counts = empty();
  const partners = new Set<string>();
  let batch: PreparedBatch = { items: [], results: [], hashes: [] };
  let inFlight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  let bytes = 0;
  let events = 0;
  const settle = async (): Promise<void> => {
    await inFlight;
    inFlight = undefined;
    if (failed) throw failed.error;
  };
  const flush = async (): Promise<void> => {
    if (batch.items.length === 0) return;
    const ready = batch;
    batch = { items: [], results: [], hashes: [] };
    // One transaction at a time: the batches commit in file order.
    await settle();
    inFlight = applyPreparedBatch(db, ready).then(
      (result) => {
        add(counts, countOutcomes(result.outcomes));
        for (const p of result.partners) partners.add(p);
      },
      (error: unknown) => {
        failed = { error };
      },
    );
  };
  try {
    for await (const line of nonBlank(path)) {
      bytes += line.byteLength + 1;
      events++;
      prepareEvent(batch, ctx, { raw: line });
      if (batch.items.length >= BACKFILL_BATCH) await flush();
      // Let the batch in flight take its next statement's reply: lines are read a megabyte
      // (thousands of events) at a time, and its transaction would otherwise wait for them.
      else if (inFlight && batch.items.length % YIELD_EVERY === 0) await new Promise(setImmediate);
      progress.update(bytes, events);
    }
    await flush();
    await settle();
  } finally {
    await inFlight;
    progress.stop();
  }
  // The requests are in Postgres already; these jobs only wake the recompute workers.
  const affected = [...partners];
  for (let i = 0; i < affected.length; i += 10_000) {
    const latest = await pendingRecomputes(db, affected.slice(i, i + 10_000));
    await enqueueRecomputes(services.queues, latest);
  }
  return counts;
}

export function formatCounts(c: OutcomeCounts): string {
  return `accepted ${c.accepted}, duplicate ${c.duplicate}, stale ${c.stale}, conflict ${c.conflict}, dead-lettered ${c['dead-lettered']}`;
}

export async function runIngest(path: string, options: IngestOptions): Promise<OutcomeCounts | undefined> {
  const db = await openDatabase();
  let services: QueueServices | undefined;
  try {
    services = await openQueueServices('producer');
    const counts = options.backfill
      ? await viaBackfill(path, db, services)
      : await viaQueues(path, options, db, services);
    if (counts) console.log(formatCounts(counts));
    return counts;
  } finally {
    await services?.close();
    await db.destroy();
  }
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .argument('<file>', 'events as JSON Lines')
    .option('--wait', 'return when every event has been processed, printing counts')
    .option('--backfill', 'bulk path for history: straight into Postgres in batches, then one recompute per partner')
    .option('--run-id <id>', 'names this run (a re-run with the same id and lines adds no jobs)')
    .description('put events on the ingest queues')
    .action(async (file: string, options: IngestOptions) => {
      await runIngest(file, options);
    });
}
