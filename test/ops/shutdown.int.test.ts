// Issue 6, "Done when": SIGTERM to a running `tierline workers` during load exits 0 within
// the configured timeout, and the jobs in flight complete after a restart with nothing lost.
//
// A few thousand generated events are queued with `ingest FILE` (no --wait); a
// `tierline workers --only ingest,recompute` child (TIERLINE_SHUTDOWN_TIMEOUT_MS set) gets
// SIGTERM while jobs are active. Two ways to stop are checked:
//  - graceful: a timeout long enough for the jobs in hand to finish; they complete before
//    the exit, the rest stays queued;
//  - forced: a timeout too short for them; the worker hands them back (BullMQ close(true)),
//    their transactions roll back, and the restarted worker picks them up once their locks
//    expire (lock 15 s, stall check every 10 s).
// Either way the child exits 0 within the timeout (plus the time to close connections), and
// after a restart everything drains: one inbox row per distinct (source, id), no recompute
// owed, no failed job, a scorecard per partner.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { cliEnv, countRows, withCliEnv } from '../ingest/support.ts';
import { spawnTierline, type ChildWorker } from '../setup/children.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

/**
 * Time the child may take beyond the timeout: closing Redis and Postgres (at most 2 s once
 * jobs were handed back, see scripts/commands/workers.ts) and the process exit.
 */
const CLOSE_SLACK_MS = 4_000;

function spawnWorkers(pipeline: Pipeline, timeoutMs: number): ChildWorker & { exitedAt: Promise<number> } {
  const worker = spawnTierline(['workers', '--only', 'ingest,recompute'], {
    ...cliEnv(pipeline),
    TIERLINE_TODAY: '2026-11-23',
    TIERLINE_SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
    LOG_LEVEL: 'info',
  });
  const exitedAt = new Promise<number>((resolve) => worker.child.once('exit', () => resolve(performance.now())));
  return { ...worker, exitedAt };
}

async function activeJobs(pipeline: Pipeline): Promise<number> {
  const counts = await Promise.all(Object.values(pipeline.queues).map((q) => q.getActiveCount()));
  return counts.reduce((a, b) => a + b, 0);
}

async function queueCounts(pipeline: Pipeline) {
  let pending = 0;
  let active = 0;
  let failed = 0;
  for (const queue of Object.values(pipeline.queues)) {
    const c = await queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'waiting-children',
      'paused',
      'failed',
    );
    pending +=
      (c.waiting ?? 0) +
      (c.active ?? 0) +
      (c.delayed ?? 0) +
      (c.prioritized ?? 0) +
      (c['waiting-children'] ?? 0) +
      (c.paused ?? 0);
    active += c.active ?? 0;
    failed += c.failed ?? 0;
  }
  return { pending, active, failed };
}

describe('workers: graceful shutdown on SIGTERM', () => {
  let pipeline: Pipeline | undefined;
  let dir: string | undefined;
  const children: ChildWorker[] = [];

  afterEach(async () => {
    for (const c of children.splice(0))
      if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await pipeline?.stop();
    pipeline = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function scenario(timeoutMs: number, seed: number) {
    const p = await createPipeline();
    pipeline = p;
    const history = [
      ...generateHistory({ partners: 150, seed, until: '2026-11-23', months: 24, eventsPerPartner: 30 }),
    ];
    const keys = new Set(history.map((e) => `${e.source}\u0000${e.id}`));
    const partners = new Set(history.map((e) => e.partnerId));
    expect(history.length).toBeGreaterThan(3_000);
    dir = await mkdtemp(join(tmpdir(), 'tierline-shutdown-'));
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${history.map((e) => JSON.stringify(e)).join('\n')}\n`);
    await withCliEnv(p, () => runIngest(path, {}));

    const first = spawnWorkers(p, timeoutMs);
    children.push(first);
    // Under load: jobs active, some facts stored, not everything done.
    await pollUntil(
      'the first worker to be busy',
      async () => ((await activeJobs(p)) > 0 && (await countRows(p, 'inbox')) > 0 ? true : undefined),
      30_000,
      5,
    );
    const signalledAt = performance.now();
    first.child.kill('SIGTERM');
    const code = await first.exited;
    const tookMs = (await first.exitedAt) - signalledAt;
    expect(code, first.output()).toBe(0);
    expect(tookMs, first.output()).toBeLessThan(timeoutMs + CLOSE_SLACK_MS);
    expect(first.output()).toMatch(/"msg":"workers stopped"/);
    const afterStop = {
      inbox: await countRows(p, 'inbox'),
      owed: await countRows(p, 'recompute_requests'),
      ...(await queueCounts(p)),
    };
    // There was work left for the restart.
    expect(afterStop.inbox < keys.size || afterStop.owed > 0 || afterStop.pending > 0, JSON.stringify(afterStop)).toBe(
      true,
    );

    const restartedAt = performance.now();
    const second = spawnWorkers(p, 10_000);
    children.push(second);
    const done = await pollUntil(
      'the restarted worker to finish everything',
      async () => {
        const counts = await queueCounts(p);
        if (counts.pending > 0) return undefined;
        if ((await countRows(p, 'recompute_requests')) > 0) return undefined;
        if ((await countRows(p, 'inbox')) !== keys.size) return undefined;
        return counts;
      },
      90_000,
      250,
    );
    const restartMs = performance.now() - restartedAt;
    second.child.kill('SIGTERM');
    expect(await second.exited, second.output()).toBe(0);

    // Nothing lost, nothing failed, nothing applied twice.
    expect(done.failed, second.output()).toBe(0);
    const inbox = await p.database.db.selectFrom('inbox').select(['source', 'event_id']).execute();
    expect(inbox.length).toBe(keys.size);
    expect(new Set(inbox.map((r) => `${r.source}\u0000${r.event_id}`))).toEqual(keys);
    expect(await countRows(p, 'recompute_requests')).toBe(0);
    expect(await countRows(p, 'dead_letters')).toBe(0);
    expect(await countRows(p, 'certifications_earned')).toBe(
      history.filter((e) => e.type === 'certification.earned').length,
    );
    expect(await countRows(p, 'invoices')).toBe(history.filter((e) => e.type === 'invoice.booked').length);
    const scorecards = await p.database.db.selectFrom('scorecards').select(['partner_id', 'as_of']).execute();
    expect(new Set(scorecards.map((s) => s.partner_id))).toEqual(partners);
    expect(new Set(scorecards.map((s) => String(s.as_of)))).toEqual(new Set(['2026-11-23']));
    return { first: first.output(), tookMs, afterStop, restartMs };
  }

  it('lets the jobs in hand finish when the timeout allows, exits 0, and a restart does the rest', async () => {
    const { first, afterStop } = await scenario(20_000, 11);
    expect(first).not.toMatch(/handing them back/);
    // Every job taken was finished before the exit.
    expect(afterStop.active).toBe(0);
  }, 180_000);

  it('hands the jobs in flight back when the timeout is up, exits 0 in time, and a restart completes them', async () => {
    const { first, afterStop, tookMs, restartMs } = await scenario(1, 12);
    expect(first).toMatch(/jobs still running at shutdown; handing them back/);
    // Still marked active in Redis, under a lock nobody renews: the restarted worker's stall
    // check takes them back once it lapses.
    expect(afterStop.active).toBeGreaterThan(0);
    console.info(
      `forced stop: exit ${Math.round(tookMs)} ms after SIGTERM; restart drained in ${Math.round(restartMs)} ms`,
    );
  }, 180_000);
});
