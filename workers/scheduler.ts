// The schedules: the nightly run (cron in the program's timezone) and the reconciler sweep.
// Upserted under stable keys, so however many scheduler processes start, each fires once.
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { loadProgramSet } from '../db/repositories/programs.ts';
import type { DB } from '../db/types.ts';
import { JOBS } from '../queues/catalog.ts';
import { RETENTION, type Queues } from '../queues/queues.ts';

export const DEFAULT_NIGHTLY_CRON = '0 2 * * *';

export async function installSchedules(queues: Queues, db: Kysely<DB>, log: Logger, env: Record<string, string | undefined> = process.env): Promise<void> {
  const program = await loadProgramSet(db);
  const tz = env.TIERLINE_NIGHTLY_TZ?.trim() || program?.timezone || 'UTC';
  const pattern = env.TIERLINE_NIGHTLY_CRON?.trim() || DEFAULT_NIGHTLY_CRON;
  await queues.recompute.upsertJobScheduler('nightly', { pattern, tz }, { name: JOBS.nightlyRun.name, data: {}, opts: { attempts: JOBS.nightlyRun.attempts, backoff: JOBS.nightlyRun.backoff, ...RETENTION } });
  const every = Number(env.TIERLINE_RECONCILE_EVERY_MS ?? 30_000);
  await queues.recompute.upsertJobScheduler('reconcile', { every }, { name: JOBS.reconcile.name, data: {}, opts: { attempts: 1, ...RETENTION } });
  log.info({ pattern, tz, reconcileEveryMs: every }, 'schedules installed');
}
