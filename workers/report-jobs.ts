// The console's finance and what-if runs (job `console-report`, on the recompute queue, so
// the recompute workers that every deployment runs take them): parse the payload and call
// services/console-reports.ts, which evaluates through the same services as the CLI. A
// refusal fails the run for good with its message; a transient error retries, and the last
// attempt's error is stored so the page shows it.
import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.ts';
import { errorMessage } from '../lib/errors.ts';
import { JOBS } from '../queues/catalog.ts';
import { computeReport, failReport } from '../services/console-reports.ts';
import { Refusal } from '../services/errors.ts';

export function consoleReportHandler(deps: { db: Kysely<DB>; log: Logger }) {
  return async (job: Job): Promise<{ reportId: string; outcome: 'done' | 'skipped' }> => {
    const parsed = JOBS.consoleReport.payload.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError(`invalid ${JOBS.consoleReport.name} payload: ${parsed.error.message}`);
    const { reportId } = parsed.data;
    const started = performance.now();
    try {
      const outcome = await computeReport(deps.db, reportId);
      deps.log.info(
        { jobId: job.id, reportId, outcome, ms: Math.round(performance.now() - started) },
        'console report',
      );
      return { reportId, outcome };
    } catch (error) {
      if (error instanceof Refusal) throw Object.assign(new UnrecoverableError(error.message), { cause: error });
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1))
        await failReport(deps.db, reportId, errorMessage(error)).catch(() => {});
      throw error;
    }
  };
}
