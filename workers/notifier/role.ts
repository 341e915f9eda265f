// The `notifier` role of `tierline workers`: the outbox relay, woken as soon as a recompute
// job that wrote notifications completes (BullMQ queue events), and polling the outbox
// anyway, so nothing depends on the wake-up arriving: Postgres is the record of what is owed.
import { QueueEvents } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../db/types.ts';
import { QUEUES } from '../../queues/catalog.ts';
import { ingestBacklogSince } from '../../queues/backlog.ts';
import { openRedis, type QueueSettings } from '../../queues/connection.ts';
import { closeQueues, openQueues } from '../../queues/queues.ts';
import type { ProgramCache } from '../program-cache.ts';
import { DEVELOPMENT_UNSUBSCRIBE_SECRET, notifierConfigFromEnv, type NotifierConfig } from './config.ts';
import { startNotifier, type Notifier } from './notifier.ts';

export interface NotifierRoleDeps {
  db: Kysely<DB>;
  settings: QueueSettings;
  log: Logger;
  programs?: ProgramCache;
  config?: NotifierConfig;
}

export interface NotifierRole {
  notifier: Notifier;
  stop(timeoutMs?: number): Promise<void>;
}

/** Whether a recompute job's return value says it wrote notifications (RecomputeSummary.notifications). */
export function wroteNotifications(returnvalue: unknown): boolean {
  let value = returnvalue;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  const n = (value as { notifications?: unknown } | null)?.notifications;
  return typeof n === 'number' && n > 0;
}

/** A partitioned Redis answers nothing; the notifier then holds this round rather than hang. */
const BACKLOG_TIMEOUT_MS = 5_000;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startNotifierRole(deps: NotifierRoleDeps): Promise<NotifierRole> {
  const config = deps.config ?? notifierConfigFromEnv();
  const log = deps.log.child({ role: 'notifier' });
  if (config.unsubscribeSecret === DEVELOPMENT_UNSUBSCRIBE_SECRET) {
    log.warn(
      'TIERLINE_UNSUBSCRIBE_SECRET is unset: unsubscribe links are signed with the development secret (acceptable only for .eml files)',
    );
  }
  // The ingest backlog is read through a producer connection: it fails fast, never waits for Redis.
  const probe = openRedis(deps.settings, 'producer');
  probe.on('error', () => {});
  const ingest = openQueues(probe, deps.settings.prefix);
  const notifier = startNotifier({
    db: deps.db,
    log,
    config,
    ...(deps.programs ? { programs: deps.programs } : {}),
    backlog: () =>
      within(
        BACKLOG_TIMEOUT_MS,
        (async () => {
          if (probe.status === 'wait') await probe.connect();
          return ingestBacklogSince(ingest);
        })(),
      ),
  });
  const closeProbe = async (): Promise<void> => {
    await closeQueues(ingest).catch(() => {});
    probe.disconnect();
  };
  const connection = openRedis(deps.settings, 'worker');
  connection.on('error', (error: Error) =>
    log.warn({ err: error.message }, 'redis connection error (notifier wake-ups)'),
  );
  const events = new QueueEvents(QUEUES.recompute, { connection, prefix: deps.settings.prefix });
  events.on('completed', ({ returnvalue }) => {
    if (wroteNotifications(returnvalue)) notifier.wake();
  });
  events.on('error', (error) => log.warn({ err: error.message }, 'queue events error (notifier wake-ups)'));
  try {
    await events.waitUntilReady();
  } catch (error) {
    await notifier.stop(1_000);
    await closeProbe();
    await events.close().catch(() => {});
    connection.disconnect();
    throw error;
  }
  return {
    notifier,
    async stop(timeoutMs = 30_000) {
      await events.close().catch(() => {});
      connection.disconnect();
      await notifier.stop(timeoutMs);
      await closeProbe();
    },
  };
}
