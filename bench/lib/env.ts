// What every scenario needs: a fresh database (migrated, the acme program loaded), a
// private queue prefix on the shared Redis, and worker processes spawned from the CLI as in
// production, whose peak memory is read from /proc before they stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { databaseUrl } from '../../config/urls.ts';
import { createDb, ensureDatabase, withDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { storeProgramVersions } from '../../services/programs.ts';
import type { DB } from '../../db/types.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import { checkRedis, openRedis, queueSettings, type RedisConnection } from '../../queues/connection.ts';
import { closeQueues, enqueueMany, openQueues, type Queues } from '../../queues/queues.ts';
import { JOBS, QUEUES, jobKey } from '../../queues/catalog.ts';
import { waitForJobs } from '../../queues/wait.ts';

export const AS_OF = '2026-11-23';
export const PROGRAM_FILE = 'examples/acme/program.json';

export function loadAcme(): ProgramSet {
  const loaded = loadProgramTexts([{ name: 'acme', text: readFileSync(PROGRAM_FILE, 'utf8') }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

export interface BenchEnv {
  name: string;
  url: string;
  prefix: string;
  db: Kysely<DB>;
  redis: RedisConnection;
  queues: Queues;
  program: ProgramSet;
  /** Environment for child processes: this database, this prefix, today pinned. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const stamp = (): string => `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

/** `name`: an existing database kept by an earlier run (`--keep`) to open again; it is kept too. */
export async function openEnv(scenario: string, options: { keep?: boolean; name?: string } = {}): Promise<BenchEnv> {
  const name = options.name ?? `tierline_bench_${scenario}_${stamp()}`;
  const url = withDatabase(databaseUrl(), name);
  await ensureDatabase(url);
  const db = createDb(url, { max: 8 });
  await migrateToLatest(db);
  const program = loadAcme();
  await db.transaction().execute((trx) =>
    storeProgramVersions(
      trx,
      program.versions.map((v) => v.program),
    ),
  );
  const prefix = `{tlbench-${scenario}-${stamp()}}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url,
    TIERLINE_QUEUE_PREFIX: prefix,
    TIERLINE_TODAY: AS_OF,
    LOG_LEVEL: 'warn',
    // The benchmark drains its own work; the sweep would only add noise.
    TIERLINE_RECONCILE_EVERY_MS: '3600000',
    MAIL_OUTBOX_DIR: `/tmp/${name}-outbox`,
  };
  const settings = { ...queueSettings(env), prefix };
  const redis = openRedis(settings, 'producer');
  await checkRedis(redis, settings);
  const queues = openQueues(redis, prefix);
  return {
    name,
    url,
    prefix,
    db,
    redis,
    queues,
    program,
    env,
    async close() {
      await closeQueues(queues);
      await deleteKeys(redis, prefix);
      await redis.quit();
      await db.destroy();
      if (!options.keep && options.name === undefined) await dropDatabase(url);
    },
  };
}

export async function deleteKeys(redis: RedisConnection, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = createDb(withDatabase(url, 'postgres'), { max: 1 });
  try {
    await sql`drop database if exists ${sql.id(decodeURIComponent(name))} with (force)`.execute(admin);
  } finally {
    await admin.destroy();
  }
}

/** Peak resident memory of a process so far (VmHWM), in MB; 0 once it is gone. */
export function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

export interface Child {
  process: ChildProcess;
  label: string;
  /** Highest VmHWM seen (polled while it runs, read again before it is stopped). */
  peakMb(): number;
  stop(): Promise<number>;
  exited: Promise<number>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** `node bin/tierline.js ...args` with the bench environment; stderr is passed through. */
export function tierline(
  env: NodeJS.ProcessEnv,
  label: string,
  args: string[],
  stdout: 'ignore' | 'pipe' = 'ignore',
): Child {
  return spawnChild(env, label, [process.execPath, 'bin/tierline.js', ...args], stdout);
}

export function spawnChild(
  env: NodeJS.ProcessEnv,
  label: string,
  argv: string[],
  stdout: 'ignore' | 'pipe' = 'ignore',
): Child {
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = spawn(cmd, args, { env, stdio: ['ignore', stdout, 'inherit'] });
  running.add(child);
  let peak = 0;
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid))), 200);
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(poll);
      running.delete(child);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
  return {
    process: child,
    label,
    exited,
    peakMb: () => (peak = Math.max(peak, peakRssMb(child.pid))),
    async stop() {
      peak = Math.max(peak, peakRssMb(child.pid));
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a child to completion; its stdout as text. Throws on a non-zero exit. */
export async function runChild(child: Child): Promise<string> {
  const chunks: Buffer[] = [];
  child.process.stdout?.on('data', (b: Buffer) => chunks.push(b));
  const code = await child.exited;
  if (code !== 0) throw new Error(`${child.label} exited with ${code}`);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts worker processes and resolves once each has its workers running. */
export async function startWorkers(env: NodeJS.ProcessEnv, roles: string[]): Promise<Child[]> {
  const children = roles.map((role, i) =>
    tierline({ ...env, LOG_LEVEL: 'info' }, `workers ${role} #${i + 1}`, ['workers', '--only', role], 'pipe'),
  );
  await Promise.all(
    children.map(async (c) => {
      let seen = '';
      let forwarded = 0;
      const ready = new Promise<void>((resolve) => {
        c.process.stdout?.on('data', (b: Buffer) => {
          // Warnings and errors (failed jobs) are shown, a few of them: a benchmark that
          // retries its way through is measuring something else.
          for (const line of b.toString('utf8').split('\n')) {
            if (forwarded < 20 && /"level":(40|50|60)/.test(line)) {
              forwarded++;
              process.stderr.write(`[${c.label}] ${line.slice(0, 400)}\n`);
            }
          }
          if (seen !== 'done') {
            seen += b.toString('utf8');
            if (seen.includes('workers started')) {
              seen = 'done';
              resolve();
            }
          }
        });
      });
      const failed = c.exited.then((code) => {
        throw new Error(`${c.label} exited with ${code} before starting`);
      });
      await Promise.race([ready, failed]);
    }),
  );
  return children;
}

export async function stopAll(children: readonly Child[]): Promise<Record<string, number>> {
  const peaks: Record<string, number> = {};
  for (const c of children) peaks[c.label] = c.peakMb();
  await Promise.all(children.map((c) => c.stop()));
  return peaks;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `done` until it holds, every `everyMs`. */
export async function until(done: () => Promise<boolean>, everyMs = 50, timeoutMs = 3_600_000): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error('timed out waiting');
    await sleep(everyMs);
  }
}

export async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

/**
 * What `tierline recompute --all --as-of D --wait` does (the same job, the same wait),
 * from this process: timing the CLI would add its few seconds of start-up.
 */
/** `recompute --all --as-of D --wait` (D = AS_OF unless given; `full`: every partner, due or not). */
export async function recomputeAll(
  e: BenchEnv,
  options: { asOf?: string; full?: boolean } = {},
): Promise<{ seconds: number; result: unknown }> {
  const asOf = options.asOf ?? AS_OF;
  const waiter = await waitForJobs({ queues: e.queues, settings: { prefix: e.prefix }, connection: e.redis }, 200);
  try {
    const started = performance.now();
    const [job] = await enqueueMany(
      e.queues,
      JOBS.nightlyRun,
      QUEUES.recompute,
      [{ asOf, ...(options.full ? { full: true } : {}) }],
      { jobId: jobKey('nightly', asOf, String(Date.now())) },
    );
    if (!job?.id) throw new Error('the nightly run was not queued');
    const [result] = await waiter.until([{ queue: QUEUES.recompute, id: job.id }]);
    return { seconds: Math.round((performance.now() - started) / 10) / 100, result };
  } finally {
    await waiter.close();
  }
}
