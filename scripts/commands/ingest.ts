// `tierline ingest FILE [--wait] [--backfill]`: streams a JSON Lines file of any size.
// Queue path (services/ingest/submit.ts): events go to their source's queue in jobs of up
// to 500; what cannot even be routed is dead-lettered there. Backfill path
// (services/ingest/backfill.ts): batches straight into Postgres, then one recompute per
// affected partner. This file reads the file, shows progress, waits and prints.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { backfillLines } from '../../services/ingest/backfill.ts';
import { addOutcomes, noOutcomes, type OutcomeCounts } from '../../services/ingest/outcomes.ts';
import { submitLines } from '../../services/ingest/submit.ts';
import { loadProgramSet } from '../../services/programs.ts';
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
  const waiter = options.wait ? await waitForJobs(services) : undefined;
  let submitted;
  try {
    submitted = await submitLines(db, services.queues, nonBlank(path), {
      runId,
      onLine: (bytes, events) => progress.update(bytes, events),
    });
  } finally {
    progress.stop();
  }
  const counts = noOutcomes();
  counts['dead-lettered'] = submitted.deadLettered;
  if (!waiter) {
    console.log(
      `queued ${submitted.events - counts['dead-lettered']} events in ${submitted.jobs.length} jobs (run ${runId}); ${counts['dead-lettered']} dead-lettered`,
    );
    return undefined;
  }
  try {
    const results = await waiter.until(submitted.jobs, (pending) => {
      if (process.stderr.isTTY)
        process.stderr.write(`\rwaiting for ${pending} jobs (is \`tierline workers\` running?)   `);
    });
    for (const r of results) addOutcomes(counts, r as Partial<OutcomeCounts>);
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
  try {
    return await backfillLines(db, services.queues, ctx, nonBlank(path), (bytes, events) =>
      progress.update(bytes, events),
    );
  } finally {
    progress.stop();
  }
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
