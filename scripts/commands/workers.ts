// `tierline workers [--only ingest,recompute,scheduler]`: runs workers until SIGINT/SIGTERM,
// then lets running jobs finish (up to TIERLINE_SHUTDOWN_TIMEOUT_MS) and exits 0.
import type { Command } from 'commander';
import { startWorkers, ROLES, type Role } from '../../workers/runner.ts';
import { createLogger } from '../../workers/logger.ts';
import { CliError } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';

function parseRoles(only: string | undefined): Role[] {
  if (!only) return [...ROLES];
  const roles = only.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new CliError(`--only: unknown worker ${unknown.join(', ')} (known: ${ROLES.join(', ')})`);
  return roles as Role[];
}

export async function runWorkers(options: { only?: string }): Promise<void> {
  const roles = parseRoles(options.only);
  const log = createLogger('tierline-workers');
  const db = await openDatabase({ max: 20 });
  const services = await openQueueServices('producer').catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });
  const runner = await startWorkers({ db, queues: services.queues, settings: services.settings, log }, roles);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping workers');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await runner.stop(Number(process.env.TIERLINE_SHUTDOWN_TIMEOUT_MS ?? 30_000));
  await services.close();
  await db.destroy();
  log.info('workers stopped');
}

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .option('--only <roles>', `comma-separated subset of ${ROLES.join(',')}`)
    .description('run the workers until SIGINT/SIGTERM, then shut down gracefully')
    .action(async (options: { only?: string }) => runWorkers(options));
}
