// Whether this process's workers are doing their work, for a worker process's /healthz.
// "Redis answers PING" is not enough: BullMQ workers have had bugs where, after a reconnect,
// they stay "running" and never take another job. So each worker counts the jobs it takes
// and finishes, and the check asks the queue: a worker with jobs waiting for it that has
// taken none and finished none for `stuckAfterMs` (since start, or since Redis came back)
// is stuck. Idle with an empty queue is healthy.
import type { Queue, Worker } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisConnection } from '../queues/connection.ts';

export interface QueueProgress {
  queue: string;
  /** ok: working or idle with nothing waiting; stuck: jobs waiting, nothing taken; stopped: not running. */
  state: 'ok' | 'stuck' | 'stopped' | 'unknown';
  /** Jobs this process is running now. */
  active: number;
  /** Jobs finished (completed or failed) by this process since it started. */
  finished: number;
  /** The same, since Redis (re)connected. */
  finishedSinceReady: number;
  /** Jobs waiting in the queue, when Redis answered. */
  waiting?: number;
  /** Milliseconds since this process last took or finished a job of this queue (or connected). */
  idleMs: number;
  /** Milliseconds since it last took or finished a job; absent before the first. */
  sinceJobMs?: number;
}

interface Tracked {
  worker: Worker;
  queue: string;
  active: number;
  finished: number;
  finishedSinceReady: number;
  last: number;
  lastJob: number | undefined;
}

export class ProgressTracker {
  private readonly tracked: Tracked[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    readonly stuckAfterMs = 30_000,
  ) {}

  /** Follows one worker and the connection it uses. */
  watch(worker: Worker, queue: string, connection: RedisConnection): void {
    const t: Tracked = {
      worker,
      queue,
      active: 0,
      finished: 0,
      finishedSinceReady: 0,
      last: this.now(),
      lastJob: undefined,
    };
    this.tracked.push(t);
    worker.on('active', () => {
      t.active++;
      t.last = t.lastJob = this.now();
    });
    const finished = (): void => {
      t.active = Math.max(0, t.active - 1);
      t.finished++;
      t.finishedSinceReady++;
      t.last = t.lastJob = this.now();
    };
    worker.on('completed', finished);
    worker.on('failed', finished);
    // Back from an outage: the clock of "nothing taken" restarts, and so does the count.
    connection.on('ready', () => {
      t.finishedSinceReady = 0;
      t.last = this.now();
    });
  }

  /**
   * The state of every watched worker; `waiting` counts what its queue holds for it. A count
   * not answered within `timeoutMs` is `unknown`: a host cut off from Redis (packets dropped,
   * no reset) leaves a command unanswered for as long as TCP retransmits, and /healthz must
   * still answer its probe.
   */
  async report(waiting: (queue: string) => Promise<number>, timeoutMs = 1_000): Promise<QueueProgress[]> {
    const now = this.now();
    return Promise.all(
      this.tracked.map(async (t): Promise<QueueProgress> => {
        const base = {
          queue: t.queue,
          active: t.active,
          finished: t.finished,
          finishedSinceReady: t.finishedSinceReady,
          idleMs: now - t.last,
          ...(t.lastJob === undefined ? {} : { sinceJobMs: now - t.lastJob }),
        };
        if (!t.worker.isRunning()) return { ...base, state: 'stopped' };
        let n: number;
        const answered = new AbortController();
        try {
          n = await Promise.race([
            waiting(t.queue),
            sleep(timeoutMs, undefined, { signal: answered.signal }).then(() => {
              throw new Error(`no answer within ${timeoutMs} ms`);
            }),
          ]);
        } catch {
          return { ...base, state: 'unknown' };
        } finally {
          answered.abort();
        }
        const stuck = n > 0 && t.active === 0 && now - t.last > this.stuckAfterMs;
        return { ...base, waiting: n, state: stuck ? 'stuck' : 'ok' };
      }),
    );
  }
}

/** Jobs a worker of `queue` could take now (none while an operator has paused the queue). */
export async function waitingJobs(queue: Queue): Promise<number> {
  if (await queue.isPaused()) return 0;
  const counts = await queue.getJobCounts('waiting', 'prioritized');
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0);
}
