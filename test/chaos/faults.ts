// The faults the harness injects, and the counts it keeps of them.
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { Fleet, Health, Slot } from './processes.ts';

export interface FaultCounts {
  workerKills: number;
  killedAfterCommit: number;
  receiverKills: number;
  redisFreezes: number;
  redisAofRestarts: number;
  redisEmptyRestarts: number;
  ownedAtWipe: number;
  blockedLoops: number;
  pgRounds: number;
  pgTerminated: number;
  smtp: { refusedMs: number; tempfailMs: number };
  /** Seconds until every worker process showed progress again, per Redis fault. */
  recoveries: string[];
  stuck: string[];
}

export const emptyCounts = (): FaultCounts => ({
  workerKills: 0,
  killedAfterCommit: 0,
  receiverKills: 0,
  redisFreezes: 0,
  redisAofRestarts: 0,
  redisEmptyRestarts: 0,
  ownedAtWipe: 0,
  blockedLoops: 0,
  pgRounds: 0,
  pgTerminated: 0,
  smtp: { refusedMs: 0, tempfailMs: 0 },
  recoveries: [],
  stuck: [],
});

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Kills one process, when at most one worker process is down (else does nothing). A worker is killed either from outside (SIGKILL at a random moment) or
 * by its own hook right after its next commit (SIGUSR2 arms TIERLINE_CHAOS_CRASH_AFTER_COMMIT);
 * an armed worker that commits nothing within 4 s is SIGKILLed from outside.
 */
export async function killOne(fleet: Fleet, rnd: () => number, counts: FaultCounts): Promise<void> {
  const now = Date.now();
  // At most two workers down at a time: the others keep the pipeline moving meanwhile.
  const candidates = fleet.workers.filter((s) => s.settled(now));
  if (candidates.length < fleet.workers.length - 1) return;
  const receiver = fleet.slots.find((s) => s.kind === 'receiver');
  if (receiver?.settled(now) && candidates.length === fleet.workers.length && rnd() < 0.1) {
    receiver.signal('SIGKILL');
    counts.receiverKills++;
    await receiver.waitExit(5_000);
    return;
  }
  const slot = candidates[Math.floor(rnd() * candidates.length)] as Slot;
  counts.workerKills++;
  if (rnd() < 0.5) {
    slot.signal('SIGUSR2');
    if (await slot.waitExit(4_000)) {
      counts.killedAfterCommit++;
      return;
    }
  }
  slot.signal('SIGKILL');
  await slot.waitExit(5_000);
}

/**
 * Runs the harness's own query, retried for up to a minute: the shared server may refuse a
 * connection for a while (too many clients), and that is not the system under test failing.
 */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

/** Terminates this database's busy backends (mid-transaction, preferably), never the harness's own. */
export async function terminateBackends(db: Kysely<DB>, database: string, counts: FaultCounts): Promise<void> {
  await retrying(() => terminateOnce(db, database, counts));
}

async function terminateOnce(db: Kysely<DB>, database: string, counts: FaultCounts): Promise<void> {
  const deadline = Date.now() + 3_000;
  for (;;) {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity
      where datname = ${database} and pid <> pg_backend_pid() and application_name <> 'tierline-chaos'
        and state in ('active', 'idle in transaction')`.execute(db);
    if (rows.length > 0 || Date.now() > deadline) {
      counts.pgRounds++;
      for (const { pid } of rows) {
        const { rows: done } = await sql<{ ok: boolean }>`select pg_terminate_backend(${pid}) as ok`.execute(db);
        if (done[0]?.ok) counts.pgTerminated++;
      }
      return;
    }
    await sleep(20);
  }
}

/** Stops a worker's event loop (SIGSTOP) for longer than its job lock, while it holds jobs if possible. */
export async function blockEventLoop(fleet: Fleet, rnd: () => number, ms: number, counts: FaultCounts): Promise<void> {
  const settled = fleet.workers.filter((s) => s.settled());
  let chosen: Slot | undefined;
  for (const slot of settled) {
    const health = await slot.health();
    if (health?.queues?.some((q) => q.active > 0)) chosen ??= slot;
  }
  chosen ??= settled[Math.floor(rnd() * settled.length)];
  if (!chosen) return;
  counts.blockedLoops++;
  chosen.frozen = true;
  chosen.signal('SIGSTOP');
  await sleep(ms);
  chosen.signal('SIGCONT');
  chosen.frozen = false;
}

/** Every queue of the process is ok, and has taken or finished a job within `withinMs` (or has nothing waiting). */
function progressed(health: Health | undefined, withinMs: number): boolean {
  if (!health || health.status !== 200 || !health.queues) return false;
  return health.queues.every(
    (q) => q.state === 'ok' && (q.waiting === 0 || (q.sinceJobMs !== undefined && q.sinceJobMs < withinMs)),
  );
}

/**
 * After Redis comes back: waits until every worker process's /healthz says ok and shows
 * progress (a job taken or finished since Redis returned, or nothing waiting for it).
 */
export async function awaitProgress(
  fleet: Fleet,
  label: string,
  counts: FaultCounts,
  timeoutMs = 90_000,
): Promise<void> {
  const started = Date.now();
  let behind: string[] = [];
  while (Date.now() - started < timeoutMs) {
    behind = [];
    // Processes still starting after a kill have nothing to show yet; the others must.
    const settled = fleet.workers.filter((slot) => slot.settled());
    for (const slot of settled) {
      if (!progressed(await slot.health(), Date.now() - started)) behind.push(slot.name);
    }
    if (settled.length > 0 && behind.length === 0) {
      counts.recoveries.push(`${label} ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await sleep(500);
  }
  counts.stuck.push(`${label}: no progress from ${behind.join(', ')} within ${timeoutMs / 1000} s`);
}
