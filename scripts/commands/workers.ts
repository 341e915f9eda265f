// `tierline workers [--only ingest,recompute,scheduler] [--metrics-port N]`: runs workers until
// SIGINT/SIGTERM, then lets running jobs finish (up to TIERLINE_SHUTDOWN_TIMEOUT_MS) and exits 0.
// With --metrics-port, the process also serves GET /metrics (its own counters, see
// workers/metrics.ts) and GET /healthz (Redis, Postgres, and its workers running and taking the
// jobs that wait for them) on that port.
import { Option, type Command } from 'commander';
import { pingDatabase } from '../../db/repositories/health.ts';
import { startWorkers, ROLES, type Role } from '../../workers/runner.ts';
import { createLogger } from '../../workers/logger.ts';
import { waitingJobs } from '../../workers/progress.ts';
import type { QueueName } from '../../queues/catalog.ts';
import {
  enableDefaultMetrics,
  metricsTokensFromEnv,
  startMetricsServer,
  type HealthReport,
  type MetricsServer,
} from '../../workers/metrics.ts';
import { CliError, describeError } from '../lib/errors.ts';
import { openDatabase, openQueueServices } from '../lib/services.ts';
import { startupConfig } from '../lib/startup-config.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** After the shutdown timeout, how long closing Redis and Postgres may take before the process exits anyway. */
const CLOSE_GRACE_MS = 2_000;

interface WorkersOptions {
  only?: string;
  metricsPort?: string;
  metricsHost?: string;
}

function parseRoles(only: string | undefined): Role[] {
  if (!only) return [...ROLES];
  const roles = only
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new CliError(`--only: unknown worker ${unknown.join(', ')} (known: ${ROLES.join(', ')})`);
  return roles as Role[];
}

function parsePort(value: string | undefined): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65_535)
    throw new CliError(`--metrics-port: expected a port number 0-65535, got ${JSON.stringify(value)}`);
  return port;
}

async function check(probe: () => Promise<unknown>, ms = 1_000): Promise<'ok' | 'unavailable'> {
  const answered = new AbortController();
  try {
    const outcome = await Promise.race([
      probe().then(() => 'ok' as const),
      sleep(ms, 'unavailable' as const, { signal: answered.signal }),
    ]);
    return outcome;
  } catch {
    return 'unavailable';
  } finally {
    answered.abort();
  }
}

export async function runWorkers(options: WorkersOptions): Promise<void> {
  const roles = parseRoles(options.only);
  const config = startupConfig();
  const metricsPort = parsePort(options.metricsPort) ?? config.TIERLINE_METRICS_PORT;
  const metricsHost = options.metricsHost?.trim() || config.TIERLINE_METRICS_HOST;
  const timeoutMs = config.TIERLINE_SHUTDOWN_TIMEOUT_MS;
  const log = createLogger('tierline-workers');
  const db = await openDatabase({ max: 20 });
  const services = await openQueueServices('producer').catch(async (error: unknown) => {
    await db.destroy();
    throw error;
  });
  const runner = await startWorkers(
    { db, queues: services.queues, settings: services.settings, log, startTimeoutMs: config.TIERLINE_START_TIMEOUT_MS },
    roles,
  ).catch((error: unknown): never => {
    // A failed start ends the process at once, so a supervisor starts it again. Closing what
    // was opened is not enough: during a cluster failover BullMQ workers outlived their close
    // (seen in a CI run of the cluster chaos suite: a process that went on taking jobs for
    // minutes and failing them against its closed database). The jobs it holds lapse to others.
    process.stderr.write(`tierline: cannot start the workers: ${describeError(error)}\n`);
    process.exit(1);
  });
  let metrics: MetricsServer | undefined;
  if (metricsPort !== undefined) {
    enableDefaultMetrics();
    const health = async (): Promise<HealthReport> => {
      const [redis, postgres] = await Promise.all([
        check(() => services.connection.ping()),
        check(() => pingDatabase(db)),
      ]);
      // Progress, not just PING: a worker with jobs waiting that takes none is stuck (workers/progress.ts).
      const queues = await runner.progress.report((queue) => waitingJobs(services.queues[queue as QueueName]));
      const states = new Set(queues.map((q) => q.state));
      const workers = states.has('stopped') ? 'stopped' : states.has('stuck') ? 'stuck' : 'ok';
      return { ok: redis === 'ok' && postgres === 'ok' && workers === 'ok', redis, postgres, workers, roles, queues };
    };
    try {
      metrics = await startMetricsServer({
        port: metricsPort,
        host: metricsHost,
        tokens: metricsTokensFromEnv(),
        health,
      });
    } catch (error) {
      await runner.stop(timeoutMs);
      await services.close();
      await db.destroy();
      throw new CliError(`cannot listen on ${metricsHost}:${metricsPort} for metrics: ${describeError(error)}`, 1, {
        cause: error,
      });
    }
    log.info(
      { address: metrics.address },
      `worker metrics on ${metrics.address}/metrics, health on ${metrics.address}/healthz`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, 'stopping workers');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await metrics?.close();
  await runner.stop(timeoutMs);
  // Jobs handed back at the timeout may still hold database connections; their transactions
  // roll back when the process exits, so closing does not wait for them beyond a moment.
  const closed = (async () => {
    await services.close();
    await db.destroy();
  })();
  closed.catch(() => {});
  const closedInTime = new AbortController();
  const outcome = await Promise.race([
    closed.then(() => 'closed' as const),
    sleep(CLOSE_GRACE_MS, 'busy' as const, { signal: closedInTime.signal }),
  ]);
  closedInTime.abort();
  if (outcome === 'busy') {
    log.warn(
      { closeGraceMs: CLOSE_GRACE_MS },
      'connections still busy with handed-back jobs; exiting without them (their transactions roll back)',
    );
    log.info('workers stopped');
    log.flush();
    process.exit(0);
  }
  log.info('workers stopped');
}

export function registerWorkers(program: Command): void {
  program
    .command('workers')
    .option('--only <roles>', `comma-separated subset of ${ROLES.join(',')}`)
    .addOption(
      new Option(
        '--metrics-port <port>',
        'serve GET /metrics and GET /healthz of this process on this port (default: TIERLINE_METRICS_PORT, else none)',
      ),
    )
    .addOption(
      new Option(
        '--metrics-host <host>',
        'address for --metrics-port (default: TIERLINE_METRICS_HOST, else 127.0.0.1)',
      ),
    )
    .description('run the workers until SIGINT/SIGTERM, then shut down gracefully')
    .action(async (options: WorkersOptions) => runWorkers(options));
}
