// `e2e`: events through the whole pipeline, one event per ingest job (as the HTTP receiver
// enqueues a single webhook), with an ingest and a recompute worker process.
//
// When is an event's decision committed? The ingest transaction that stores an event also
// upserts its partner's recompute_requests row; a recompute takes that row FOR UPDATE before
// it reads the facts and deletes it (if unchanged) in its own transaction. So the event is
// decided by the first deletion of its partner's row whose requested_at is at or after the
// one its ingest transaction wrote. Bench-only triggers log every write (with the writing
// transaction's id, matched to the inbox row's xmin) and every deletion (clock_timestamp(),
// the last statement before the commit); the latency is that deletion time minus the time
// the producer enqueued the event, both read from this machine's clock.
//
// Throughput: N events enqueued as fast as the producer can (addBulk of 500 one-event
// jobs), from the first enqueue to the last decision. Baseline: the same number of jobs
// with the same payloads through the same Redis to a process whose processor is empty, at
// the ingest worker's concurrency. Latency: events offered at a steady rate (half the
// sustained rate, then 500/s) for a while.
import { sql } from 'kysely';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { closeQueues, enqueueMany, openQueues } from '../../queues/queues.ts';
import { openRedis, queueSettings } from '../../queues/connection.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import {
  AS_OF,
  deleteKeys,
  openEnv,
  recomputeAll,
  sleep,
  spawnChild,
  startWorkers,
  stopAll,
  until,
  type BenchEnv,
} from '../lib/env.ts';
import { latencySummary, round } from '../lib/stats.ts';
import { cpuBetween, cpuMeter, type CpuUse } from '../lib/cpu.ts';

export interface E2eOptions {
  seed: number;
  partners: number;
  historyDealsPerPartner: number;
  events: number;
  phaseSeconds: number;
  fixedRate: number;
  keep: boolean;
  log(line: string): void;
}

type Latency = ReturnType<typeof latencySummary>;

export interface E2eResult {
  eventsPerSec: number;
  baselineNoopJobsPerSec: number;
  latencyMs: Latency;
  offeredRate: number;
  latencyAtFixedRateMs: Latency & { rate: number };
  throughputLatencyMs: Latency;
  /** CPU per event over the throughput phase (bench/lib/cpu.ts): robust to other load, unlike the rates. */
  cpu: CpuUse;
  /** Over the throughput phase: partner recomputes per event, events per ingest transaction. */
  recomputesPerEvent: number;
  eventsPerIngestTransaction: number;
  /** CPU per job of the no-op baseline (its worker, the producer, redis-server). */
  baselineCpu: CpuUse;
  events: number;
  partners: number;
  peakRssByProcessMb: Record<string, number>;
}

const INSTRUMENT = [
  `create table bench_request_writes (partner_id text not null, requested_at timestamptz not null, xid bigint not null)`,
  `create index on bench_request_writes (partner_id, xid)`,
  `create table bench_request_done (partner_id text not null, requested_at timestamptz not null, done_at timestamptz not null)`,
  `create index on bench_request_done (partner_id, requested_at)`,
  `create function bench_log_request() returns trigger language plpgsql as $$
   begin
     if tg_op = 'DELETE' then
       insert into bench_request_done values (old.partner_id, old.requested_at, clock_timestamp());
       return old;
     end if;
     insert into bench_request_writes values (new.partner_id, new.requested_at, pg_current_xact_id()::text::bigint & 4294967295);
     return new;
   end $$`,
  `create trigger bench_log_request after insert or update or delete on ` +
    `recompute_requests for each row execute function bench_log_request()`,
];

