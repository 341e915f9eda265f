// The pipeline for integration tests: a fresh database with a program loaded, queues under a
// unique prefix on the run's Redis, and in-process workers. Everything it opens is tracked,
// so a test that forgets stop() fails.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { storeProgramVersions } from '../../services/programs.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import { checkRedis, openRedis, type QueueSettings, type RedisConnection } from '../../queues/connection.ts';
import { closeQueues, openQueues, type Queues } from '../../queues/queues.ts';
import { startWorkers, type Role, type Runner } from '../../workers/runner.ts';
import { freshDatabase, type FreshDatabase } from './db.ts';
import { track } from './leaks.ts';
import { redisService, uniquePrefix } from './redis.ts';

export interface Pipeline {
  database: FreshDatabase;
  program: ProgramSet;
  settings: QueueSettings;
  connection: RedisConnection;
  queues: Queues;
  /** In-process workers, when started. */
  runner?: Runner;
  startWorkers(roles?: Role[]): Promise<Runner>;
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

export function loadExampleProgram(path = 'examples/acme/program.json'): ProgramSet {
  const loaded = loadProgramTexts([{ name: path, text: readFileSync(path, 'utf8') }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

/**
 * A database with `programPath` loaded, and queues under a fresh prefix, on the run's Redis
 * or on `options.cluster` (seed URLs of a private Redis Cluster, test/setup/cluster.ts).
 */
export async function createPipeline(
  programPath = 'examples/acme/program.json',
  options: { cluster?: string } = {},
): Promise<Pipeline> {
  const redis = options.cluster ? { available: true, url: options.cluster, reason: '' } : redisService();
  if (!redis.available) throw new Error(`Redis unavailable: ${redis.reason}`);
  const database = await freshDatabase();
  const program = loadExampleProgram(programPath);
  await database.db.transaction().execute(async (trx) => {
    const stored = await storeProgramVersions(
      trx,
      program.versions.map((v) => v.program),
    );
    if (!stored.ok) throw new Error(stored.problems.join('\n'));
  });
  const settings: QueueSettings = {
    url: redis.url,
    prefix: `{${uniquePrefix('pipe')}}`,
    cluster: options.cluster !== undefined,
    // On a cluster with replicas, acknowledged enqueues wait for one (REDIS_ACK_REPLICAS=1).
    ...(options.cluster !== undefined ? { ack: { replicas: 1, timeoutMs: 10_000 } } : {}),
  };
  const connection = openRedis(settings, 'producer');
  connection.on('error', () => {});
  await checkRedis(connection, settings);
  const queues = openQueues(connection, settings.prefix, settings.ack);
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const pipeline: Pipeline = {
    database,
    program,
    settings,
    connection,
    queues,
    async startWorkers(roles = ['ingest', 'recompute']) {
      const runner = await startWorkers({ db: database.db, queues, settings, log }, roles);
      const release = track({ kind: 'bullmq-workers', label: settings.prefix, close: () => runner.stop(5_000) });
      pipeline.runner = {
        workers: runner.workers,
        progress: runner.progress,
        async stop(timeoutMs?: number) {
          release();
          await runner.stop(timeoutMs);
        },
      };
      return pipeline.runner;
    },
    async stopWorkers() {
      await pipeline.runner?.stop(5_000);
      pipeline.runner = undefined;
    },
    async stop() {
      release();
      await pipeline.stopWorkers();
      await closeQueues(queues);
      // Leave no keys behind on the shared Redis (a private cluster goes away whole).
      const keys = settings.cluster ? [] : await connection.keys(`${settings.prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await connection.del(...keys.slice(i, i + 500));
      await connection.quit().catch(() => connection.disconnect());
      await database.drop();
    },
  };
  const release = track({ kind: 'pipeline', label: settings.prefix, close: () => pipeline.stop() });
  return pipeline;
}
