// `tierline ingest FILE [--wait] [--backfill]`: streams a JSON Lines file of any size.
// Queue path: events go to their source's queue in jobs of up to 500 (addBulk, with
// back-pressure); what cannot even be routed (not UTF-8, not JSON, no known source,
// oversize) is dead-lettered here. Backfill path: batches straight into Postgres, then one
// recompute per affected partner.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { identify, recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import { applyEventBatch, countOutcomes, pendingRecomputes, type OutcomeCounts, type OwedRecompute } from '../../db/repositories/ingest-batch.ts';
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
  if (line.byteLength > MAX_EVENT_BYTES) return { reason: `event is ${line.byteLength} bytes, over the ${MAX_EVENT_BYTES}-byte limit` };
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
  if (typeof source !== 'string' || !isSource(source)) return { reason: `source: expected one of crm, lms, erp`, parsed };
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

async function viaQueues(path: string, options: IngestOptions, db: Kysely<DB>, services: QueueServices): Promise<OutcomeCounts | undefined> {
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
    console.log(`queued ${events - counts['dead-lettered']} events in ${jobIds.length} jobs (run ${runId}); ${counts['dead-lettered']} dead-lettered`);
    return undefined;
  }
  try {
    const results = await waiter.until(jobIds, (pending) => {
      if (process.stderr.isTTY) process.stderr.write(`\rwaiting for ${pending} jobs (is \`tierline workers\` running?)   `);
    });
    for (const r of results) add(counts, r as Partial<OutcomeCounts>);
  } finally {
    await waiter.close();
  }
  return counts;
}

async function viaBackfill(path: string, db: Kysely<DB>, services: QueueServices): Promise<OutcomeCounts> {
  const program = await loadProgramSet(db);
  if (!program) throw new CliError('no program is loaded: run `tierline program load FILE` first');
  const ctx = { currency: program.currency, timezone: program.timezone };
  const progress = fileProgress(path, 'backfill');
  const counts = empty();
  const owed = new Map<string, OwedRecompute>();
  let batch: Buffer[] = [];
  let bytes = 0;
  let events = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const result = await applyEventBatch(db, ctx, batch.map((raw) => ({ raw })));
    batch = [];
    add(counts, countOutcomes(result.outcomes));
    for (const r of result.recompute) owed.set(r.partnerId, r);
  };
  try {
    for await (const line of nonBlank(path)) {
      bytes += line.byteLength + 1;
      events++;
      batch.push(line);
      if (batch.length >= 2_000) await flush();
      progress.update(bytes, events);
    }
    await flush();
  } finally {
    progress.stop();
  }
  // The requests are in Postgres already; these jobs only wake the recompute workers.
  const latest = await pendingRecomputes(db, [...owed.keys()]);
  for (let i = 0; i < latest.length; i += 1_000) await enqueueRecomputes(services.queues, latest.slice(i, i + 1_000));
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
    const counts = options.backfill ? await viaBackfill(path, db, services) : await viaQueues(path, options, db, services);
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
