// `npm run bench:capacity [-- --size quick|big] [--dry-run]`: the inputs of the capacity model
// (docs/scaling.md#capacity-model), in CPU seconds rather than wall time so that a shared,
// loaded machine still gives usable figures. Starts a private Postgres (initdb, pg_stat_statements)
// and a private Redis on free ports, loads a seeded population (100 deals, 10 certifications
// and 12 invoices per partner), then runs each worker kind as its own `tierline workers --only`
// process, one at a time, and measures per partner or per event: that process's CPU
// (/proc/PID/stat), the Postgres server's CPU (every backend and background process, exited
// ones included), WAL bytes (pg_current_wal_lsn), statements (pg_stat_statements), Redis
// CPU and commands (INFO cpu / commandstats), and table and index growth. Writes
// bench/out/capacity.json (or --out), and with --results a copy in bench/results/.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import os from 'node:os';
import { Command } from 'commander';
import { sql, type Kysely } from 'kysely';
import { createDb, withDatabase } from '../db/connect.ts';
import type { DB } from '../db/types.ts';
import { dayOrThrow, formatDay } from '../domain/dates.ts';
import { JOBS, QUEUES } from '../queues/catalog.ts';
import { enqueueMany } from '../queues/queues.ts';
import { partnerId, writeFacts } from '../tools/generate/facts-sql.ts';
import { AS_OF, openEnv, recomputeAll, sleep, startWorkers, stopAll, type BenchEnv, type Child } from './lib/env.ts';
import {
  PostgresCpuPoller,
  postgresTreeCpu,
  processCpu,
  redisCommandCalls,
  redisCpu,
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from './lib/meter.ts';
import { capacityOutput, type CapacityOutput, type PhaseCost, type TableSize } from './lib/capacity-schema.ts';
import { round, stopwatch } from './lib/stats.ts';

const SIZES = {
  dry: { partners: 40, dealsPerPartner: 10, httpEvents: 100, batchEvents: 500 },
  quick: { partners: 5_000, dealsPerPartner: 100, httpEvents: 5_000, batchEvents: 20_000 },
  big: { partners: 50_000, dealsPerPartner: 100, httpEvents: 20_000, batchEvents: 100_000 },
} as const;

const opts = new Command('bench:capacity')
  .option('--size <size>', 'quick (a few minutes) or big', 'quick')
  .option('--dry-run', 'a few hundred events: checks the tool, measures nothing')
  .option('--partners <n>', 'partners loaded (quick 5,000, big 50,000)')
  .option('--deals-per-partner <n>', 'deals per partner (100, as 100 M deals / 1 M partners)')
  .option('--http-events <n>', 'ingest: one-event jobs (as the HTTP receiver enqueues)')
  .option('--batch-events <n>', 'ingest: events in 500-event jobs (as `tierline ingest FILE`)')
  .option('--shared-buffers <size>', "the private Postgres' shared_buffers", '512MB')
  .option('--seed <n>', 'data seed', '42')
  .option('--out <file>', 'where the JSON goes', 'bench/out/capacity.json')
  .option('--results', 'also copy the JSON to bench/results/<date>-capacity-<partners>-partners.json')
  .parse()
  .opts<Record<string, string | boolean | undefined>>();

const dry = Boolean(opts.dryRun);
const sizeName = dry ? 'dry' : String(opts.size);
if (!(sizeName in SIZES)) throw new Error(`--size: quick or big, not ${sizeName}`);
const base = SIZES[sizeName as keyof typeof SIZES];
const num = (name: string, fallback: number): number =>
  typeof opts[name] === 'string' && opts[name] !== '' ? Number(opts[name]) : fallback;
const size = {
  partners: num('partners', base.partners),
  dealsPerPartner: num('dealsPerPartner', base.dealsPerPartner),
  httpEvents: num('httpEvents', base.httpEvents),
  batchEvents: num('batchEvents', base.batchEvents),
};
const seed = Number(opts.seed);
const log = (line: string): void => {
  process.stderr.write(`[capacity ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};
const day = (offset: number): string => formatDay(dayOrThrow(AS_OF) + offset);
/** The last nightly day; the later worker processes' today. */
const LAST_NIGHT = day(2);

interface Meters {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  /** The bench's own connection, as role `meter`, so its statements and backends are left out. */
  meter: Kysely<DB>;
}

async function walLsn(m: Meters): Promise<bigint> {
  const r = await sql<{ b: string }>`select (pg_current_wal_lsn() - '0/0'::pg_lsn)::text as b`.execute(m.meter);
  return BigInt(r.rows[0]?.b ?? '0');
}

interface Statement {
  query: string;
  calls: number;
  rows: number;
  totalMs: number;
  walBytes: number;
}

async function statements(m: Meters): Promise<Statement[]> {
  const r = await sql<{ query: string; calls: string; rows: string; total_ms: string; wal_bytes: string }>`
    select s.query, s.calls::text, s.rows::text, s.total_exec_time::text as total_ms, s.wal_bytes::text
    from pg_stat_statements s join pg_roles r on r.oid = s.userid
    where r.rolname <> 'meter' and s.dbid = (select oid from pg_database where datname = current_database())
    order by s.total_exec_time desc`.execute(m.meter);
  return r.rows.map((s) => ({
    query: s.query.replace(/\s+/g, ' ').slice(0, 160),
    calls: Number(s.calls),
    rows: Number(s.rows),
    totalMs: Number(s.total_ms),
    walBytes: Number(s.wal_bytes),
  }));
}

/**
 * Runs `work` and returns what it cost: CPU seconds of the given worker processes, of the
 * Postgres server (less the meter's own backend) and of Redis; WAL bytes; statements; Redis
 * commands. Units: what the costs are divided by (events, partners, ...).
 */
async function measure(
  m: Meters,
  workers: readonly Child[],
  units: () => Promise<Record<string, number>>,
  work: () => Promise<void>,
): Promise<PhaseCost> {
  await sql`select pg_stat_statements_reset()`.execute(m.meter);
  await m.redis.client.config('RESETSTAT');
  const poller = new PostgresCpuPoller(m.pg.pid);
  poller.start();
  const before = {
    workers: workers.map((w) => processCpu(w.process.pid)),
    pg: postgresTreeCpu(m.pg.pid),
    redis: await redisCpu(m.redis.client),
    wal: await walLsn(m),
    load: os.loadavg()[0] ?? 0,
  };
  const wall = stopwatch();
  await work();
  const wallSeconds = wall();
  const workerCpu: Record<string, number> = {};
  workers.forEach((w, i) => (workerCpu[w.label] = round(processCpu(w.process.pid) - (before.workers[i] ?? 0), 3)));
  const pgCpu = postgresTreeCpu(m.pg.pid) - before.pg;
  const byRole = poller.stop();
  const wal = Number((await walLsn(m)) - before.wal);
  const redisCpuSeconds = (await redisCpu(m.redis.client)) - before.redis;
  const commands = await redisCommandCalls(m.redis.client);
  const stmts = await statements(m);
  const u = await units();
  const workerTotal = Object.values(workerCpu).reduce((a, b) => a + b, 0);
  // The meter's own backend (its polls) is not the workers' cost.
  const postgresCpuSeconds = Math.max(0, pgCpu - byRole.meter);
  const per = (x: number, unit: number): number => (unit > 0 ? x / unit : 0);
  const perUnit: PhaseCost['perUnit'] = {};
  for (const [name, n] of Object.entries(u)) {
    if (n <= 0) continue;
    perUnit[name] = {
      workerCpuMs: round(per(workerTotal * 1000, n), 4),
      postgresCpuMs: round(per(postgresCpuSeconds * 1000, n), 4),
      redisCpuMs: round(per(redisCpuSeconds * 1000, n), 4),
      walBytes: Math.round(per(wal, n)),
      statements: round(
        per(
          stmts.reduce((a, s) => a + s.calls, 0),
          n,
        ),
        2,
      ),
      redisCommands: round(
        per(
          Object.values(commands).reduce((a, c) => a + c, 0),
          n,
        ),
        2,
      ),
      perCoreWorker: workerTotal > 0 ? Math.round(n / workerTotal) : 0,
      perCorePostgres: postgresCpuSeconds > 0 ? Math.round(n / postgresCpuSeconds) : 0,
    };
  }
  return {
    units: u,
    wallSeconds: round(wallSeconds, 2),
    loadAverage: { start: round(before.load, 2), end: round(os.loadavg()[0] ?? 0, 2) },
    workerCpuSeconds: workerCpu,
    postgresCpuSeconds: round(postgresCpuSeconds, 3),
    postgresCpuByRole: {
      client: round(byRole.client, 3),
      autovacuum: round(byRole.autovacuum, 3),
      background: round(byRole.background, 3),
    },
    redisCpuSeconds: round(redisCpuSeconds, 3),
    walBytes: wal,
    statementCalls: stmts.reduce((a, s) => a + s.calls, 0),
    topStatements: stmts.slice(0, 8).map((s) => ({ ...s, totalMs: round(s.totalMs, 1) })),
    redisCommands: Object.fromEntries(
      Object.entries(commands)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15),
    ),
    perUnit,
  };
}

async function tableSizes(m: Meters): Promise<Record<string, TableSize>> {
  await sql`analyze`.execute(m.meter);
  const r = await sql<{ name: string; heap: string; indexes: string; total: string }>`
    select c.relname as name, pg_relation_size(c.oid)::text as heap, pg_indexes_size(c.oid)::text as indexes,
           pg_total_relation_size(c.oid)::text as total
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind = 'r' order by pg_total_relation_size(c.oid) desc`.execute(m.meter);
  const out: Record<string, TableSize> = {};
  for (const t of r.rows) {
    if (t.name.startsWith('kysely_')) continue;
    const rows = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(t.name)}`.execute(m.meter);
    out[t.name] = {
      rows: Number(rows.rows[0]?.n ?? 0),
      heapBytes: Number(t.heap),
      indexBytes: Number(t.indexes),
      toastBytes: Number(t.total) - Number(t.heap) - Number(t.indexes),
    };
  }
  return out;
}

/** Every index of the fact and derived tables: size and B-tree depth (pageinspect's bt_metap level + 1). */
async function indexSizes(m: Meters): Promise<Record<string, { bytes: number; levels: number | null }>> {
  const r = await sql<{ name: string; bytes: string; am: string }>`
    select i.relname as name, pg_relation_size(i.oid)::text as bytes, a.amname as am
    from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace join pg_am a on a.oid = i.relam
    where n.nspname = 'public' order by pg_relation_size(i.oid) desc limit 40`.execute(m.meter);
  const out: Record<string, { bytes: number; levels: number | null }> = {};
  for (const i of r.rows) {
    let levels: number | null = null;
    if (i.am === 'btree') {
      try {
        const meta = await sql<{ level: number }>`select level from bt_metap(${i.name})`.execute(m.meter);
        levels = Number(meta.rows[0]?.level ?? 0) + 1;
      } catch {
        levels = null;
      }
    }
    out[i.name] = { bytes: Number(i.bytes), levels };
  }
  return out;
}

/**
 * Shared buffers (hits and reads) one partner's fact rows cost when read as a recompute reads
 * them, partner by partner (a subplan per partner, as the fact read in
 * db/repositories/recompute.ts), over a chunk of 500: about one heap page per row when a
 * partner's rows are spread over the table, a few when they are clustered.
 */
async function chunkReadBuffers(m: Meters): Promise<Record<string, number>> {
  const chunk = Array.from({ length: Math.min(500, size.partners) }, (_, i) => partnerId(i + 1));
  const out: Record<string, number> = {};
  for (const [table, column] of [
    ['deals', 'amount'],
    ['certifications_earned', 'earned_at'],
    ['invoices', 'amount'],
  ] as const) {
    const r = await sql<{ 'QUERY PLAN': unknown }>`
      explain (analyze, buffers, format json)
      select (select count(${sql.ref(`t.${column}`)}) from ${sql.table(table)} t where t.partner_id = w.id)
      from unnest(${chunk}::text[]) as w(id)`.execute(m.meter);
    const plan = (r.rows[0]?.['QUERY PLAN'] as [{ Plan: Record<string, number> }])[0].Plan;
    out[table] = round(((plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0)) / chunk.length, 2);
  }
  return out;
}

async function count(m: Meters, query: ReturnType<typeof sql<{ n: string }>>): Promise<number> {
  const r = await query.execute(m.meter);
  return Number(r.rows[0]?.n ?? 0);
}

/** Every `every`th partner gets a new closed deal on `onDay` and owes a recompute from it (as an ingest batch leaves them). */
async function changeSome(e: BenchEnv, every: number, onDay: string): Promise<number> {
  const r = await sql<{ n: string }>`
    with changed as (select 'P-' || lpad(p::text, 6, '0') as partner_id, p
                     from generate_series(${every}::int, ${size.partners}::int, ${every}::int) p),
    deals as (
      insert into deals (partner_id, deal_id, version, stage, amount, currency, customer_id, registered_at, closed_at,
                         source, event_id)
      select partner_id, 'D-cap-' || ${onDay}, 1, 'closed_won', 25000, 'USD', 'C-cap', ${onDay}::date, ${onDay}::date,
             'crm', 'crm-cap-' || ${onDay} || '-' || p
      from changed returning partner_id)
    insert into recompute_requests (partner_id, from_day, trigger_event_ids, requested_at)
    select partner_id, ${onDay}::date, array['crm:crm-cap'], clock_timestamp() from deals
    on conflict (partner_id) do update set from_day = least(recompute_requests.from_day, excluded.from_day),
      requested_at = excluded.requested_at
    returning (select count(*) from changed)::text as n`.execute(e.db);
  return Number(r.rows[0]?.n ?? 0);
}

/** A deal closing on `onDay` for a pseudo-random partner (deterministic in seed, phase, i). */
function dealEvent(phase: string, i: number, onDay: string): string {
  let h = (seed * 2_654_435_761 + i * 40_503 + phase.length * 97) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return JSON.stringify({
    id: `cap-${phase}-${i}`,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${onDay}T12:00:00Z`,
    partnerId: partnerId(1 + (h % size.partners)),
    data: {
      dealId: `CAP-${phase}-${i}`,
      stage: 'closed_won',
      amount: `${1_000 + (h % 49_000)}.00`,
      currency: 'USD',
      customerId: `C-${h % 400}`,
      registeredAt: onDay,
      closedAt: onDay,
      version: 1,
    },
  });
}

/** Enqueues `events` deal closings, `perJob` to an ingest job, as fast as the producer can. */
async function offer(e: BenchEnv, phase: string, events: number, perJob: number): Promise<void> {
  const receivedAt = new Date().toISOString();
  for (let sent = 0; sent < events;) {
    const jobs = [];
    for (let j = 0; j < 500 && sent < events; j++) {
      const n = Math.min(perJob, events - sent);
      jobs.push({
        events: Array.from({ length: n }, (_, k) => ({ raw: dealEvent(phase, sent + k, LAST_NIGHT), receivedAt })),
        origin: perJob === 1 ? ('http' as const) : ('file' as const),
        runId: `cap-${phase}`,
      });
      sent += n;
    }
    await enqueueMany(e.queues, JOBS.ingestEvents, QUEUES.crm, jobs);
  }
}

async function until(done: () => Promise<boolean>, what: string, timeoutMs = 3_600_000): Promise<void> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

async function queueIdle(e: BenchEnv, queue: 'crm' | 'recompute'): Promise<boolean> {
  const counts = await e.queues[queue].getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
  return Object.values(counts).every((n) => n === 0);
}

const commit = ((): string => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

const startedAt = new Date().toISOString();
const loadAtStart = round(os.loadavg()[0] ?? 0, 2);
const total = stopwatch();
log(`size ${sizeName}: ${JSON.stringify(size)}; load average ${loadAtStart}`);

const pg = await startPrivatePostgres({
  shared_buffers: String(opts.sharedBuffers),
  max_wal_size: "'4GB'",
  checkpoint_timeout: "'15min'",
});
let redis: PrivateRedis | undefined;
let e: BenchEnv | undefined;
let meter: Kysely<DB> | undefined;
let workers: Child[] = [];
try {
  redis = await startPrivateRedis();
  log(`private Postgres on ${pg.port} (pid ${pg.pid}), Redis at ${redis.url}`);
  process.env.DATABASE_URL = pg.url;
  process.env.REDIS_URL = redis.url;
  delete process.env.REDIS_CLUSTER;
  e = await openEnv('capacity', { keep: true });
  const env = e.env;
  for (const statement of [
    sql`create extension if not exists pg_stat_statements`,
    sql`create extension if not exists pageinspect`,
    sql`create role meter login superuser`,
  ])
    await statement.execute(e.db);
  const meterUrl = new URL(withDatabase(pg.url, e.name));
  meterUrl.username = 'meter';
  meter = createDb(meterUrl.toString(), { max: 1 });
  const m: Meters = { pg, redis, meter };

  const watch = stopwatch();
  const loaded = await writeFacts(e.db, {
    seed,
    first: 1,
    last: size.partners,
    dealsPerPartner: size.dealsPerPartner,
    certificationsPerPartner: 10,
    invoiceMonths: 12,
    until: AS_OF,
  });
  await sql`vacuum analyze`.execute(e.db);
  log(`loaded ${JSON.stringify(loaded)} in ${round(watch(), 1)} s`);
  const sizesAfterLoad = await tableSizes(m);

  const phases: Record<string, PhaseCost> = {};
  const nightly = async (label: string, options: { asOf?: string; full?: boolean }): Promise<void> => {
    let result: { partners?: number; advanced?: number; notifications?: number } = {};
    phases[label] = await measure(
      m,
      workers,
      async () => ({
        partners: size.partners,
        recomputed: result.partners ?? 0,
        advanced: result.advanced ?? 0,
      }),
      async () => {
        result = (await recomputeAll(e as BenchEnv, options)).result as typeof result;
      },
    );
    log(`${label}: ${JSON.stringify(result)} ${JSON.stringify(phases[label]?.perUnit.partners)}`);
  };

  // Nightly chunks: one recompute process (its own today is irrelevant: the runs name their day).
  workers = await startWorkers(env, ['recompute']);
  await nightly('nightlyFirst', {});
  const sizesAfterFirst = await tableSizes(m);
  await nightly('nightlyFull', { full: true });
  await nightly('nightlyQuiet', { asOf: day(1) });
  const changed = await changeSome(e, size.partners >= 1_000 ? 100 : 10, day(2));
  await nightly('nightlySteady', { asOf: day(2) });
  log(`steady night: ${changed} partners had a new deal`);
  await stopAll(workers);
  workers = [];
  const sizesAfterNightly = await tableSizes(m);

  // Ingest alone: the wake-up jobs it queues wait for the next phase.
  const lateEnv = { ...env, TIERLINE_TODAY: LAST_NIGHT };
  const inboxCount = async (phase: string): Promise<number> =>
    count(m, sql<{ n: string }>`select count(*)::text as n from inbox where event_id like ${`cap-${phase}-%`}`);
  const ingest = async (label: string, phase: string, events: number, perJob: number): Promise<void> => {
    phases[label] = await measure(
      m,
      workers,
      async () => ({ events: await inboxCount(phase), jobs: Math.ceil(events / perJob) }),
      async () => {
        await offer(e as BenchEnv, phase, events, perJob);
        await until(async () => (await inboxCount(phase)) >= events && (await queueIdle(e as BenchEnv, 'crm')), label);
      },
    );
    log(`${label}: ${JSON.stringify(phases[label]?.perUnit.events)}`);
  };
  workers = await startWorkers(lateEnv, ['ingest']);
  await ingest('ingestHttp', 'http', size.httpEvents, 1);
  await ingest('ingestBatch', 'batch', size.batchEvents, 500);
  await stopAll(workers);
  workers = [];
  const sizesAfterIngest = await tableSizes(m);

  // Recompute wake-ups: drains what the ingest phases left owing.
  const owed = await count(m, sql<{ n: string }>`select count(*)::text as n from recompute_requests`);
  const outboxBefore = await count(m, sql<{ n: string }>`select count(*)::text as n from outbox`);
  workers = await startWorkers(lateEnv, ['recompute']);
  phases.wakes = await measure(
    m,
    workers,
    async () => ({ events: size.httpEvents + size.batchEvents, partners: owed }),
    async () => {
      await until(
        async () =>
          (await count(m, sql<{ n: string }>`select count(*)::text as n from recompute_requests`)) === 0 &&
          (await queueIdle(e as BenchEnv, 'recompute')),
        'wake-ups',
      );
    },
  );
  log(`wakes: ${owed} partners ${JSON.stringify(phases.wakes.perUnit.partners)}`);
  await stopAll(workers);
  workers = [];

  // The notifier: every notification still pending (from the nightly runs and the wake-ups).
  const unsent = sql<{ n: string }>`select count(*)::text as n from outbox where status in ('pending', 'claimed')`;
  const pending = await count(m, unsent);
  const outboxAfter = await count(m, sql<{ n: string }>`select count(*)::text as n from outbox`);
  workers = await startWorkers(
    {
      ...lateEnv,
      TIERLINE_MAIL_PER_SECOND: '100000',
      TIERLINE_MAIL_PER_PARTNER_PER_DAY: '1000',
      TIERLINE_MAIL_SETTLE_SECONDS: '0',
      TIERLINE_MAIL_POLL_MS: '200',
    },
    ['notifier'],
  );
  phases.notifier = await measure(
    m,
    workers,
    async () => ({ notifications: pending - (await count(m, unsent)) }),
    async () => {
      // Until none is left, or none has moved for 15 s (rows a cap or a settle time holds back).
      let last = -1;
      let still = Date.now();
      await until(async () => {
        const left = await count(m, unsent);
        if (left !== last) [last, still] = [left, Date.now()];
        return left === 0 || Date.now() - still > 15_000;
      }, 'the notifier');
    },
  );
  log(`notifier: ${pending} pending ${JSON.stringify(phases.notifier.perUnit.notifications)}`);
  await stopAll(workers);
  workers = [];

  const output: CapacityOutput = {
    tool: 'bench/capacity.ts',
    size: sizeName,
    dryRun: dry,
    startedAt,
    commit,
    seconds: round(total(), 1),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      postgres: (await sql<{ v: string }>`select version() as v`.execute(meter)).rows[0]?.v ?? '',
      redis: (/^redis_version:(\S+)/m.exec(await redis.client.info('server'))?.[1] ?? '').trim(),
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: round(os.loadavg()[0] ?? 0, 2),
    },
    postgresSettings: pg.settings,
    population: {
      ...loaded,
      dealsPerPartner: size.dealsPerPartner,
      httpEvents: size.httpEvents,
      batchEvents: size.batchEvents,
      steadyChangedPartners: changed,
      wakePartners: owed,
      outboxRowsFromWakes: outboxAfter - outboxBefore,
      notificationsPending: pending,
    },
    phases: phases as CapacityOutput['phases'],
    sizes: {
      afterLoad: sizesAfterLoad,
      afterFirstNightly: sizesAfterFirst,
      afterNightlies: sizesAfterNightly,
      afterIngest: sizesAfterIngest,
    },
    indexes: await indexSizes(m),
    chunkReadBuffersPerPartner: await chunkReadBuffers(m),
  };
  const checked = capacityOutput.safeParse(output);
  if (!checked.success) throw new Error(`the output does not have the promised shape: ${checked.error.message}`);
  const out = String(opts.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(output, null, 2)}\n`);
  if (opts.results && !dry) {
    const copy = `bench/results/${startedAt.slice(0, 10)}-capacity-${size.partners}-partners.json`;
    copyFileSync(out, copy);
    log(`copied to ${copy}`);
  }
  printSummary(output);
  console.log(
    `\n${out} · ${output.seconds} s · load average ${output.machine.loadAverageAtStart} → ` +
      `${output.machine.loadAverageAtEnd} on ${output.machine.cpus} CPUs${dry ? ' · dry run: figures mean nothing' : ''}`,
  );
} finally {
  if (workers.length > 0) await stopAll(workers).catch(() => {});
  await meter?.destroy().catch(() => {});
  await e?.close().catch(() => {});
  if (e) rmSync(`/tmp/${e.name}-outbox`, { recursive: true, force: true });
  await redis?.stop().catch(() => {});
  await pg.stop();
}

function printSummary(o: CapacityOutput): void {
  const rows: [string, string, PhaseCost['perUnit'][string] | undefined][] = [
    ['nightly, first run after the load', 'partner', o.phases.nightlyFirst?.perUnit.partners],
    ['nightly --full', 'partner', o.phases.nightlyFull?.perUnit.partners],
    ['nightly, quiet night (D+1)', 'partner', o.phases.nightlyQuiet?.perUnit.partners],
    ['nightly, 1% changed (D+2)', 'partner', o.phases.nightlySteady?.perUnit.partners],
    ['ingest, one event per job', 'event', o.phases.ingestHttp?.perUnit.events],
    ['ingest, 500 events per job', 'event', o.phases.ingestBatch?.perUnit.events],
    ['recompute wake-ups', 'event', o.phases.wakes?.perUnit.events],
    ['recompute wake-ups', 'partner', o.phases.wakes?.perUnit.partners],
    ['notifier', 'notification', o.phases.notifier?.perUnit.notifications],
  ];
  console.log(
    '\nworker kind | per | worker CPU ms | per core/s | Postgres CPU ms | WAL bytes | statements | Redis CPU ms | Redis cmds',
  );
  for (const [name, unit, c] of rows) {
    if (!c) continue;
    console.log(
      `${name} | ${unit} | ${c.workerCpuMs} | ${c.perCoreWorker} | ${c.postgresCpuMs} | ${c.walBytes} | ${c.statements} | ${c.redisCpuMs} | ${c.redisCommands}`,
    );
  }
}
