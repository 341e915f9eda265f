// Opening the services a command needs, with one-line errors that name the service, where
// it was looked for and the variable that configures it (docs/cli.md).
import type { Kysely } from 'kysely';
import { ConfigError } from '../../config/env.ts';
import { databaseUrl } from '../../config/urls.ts';
import { createDb } from '../../db/connect.ts';
import { migrationStatus } from '../../db/migrate.ts';
import { pingDatabase } from '../../db/repositories/health.ts';
import type { DB } from '../../db/types.ts';
import {
  checkRedis,
  openRedis,
  queueSettings,
  type QueueSettings,
  type RedisConnection,
} from '../../queues/connection.ts';
import { closeQueues, openQueues, type Queues } from '../../queues/queues.ts';
import { CliError, describeError } from './errors.ts';

function oneLine(error: unknown): string {
  return describeError(error).replace(/\s*\n\s*/g, ' ');
}

/** The database, checked reachable and migrated. */
export async function openDatabase(options: { max?: number; requireSchema?: boolean } = {}): Promise<Kysely<DB>> {
  let db: Kysely<DB>;
  try {
    db = createDb(databaseUrl(), { max: options.max ?? 10, variable: 'DATABASE_URL' });
  } catch (error) {
    throw new CliError(oneLine(error), 1, { cause: error });
  }
  try {
    await pingDatabase(db);
    if (options.requireSchema !== false) {
      const pending = (await migrationStatus(db)).filter((m) => !m.applied);
      if (pending.length > 0)
        throw new CliError(
          `the database schema is not up to date (${pending.length} pending ` +
            `migration${pending.length === 1 ? '' : 's'}): run \`tierline migrate\``,
        );
    }
    return db;
  } catch (error) {
    await db.destroy().catch(() => {});
    if (error instanceof CliError) throw error;
    throw new CliError(oneLine(error), 1, { cause: error });
  }
}

export interface QueueServices {
  settings: QueueSettings;
  connection: RedisConnection;
  queues: Queues;
  close(): Promise<void>;
}

/** Redis checked reachable and safe for queues (noeviction), with the catalog's queues open. */
export async function openQueueServices(role: 'worker' | 'producer' = 'producer'): Promise<QueueServices> {
  let settings: QueueSettings;
  try {
    settings = queueSettings();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
  const connection = openRedis(settings, role);
  // ioredis reports connection errors as events; the check below turns them into one line.
  connection.on('error', () => {});
  try {
    await checkRedis(connection, settings);
  } catch (error) {
    connection.disconnect();
    throw new CliError(oneLine(error), 1, { cause: error });
  }
  const queues = openQueues(connection, settings.prefix, settings.ack);
  return {
    settings,
    connection,
    queues,
    async close() {
      await closeQueues(queues);
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
