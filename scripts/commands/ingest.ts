// `tierline ingest FILE [--wait] [--backfill] [--allow-invalid]`: streams a JSON Lines file of
// any size. The file is checked first (readable, JSON Lines: services/ingest/events-file.ts),
// before Postgres or Redis are touched. Queue path (services/ingest/submit.ts): events go to
// their source's queue in jobs of up to 500; what cannot even be routed is dead-lettered
// there. Backfill path (services/ingest/backfill.ts): batches straight into Postgres, then one
// recompute per affected partner. Once the events are processed (--wait, --backfill) the run's
// first dead letters are listed (file:line: reason) and make the exit code 1, and partners no
// partner.upserted describes are named in a warning (services/ingest/report.ts).
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { backfillLines } from '../../services/ingest/backfill.ts';
import { checkEventsFile } from '../../services/ingest/events-file.ts';
import { PartnerTally, type NumberedLine } from '../../services/ingest/lines.ts';
import { addOutcomes, noOutcomes, type OutcomeCounts } from '../../services/ingest/outcomes.ts';
import { reportRun, type RunReport } from '../../services/ingest/report.ts';
import { submitLines } from '../../services/ingest/submit.ts';
import { loadProgramSet } from '../../services/programs.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { CliError, describeError, refusalsAsCliErrors } from '../lib/errors.ts';
import { readLines } from '../lib/lines.ts';
import { fileProgress } from '../lib/progress.ts';
import { openDatabase, openQueueServices, type QueueServices } from '../lib/services.ts';

interface IngestOptions {
  wait?: boolean;
  backfill?: boolean;
  runId?: string;
  allowInvalid?: boolean;
}

export interface IngestRun {
  /** The outcome counts, once the events are processed (--wait, --backfill). */
  counts: OutcomeCounts | undefined;
  /** Events dead-lettered that this run knows of. */
  deadLettered: number;
  report: RunReport;
  exitCode: number;
}

/** Reasons listed before "and N more". */
const FIRST_REASONS = 10;

async function* numbered(path: string): AsyncGenerator<NumberedLine> {
  let line = 0;
  try {
    for await (const bytes of readLines(path)) {
      line++;
      if (bytes.some((b) => b !== 0x20 && b !== 0x09)) yield { bytes, line };
    }
  } catch (error) {
    throw new CliError(`cannot read events file ${path}: ${describeError(error)}`, 1, { cause: error });
  }
}

async function viaQueues(
  path: string,
  runId: string,
  options: IngestOptions,
  db: Kysely<DB>,
  services: QueueServices,
  partners: PartnerTally,
): Promise<{ counts: OutcomeCounts | undefined; deadLettered: number }> {
  const waiter = options.wait ? await waitForJobs(services) : undefined;
  // Every way out closes the waiter: its QueueEvents connections would keep the process alive.
  try {
    const progress = fileProgress(path, 'ingest');
    let submitted;
    try {
      submitted = await submitLines(db, services.queues, numbered(path), {
        runId,
        file: path,
        partners,
        onLine: (bytes, events) => progress.update(bytes, events),
      });
    } finally {
      progress.stop();
    }
    if (!waiter) {
      console.log(
        `queued ${submitted.events - submitted.deadLettered} events in ${submitted.jobs.length} jobs (run ${runId}); ${submitted.deadLettered} dead-lettered`,
      );
      return { counts: undefined, deadLettered: submitted.deadLettered };
    }
    const counts = noOutcomes();
    counts['dead-lettered'] = submitted.deadLettered;
    const results = await waiter.until(submitted.jobs, (pending) => {
      if (process.stderr.isTTY)
        process.stderr.write(`\rwaiting for ${pending} jobs (is \`tierline workers\` running?)   `);
    });
    if (process.stderr.isTTY && submitted.jobs.length > 0) process.stderr.write('\n');
    for (const r of results) addOutcomes(counts, r as Partial<OutcomeCounts>);
    return { counts, deadLettered: counts['dead-lettered'] };
  } finally {
    await waiter?.close();
  }
}

