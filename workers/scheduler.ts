// The schedules: the nightly run (cron in the program's timezone) and the reconciler sweep.
// Upserted under stable keys, so however many scheduler processes start, each fires once.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { loadProgramSet } from '../services/programs.ts';
import { readVariable } from '../config/env.ts';
import type { DB } from '../db/types.ts';
import { JOBS } from '../queues/catalog.ts';
import { RETENTION, type Queues } from '../queues/queues.ts';
import { errorMessage } from '../lib/errors.ts';

export const DEFAULT_NIGHTLY_CRON = readVariable('TIERLINE_NIGHTLY_CRON', {});

export async function installSchedules(
  queues: Queues,
  db: Kysely<DB>,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  const program = await loadProgramSet(db);
  const tz = readVariable('TIERLINE_NIGHTLY_TZ', env) ?? program?.timezone ?? 'UTC';
  const pattern = readVariable('TIERLINE_NIGHTLY_CRON', env);
  await queues.recompute.upsertJobScheduler(
    'nightly',
    { pattern, tz },
    {
      name: JOBS.nightlyRun.name,
      data: {},
      opts: { attempts: JOBS.nightlyRun.attempts, backoff: JOBS.nightlyRun.backoff, ...RETENTION },
    },
  );
  const every = readVariable('TIERLINE_RECONCILE_EVERY_MS', env);
  await queues.recompute.upsertJobScheduler(
    'reconcile',
    { every },
    { name: JOBS.reconcile.name, data: {}, opts: { attempts: 1, ...RETENTION } },
  );
  log.info({ pattern, tz, reconcileEveryMs: every }, 'schedules installed');
}

/**
 * Re-installs the schedules whenever they are missing (checked every reconcile interval, at
 * least every minute): a Redis restarted without its data has lost them, and without the
 * reconciler nothing would find the owed work that Postgres still holds. Returns stop().
 */
export function keepSchedules(
  queues: Queues,
  db: Kysely<DB>,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
): () => void {
  const every = Math.min(60_000, Math.max(1_000, readVariable('TIERLINE_RECONCILE_EVERY_MS', env)));
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      const [nightly, reconcile] = await Promise.all([
        queues.recompute.getJobScheduler('nightly'),
        queues.recompute.getJobScheduler('reconcile'),
      ]);
      if (nightly && reconcile) return;
      log.warn('schedules missing from Redis (lost data?); installing them again');
      await installSchedules(queues, db, log, env);
    })()
      .catch((error: unknown) => log.warn({ err: errorMessage(error) }, 'cannot check the schedules'))
      .finally(() => (busy = false));
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}