/** A deterministic stream of deals closing for random partners. */
function eventFor(seed: number, phase: string, i: number, partners: number): { id: string; raw: string } {
  let h = (seed * 2_654_435_761 + i * 40_503 + phase.length * 97) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  const id = `e2e-${phase}-${i}`;
  const raw = JSON.stringify({
    id,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${AS_OF}T12:00:00Z`,
    partnerId: partnerId(1 + (h % partners)),
    data: {
      dealId: `E-${phase}-${i}`,
      stage: 'closed_won',
      amount: `${1_000 + (h % 49_000)}.00`,
      currency: 'USD',
      customerId: `C-${h % 400}`,
      registeredAt: AS_OF,
      closedAt: AS_OF,
      version: 1,
    },
  });
  return { id, raw };
}

const ingestJob = (raw: string, runId: string) => ({
  events: [{ raw, receivedAt: new Date().toISOString() }],
  origin: 'http' as const,
  runId,
});

async function queueIdle(e: { queues: BenchEnv['queues'] }): Promise<boolean> {
  const counts = await e.queues.crm.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused');
  return Object.values(counts).every((n) => n === 0);
}

/** Offers events at `rate`/s (Infinity: as fast as possible) until `count` have been sent. */
async function offer(
  e: BenchEnv,
  o: E2eOptions,
  phase: string,
  count: number,
  rate: number,
): Promise<Map<string, number>> {
  const enqueued = new Map<string, number>();
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = rate === Infinity ? count : Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > sent) {
      const n = Math.min(500, due - sent);
      const batch = Array.from({ length: n }, (_, k) => eventFor(o.seed, phase, sent + k, o.partners));
      const at = Date.now();
      await enqueueMany(
        e.queues,
        JOBS.ingestEvents,
        QUEUES.crm,
        batch.map((b) => ingestJob(b.raw, `e2e-${phase}`)),
      );
      for (const b of batch) enqueued.set(b.id, at);
      sent += n;
    } else await sleep(2);
  }
  return enqueued;
}

/** Waits for every event of the phase to be decided; returns each one's latency in ms. */
async function decided(
  e: BenchEnv,
  enqueued: Map<string, number>,
): Promise<{ latencies: number[]; lastDoneMs: number; missing: number }> {
  const ids = [...enqueued.keys()];
  await until(async () => {
    const r = await sql<{ stored: string; owed: string }>`
      select (select count(*) from inbox where source = 'crm' and event_id = any(${ids}))::text as stored,
             (select count(*) from recompute_requests)::text as owed`.execute(e.db);
    if (Number(r.rows[0]?.stored) !== ids.length || Number(r.rows[0]?.owed) !== 0) return false;
    // Wake-ups left over (their work already done) would otherwise run into the next phase.
    const left = await e.queues.recompute.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    return Object.values(left).every((n) => n === 0);
  }, 100);
  const rows = await sql<{ event_id: string; done_ms: number | null }>`
    with x as (
      select i.event_id, i.partner_id, i.xmin::text::bigint as xid from inbox i where i.source = 'crm' and i.event_id = any(${ids})),
    w as (
      select x.*, (select min(requested_at) from bench_request_writes w where w.partner_id = x.partner_id and w.xid = x.xid) as req from x)
    select event_id, extract(epoch from (select min(done_at) from bench_request_done d
                                         where d.partner_id = w.partner_id and d.requested_at >= w.req)) * 1000 as done_ms
    from w`.execute(e.db);
  const latencies: number[] = [];
  let lastDoneMs = 0;
  let missing = 0;
  for (const r of rows.rows) {
    const done = r.done_ms === null ? null : Number(r.done_ms);
    if (done === null) {
      missing++;
      continue;
    }
    latencies.push(done - (enqueued.get(r.event_id) ?? done));
    lastDoneMs = Math.max(lastDoneMs, done);
  }
  return { latencies, lastDoneMs, missing };
}

/** Recomputes that cleared a request, and ingest transactions that wrote one, so far. */
async function workCounts(e: BenchEnv): Promise<{ recomputes: number; ingestTransactions: number }> {
  const r = await sql<{ recomputes: string; ingest: string }>`
    select (select count(*) from bench_request_done)::text as recomputes,
           (select count(distinct xid) from bench_request_writes)::text as ingest`.execute(e.db);
  return { recomputes: Number(r.rows[0]?.recomputes), ingestTransactions: Number(r.rows[0]?.ingest) };
}

async function noopBaseline(e: BenchEnv, o: E2eOptions): Promise<{ jobsPerSec: number; cpu: CpuUse }> {
  const prefix = `${e.prefix.slice(0, -1)}-noop}`;
  const env = { ...e.env, TIERLINE_QUEUE_PREFIX: prefix };
  const worker = spawnChild(env, 'noop worker', [process.execPath, '--import', 'tsx', 'bench/noop-worker.ts'], 'pipe');
  await new Promise<void>((resolve, reject) => {
    worker.process.stdout?.on('data', (b: Buffer) => {
      if (b.toString('utf8').includes('workers started')) resolve();
    });
    void worker.exited.then((code) => reject(new Error(`noop worker exited with ${code}`)));
  });
  const settings = { ...queueSettings(env), prefix };
  const redis = openRedis(settings, 'producer');
  await redis.connect();
  const queues = openQueues(redis, prefix);
  const meter = cpuMeter(e.db, e.redis, { 'noop worker': worker.process.pid });
  try {
    const before = await meter.snapshot();
    const started = performance.now();
    for (let sent = 0; sent < o.events; sent += 500) {
      const batch = Array.from({ length: Math.min(500, o.events - sent) }, (_, k) =>
        eventFor(o.seed, 'noop', sent + k, o.partners),
      );
      await enqueueMany(
        queues,
        JOBS.ingestEvents,
        QUEUES.crm,
        batch.map((b) => ingestJob(b.raw, 'e2e-noop')),
      );
    }
    await until(() => queueIdle({ queues }), 5);
    const jobsPerSec = round(o.events / ((performance.now() - started) / 1000), 0);
    return { jobsPerSec, cpu: cpuBetween(before, await meter.snapshot(), o.events) };
  } finally {
    await worker.stop();
    await closeQueues(queues);
    await deleteKeys(redis, prefix);
    await redis.quit();
  }
}

export async function runE2e(o: E2eOptions): Promise<E2eResult> {
  const e = await openEnv('e2e', { keep: o.keep });
  try {
    await writeFacts(e.db, {
      seed: o.seed,
      first: 1,
      last: o.partners,
      dealsPerPartner: o.historyDealsPerPartner,
      certificationsPerPartner: 5,
      invoiceMonths: 12,
      until: AS_OF,
    });
    // eslint-disable-next-line no-restricted-properties -- fixed DDL of the bench-only instrumentation
    for (const s of INSTRUMENT) await sql.raw(s).execute(e.db);
    await sql`analyze`.execute(e.db);
    const workers = await startWorkers(e.env, ['ingest', 'recompute']);
    // Every partner has a scorecard before anything is timed.
    await recomputeAll(e);

    const noop = await noopBaseline(e, o);
    const baselineNoopJobsPerSec = noop.jobsPerSec;
    o.log(`e2e: no-op baseline ${baselineNoopJobsPerSec} jobs/s, ${noop.cpu.totalMsPerUnit} CPU ms/job`);

    const [ingest, recompute] = workers;
    const meter = cpuMeter(e.db, e.redis, { ingest: ingest?.process.pid, recompute: recompute?.process.pid });
    // bench/tools/profile-workers.mjs with PROFILE_ON_SIGNAL=1: profile the throughput phase only.
    const profileSignal = (): void => {
      if (process.env.PROFILE_ON_SIGNAL === '1') for (const w of workers) w.process.kill('SIGUSR2');
    };
    const countsBefore = await workCounts(e);
    profileSignal();
    const before = await meter.snapshot();
    const startMs = Date.now();
    const burst = await decided(e, await offer(e, o, 'burst', o.events, Infinity));
    const cpu = cpuBetween(before, await meter.snapshot(), o.events);
    profileSignal();
    const countsAfter = await workCounts(e);
    const recomputesPerEvent = round((countsAfter.recomputes - countsBefore.recomputes) / o.events, 3);
    const eventsPerIngestTransaction = round(
      o.events / Math.max(1, countsAfter.ingestTransactions - countsBefore.ingestTransactions),
      1,
    );
    const eventsPerSec = round(o.events / ((burst.lastDoneMs - startMs) / 1000), 0);
    o.log(
      `e2e: ${o.events} events in ${round((burst.lastDoneMs - startMs) / 1000, 1)} ` +
        `s: ${eventsPerSec} events/s${burst.missing ? ` (${burst.missing} without a decision)` : ''}` +
        ` (${round(eventsPerSec / baselineNoopJobsPerSec, 2)}× no-op); CPU ms/event ${cpu.totalMsPerUnit}` +
        ` ${JSON.stringify(cpu.msPerUnit)}, Redis calls/event ${cpu.redisCallsPerUnit},` +
        ` recomputes/event ${recomputesPerEvent}, events/ingest transaction ${eventsPerIngestTransaction}`,
    );

    const half = Math.max(1, Math.floor(eventsPerSec / 2));
    const halfRun = await decided(e, await offer(e, o, 'half', Math.ceil(half * o.phaseSeconds), half));
    o.log(`e2e: at ${half} events/s p99 ${latencySummary(halfRun.latencies).p99} ms`);
    const fixed = await decided(e, await offer(e, o, 'fixed', Math.ceil(o.fixedRate * o.phaseSeconds), o.fixedRate));
    o.log(`e2e: at ${o.fixedRate} events/s p99 ${latencySummary(fixed.latencies).p99} ms`);
    const peaks = await stopAll(workers);
    return {
      eventsPerSec,
      baselineNoopJobsPerSec,
      latencyMs: latencySummary(halfRun.latencies),
      offeredRate: half,
      latencyAtFixedRateMs: { rate: o.fixedRate, ...latencySummary(fixed.latencies) },
      throughputLatencyMs: latencySummary(burst.latencies),
      cpu,
      recomputesPerEvent,
      eventsPerIngestTransaction,
      baselineCpu: noop.cpu,
      events: o.events,
      partners: o.partners,
      peakRssByProcessMb: peaks,
    };
  } finally {
    await e.close();
  }
}