async function viaBackfill(
  path: string,
  runId: string,
  db: Kysely<DB>,
  services: QueueServices,
  partners: PartnerTally,
): Promise<OutcomeCounts> {
  const program = await loadProgramSet(db);
  if (!program) throw new CliError('no program is loaded: run `tierline program load FILE` first');
  const ctx = { currency: program.currency, timezone: program.timezone };
  const progress = fileProgress(path, 'backfill');
  try {
    return await backfillLines(db, services.queues, ctx, numbered(path), {
      file: path,
      runId,
      partners,
      onLine: (bytes, events) => progress.update(bytes, events),
    });
  } finally {
    progress.stop();
  }
}

export function formatCounts(c: OutcomeCounts): string {
  return `accepted ${c.accepted}, duplicate ${c.duplicate}, stale ${c.stale}, conflict ${c.conflict}, dead-lettered ${c['dead-lettered']}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The run's report on stderr; returns the exit code it calls for. */
function printReport(run: Omit<IngestRun, 'exitCode'>, options: IngestOptions): number {
  const { deadLetters, unknownPartners } = run.report;
  if (run.deadLettered > 0) {
    for (const d of deadLetters.first) process.stderr.write(`${d.where}: ${d.reason}\n`);
    const more = deadLetters.total - deadLetters.first.length;
    if (more > 0) process.stderr.write(`... and ${more} more (\`tierline dlq list\`)\n`);
  }
  if (unknownPartners.partners > 0) {
    const more = unknownPartners.partners > unknownPartners.first.length ? ', ...' : '';
    process.stderr.write(
      `warning: ${plural(unknownPartners.events, 'event')} for ${plural(unknownPartners.partners, 'partner')} with no partner.upserted yet (${unknownPartners.first.join(', ')}${more}): stored, but they count for no tier until the partner is upserted; check the ids for typos\n`,
    );
  }
  if (run.deadLettered === 0) return 0;
  const what = `${plural(run.deadLettered, 'event')} dead-lettered`;
  if (options.allowInvalid) {
    process.stderr.write(`${what} (--allow-invalid: exit 0); fix and \`tierline dlq replay\`, or \`dlq purge\`\n`);
    return 0;
  }
  process.stderr.write(
    `${what}: fix them and run \`tierline dlq replay\`, or pass --allow-invalid to accept the run anyway\n`,
  );
  return 1;
}

/** Checks the file, then ingests it and prints the counts and the report. */
export async function ingestFile(path: string, options: IngestOptions): Promise<IngestRun> {
  if (options.runId !== undefined && options.runId.trim() === '')
    throw new CliError('--run-id: expected a name for the run, got ""');
  if (options.runId !== undefined && options.runId.length > 200)
    throw new CliError(`--run-id: at most 200 characters, got ${options.runId.length}`);
  await refusalsAsCliErrors(() => checkEventsFile(path));
  const runId = options.runId ?? randomUUID();
  const partners = new PartnerTally();
  const db = await openDatabase();
  let services: QueueServices | undefined;
  try {
    services = await openQueueServices('producer');
    const { counts, deadLettered } = options.backfill
      ? await viaBackfill(path, runId, db, services, partners).then((c) => ({
          counts: c,
          deadLettered: c['dead-lettered'],
        }))
      : await viaQueues(path, runId, options, db, services, partners);
    if (counts) console.log(formatCounts(counts));
    // Partners are judged only once their events are processed: without --wait, not yet.
    const report = await reportRun(db, runId, counts ? partners : undefined, FIRST_REASONS);
    const run = { counts, deadLettered, report };
    return { ...run, exitCode: printReport(run, options) };
  } finally {
    await services?.close();
    await db.destroy();
  }
}

/** ingestFile's counts (what the tests and tools compare). */
export async function runIngest(path: string, options: IngestOptions): Promise<OutcomeCounts | undefined> {
  return (await ingestFile(path, options)).counts;
}

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .argument('<file>', 'events as JSON Lines')
    .option('--wait', 'return when every event has been processed, printing counts')
    .option('--backfill', 'bulk path for history: straight into Postgres in batches, then one recompute per partner')
    .option('--run-id <id>', 'names this run (a re-run with the same id and lines adds no jobs)')
    .option('--allow-invalid', 'exit 0 even when events were dead-lettered')
    .description('put events on the ingest queues')
    .action(async (file: string, options: IngestOptions) => {
      process.exitCode = (await ingestFile(file, options)).exitCode;
    });
}
