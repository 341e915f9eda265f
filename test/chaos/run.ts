// `npm run test:chaos`: the whole pipeline as separate processes (receiver and four worker
// processes) on a private Redis (AOF) and a fresh database, fed a generated history of over
// 50,000 events through signed webhooks while faults are injected: worker SIGKILLs (also
// right after a commit), Redis frozen beyond the workers' blocking wait, Redis restarted
// with its AOF and once empty, a worker's event loop stopped beyond its job lock, Postgres
// backends terminated mid-transaction, the SMTP server refusing, then answering 4xx. Once
// drained it checks the results against `tierline evaluate` (verify.ts), prints a summary
// and exits 1 on any mismatch. Options: --seed N (data), --fault-seed N, --partners N,
// --events-per-partner N, --rate N (events/s), --keep (keep logs and database), --cluster.
//
// --cluster (or CHAOS_REDIS=cluster): the same pipeline and faults on a private Redis Cluster
// of 3 masters + 3 replicas (cluster-redis.ts) instead of one redis-server. The single-server
// Redis faults become cluster faults on the master holding the queues' slot: the freeze is a
// SIGSTOP of that master beyond the node timeout (its replica is promoted meanwhile), the AOF
// restart a SIGKILL of it (replica promoted; the killed node started again later as a
// replica), and the empty restart a second master SIGKILL while the recompute wake-ups pile up.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { databaseUrl } from '../../config/urls.ts';
import { createDb, maintenanceClient, withDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { storeProgramVersions } from '../../services/programs.ts';
import type { DB } from '../../db/types.ts';
import { QUEUES } from '../../queues/catalog.ts';
import { openRedis, type QueueSettings } from '../../queues/connection.ts';
import { closeQueues, openQueues, type Queues } from '../../queues/queues.ts';
import { readProgramFiles } from '../../scripts/lib/program-files.ts';
import { WORKER_SETTINGS } from '../../workers/runner.ts';
import {
  awaitProgress,
  blockEventLoop,
  emptyCounts,
  killOne,
  retrying,
  sleep,
  terminateBackends,
  type FaultCounts,
} from './faults.ts';
import { buildFeed, sendAll, type SendStats, type Source } from './feed.ts';
import { Fleet } from './processes.ts';
import { ChaosRedis } from './redis.ts';
import { ChaosCluster } from './cluster-redis.ts';
import { ChaosSmtp, type SmtpMode } from './smtp.ts';
import { sample, verify, type Check } from './verify.ts';
import { prng } from '../setup/prng.ts';
import { pollUntil } from '../setup/wait.ts';

const TODAY = '2026-11-23';
const MIN_KILLS = 24;
const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '8' },
    'fault-seed': { type: 'string' },
    partners: { type: 'string', default: '540' },
    'events-per-partner': { type: 'string', default: '86' },
    rate: { type: 'string', default: '450' },
    keep: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: process.env.CHAOS_REDIS === 'cluster' },
  },
});
const clusterMode = args.cluster === true;
const cpus = availableParallelism();
const PREFIX = '{chaos}';
const load = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const seed = Number(args.seed);
const faultSeed = args['fault-seed'] !== undefined ? Number(args['fault-seed']) : Math.floor(Math.random() * 1_000_000);
const rnd = prng(faultSeed);
const jitter = (ms: number, spread: number): number => ms + Math.floor((rnd() * 2 - 1) * spread);
const fmt = (n: number): string => n.toLocaleString('en-US');
const say = (line: string): void => console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'tierline-chaos-'));
const logDir = join(work, 'logs');
mkdirSync(logDir, { recursive: true });

const serverUrl = databaseUrl();
const database = `tierline_chaos_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbUrl = withDatabase(serverUrl, database);
const cleanups: Array<() => Promise<void>> = [];
let exitCode = 1;

async function createDatabase(): Promise<void> {
  const client = await maintenanceClient(serverUrl);
  try {
    await client.query(`create database ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
  cleanups.push(async () => {
    if (args.keep) return;
    const c = await maintenanceClient(serverUrl);
    try {
      await c.query(`drop database if exists ${pg.escapeIdentifier(database)} with (force)`);
    } finally {
      await c.end();
    }
  });
}

/** Nothing left to do: no ingest job, no recompute job (but the schedules'), nothing owed, no email unsent. */
async function drained(queues: Queues, db: Kysely<DB>): Promise<string | undefined> {
  for (const name of [QUEUES.crm, QUEUES.lms, QUEUES.erp]) {
    const c = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused');
    if (Object.values(c).some((n) => n > 0)) return `${name} ${JSON.stringify(c)}`;
  }
  const c = await queues.recompute.getJobCounts('waiting', 'active', 'prioritized', 'waiting-children', 'paused');
  if (Object.values(c).some((n) => n > 0)) return `recompute ${JSON.stringify(c)}`;
  const delayed = (await queues.recompute.getDelayed()).filter(
    (j) => j.name !== 'reconcile' && j.name !== 'nightly-run',
  );
  if (delayed.length > 0) return `recompute delayed ${delayed.length}`;
  const { rows } = await sql<{ owed: string; unsent: string }>`
    select (select count(*) from recompute_requests)::text as owed,
           (select count(*) from outbox where status in ('pending', 'claimed'))::text as unsent`.execute(db);
  const owed = Number(rows[0]?.owed);
  const unsent = Number(rows[0]?.unsent);
  return owed > 0 || unsent > 0 ? `${owed} recomputes owed, ${unsent} emails unsent` : undefined;
}

/** What is left on the ingest queues (undefined: nothing). */
async function ingestLeft(queues: Queues): Promise<string | undefined> {
  for (const name of [QUEUES.crm, QUEUES.lms, QUEUES.erp]) {
    const c = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(c).some((n) => n > 0)) return `${name} ${JSON.stringify(c)}`;
  }
  return undefined;
}

function logLines(pattern: RegExp): string[] {
  return readdirSync(logDir).flatMap((file) =>
    readFileSync(join(logDir, file), 'utf8')
      .split('\n')
      .filter((l) => pattern.test(l)),
  );
}

/** The sum of a numeric field over log lines matching `pattern`. */
function logSum(pattern: RegExp, field: string): number {
  return logLines(pattern).reduce((n, l) => n + (Number(new RegExp(`"${field}":(\\d+)`).exec(l)?.[1]) || 0), 0);
}

async function main(): Promise<void> {
  say(
    `data seed ${seed}, fault seed ${faultSeed}, ${clusterMode ? 'Redis Cluster 3+3' : 'one redis-server'}, work dir ${work}, load ${load()}`,
  );
  const loadAtStart = load();
  const single = clusterMode ? undefined : await ChaosRedis.start(work);
  const cluster = clusterMode ? await ChaosCluster.start(PREFIX) : undefined;
  const redis = (single ?? cluster) as { url: string; stop(): Promise<void> };
  cleanups.push(() => redis.stop());
  if (cluster) say(`redis cluster up; the queues' slot is on master ${cluster.queueMaster()}`);
  const smtp = new ChaosSmtp();
  await smtp.start('accept');
  cleanups.push(() => smtp.close());
  await createDatabase();
  const setup = createDb(dbUrl, { max: 2 });
  await migrateToLatest(setup);
  const program = await readProgramFiles(['examples/acme/program.json']);
  await setup.transaction().execute(async (trx) => {
    const stored = await storeProgramVersions(
      trx,
      program.versions.map((v) => v.program),
    );
    if (!stored.ok) throw new Error(stored.problems.join('; '));
  });
  await setup.destroy();
  const harnessUrl = new URL(dbUrl);
  harnessUrl.searchParams.set('application_name', 'tierline-chaos');
  const db = createDb(harnessUrl.toString(), { max: 4 });
  cleanups.push(() => db.destroy());

  const feed = buildFeed({
    seed,
    partners: Number(args.partners),
    eventsPerPartner: Number(args['events-per-partner']),
    today: TODAY,
    program,
  });
  say(
    `feed: ${fmt(feed.counts.sent)} events in ${fmt(feed.counts.bodies)} bodies (${fmt(feed.counts.distinctValid)} distinct valid, ${fmt(feed.counts.duplicates)} duplicates, ${fmt(feed.counts.invalid)} invalid)`,
  );

  const settings: QueueSettings = { url: redis.url, prefix: PREFIX, cluster: clusterMode };
  const secrets: Record<Source, string> = {
    crm: randomBytes(16).toString('hex'),
    lms: randomBytes(16).toString('hex'),
    erp: randomBytes(16).toString('hex'),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    REDIS_URL: redis.url,
    // On the cluster, events are acknowledged only once a replica holds them (issue 20).
    ...(clusterMode ? { REDIS_CLUSTER: '1', REDIS_ACK_REPLICAS: '1', REDIS_ACK_TIMEOUT_MS: '5000' } : {}),
    TIERLINE_QUEUE_PREFIX: settings.prefix,
    TIERLINE_TODAY: TODAY,
    TIERLINE_SECRET_CRM: secrets.crm,
    TIERLINE_SECRET_LMS: secrets.lms,
    TIERLINE_SECRET_ERP: secrets.erp,
    SMTP_URL: smtp.url,
    TIERLINE_UNSUBSCRIBE_SECRET: randomBytes(16).toString('hex'),
    TIERLINE_MAIL_PER_PARTNER_PER_DAY: '1000',
    TIERLINE_MAIL_PER_SECOND: '500',
    TIERLINE_MAIL_RETRY_BASE_MS: '1000',
    TIERLINE_MAIL_RETRY_MAX_MS: '5000',
    TIERLINE_MAIL_MAX_ATTEMPTS: '100000',
    TIERLINE_SMTP_TIMEOUT_MS: '5000',
    TIERLINE_MAIL_CLAIM_TIMEOUT_MS: '20000',
    // Long enough for most intermediate states of the shuffled feed to be undone before their
    // emails are due, short enough that emails meet the SMTP faults (refused, then 4xx).
    TIERLINE_MAIL_SETTLE_SECONDS: '45',
    TIERLINE_RECONCILE_EVERY_MS: '5000',
    TIERLINE_SHUTDOWN_TIMEOUT_MS: '5000',
    TIERLINE_CHAOS_CRASH_AFTER_COMMIT: '1',
    LOG_LEVEL: 'info',
  };
  delete env.TIERLINE_METRICS_PORT;
  const fleet = new Fleet(env, logDir);
  cleanups.push(() => fleet.stop());
  const receiver = await fleet.add('receiver', 'receiver', (port) => ['serve', '--port', String(port)]);
  const roles = ['ingest,recompute', 'ingest,recompute', 'ingest,recompute,scheduler', 'recompute,notifier,scheduler'];
  for (const [i, r] of roles.entries())
    await fleet.add(`worker-${i + 1}`, 'worker', (port) => ['workers', '--only', r, '--metrics-port', String(port)]);
  await fleet.waitReady();
  say(`receiver and ${roles.length} worker processes ready`);

  const producer = openRedis(settings, 'producer');
  producer.on('error', () => {});
  const queues = openQueues(producer, settings.prefix);
  cleanups.push(async () => {
    await closeQueues(queues).catch(() => {});
    producer.disconnect();
  });

  const counts: FaultCounts = emptyCounts();
  const stats: SendStats = { posted: 0, retries: 0, events: 0 };
  const base = `http://127.0.0.1:${receiver.port}`;
  const rate = Number(args.rate);
  let feeding = true;
  const send = (bodies: typeof feed.main) =>
    sendAll(bodies, { base, secrets, rate, concurrency: 4, stats, stopped: () => !feeding });

  // Worker kills every 3–6 s (once the last one killed is back) until the feed is done and enough have happened.
  let killing = true;
  const kills = (async () => {
    await sleep(4_000);
    while (killing) {
      const before = counts.workerKills + counts.receiverKills;
      await killOne(fleet, rnd, counts);
      await sleep(counts.workerKills + counts.receiverKills > before ? jitter(4_500, 1_500) : 250);
    }
  })();

  let smtpSince = Date.now();
  let smtpMode: SmtpMode = 'refuse';
  const setSmtp = async (mode: SmtpMode): Promise<void> => {
    const now = Date.now();
    if (smtpMode === 'refuse') counts.smtp.refusedMs += now - smtpSince;
    if (smtpMode === 'tempfail') counts.smtp.tempfailMs += now - smtpSince;
    smtpMode = mode;
    smtpSince = now;
    await smtp.set(mode);
    say(`smtp: ${mode}`);
  };
  await setSmtp('refuse');

  const t0 = Date.now();
  const at = async (ms: number): Promise<void> => sleep(Math.max(0, t0 + ms - Date.now()));
  const mainFeed = send(feed.main);
  mainFeed.catch(() => {});
  const freezeMs = 12_000;
  const blockMs = WORKER_SETTINGS.lockDuration + WORKER_SETTINGS.stalledInterval + 5_000;
  const timeline = (async () => {
    await at(jitter(18_000, 4_000));
    await terminateBackends(db, database, counts);
    await at(jitter(28_000, 4_000));
    if (cluster) {
      say(`redis cluster: the queues' master frozen for ${freezeMs / 1000} s (SIGSTOP, node timeout 2 s)`);
      const { frozen, master } = await cluster.freezeMaster(freezeMs);
      counts.redisFreezes++;
      say(`redis cluster: ${master} promoted while ${frozen} was frozen; ${frozen} thawed, now its replica`);
    } else {
      say(`redis: frozen for ${freezeMs / 1000} s (SIGSTOP)`);
      single?.freeze();
      counts.redisFreezes++;
      await sleep(freezeMs);
      single?.thaw();
    }
    await awaitProgress(fleet, 'after freeze', counts);
    await at(jitter(50_000, 4_000));
    await setSmtp('tempfail');
    await at(jitter(58_000, 4_000));
    if (cluster) {
      const { killed, master } = await cluster.killMaster();
      say(`redis cluster: master ${killed} SIGKILLed mid-run; ${master} promoted`);
      await awaitProgress(fleet, 'after master kill', counts);
      await cluster.restart(killed);
      say(`redis cluster: ${killed} started again, a synced replica`);
    } else {
      say('redis: SIGKILL, down 7 s, restarted with its AOF');
      await single?.restartWithAof(7_000);
      counts.redisAofRestarts++;
      await awaitProgress(fleet, 'after AOF restart', counts);
    }
    await at(jitter(72_000, 4_000));
    await terminateBackends(db, database, counts);
    await at(jitter(80_000, 4_000));
    say(`worker event loop stopped for ${blockMs / 1000} s (SIGSTOP, lock ${WORKER_SETTINGS.lockDuration / 1000} s)`);
    await blockEventLoop(fleet, rnd, blockMs, counts);
    await at(jitter(100_000, 3_000));
    await setSmtp('accept');
    await terminateBackends(db, database, counts);
  })();
  await Promise.all([mainFeed, timeline]);
  // Wake-ups pile up in Redis (the queue paused) while ingest drains: the wipe then loses
  // them, and only Postgres (recompute_requests) still knows the work is owed.
  await queues.recompute.pause();
  say(
    `main feed accepted (${fmt(stats.events)} events, ${fmt(stats.retries)} retried posts); recompute queue paused, waiting for the ingest queues to empty`,
  );

  let ingestSaid = Date.now();
  await pollUntil(
    'ingest queues to empty before the wipe',
    async () => {
      const left = await ingestLeft(queues);
      // One line every 15 s at most: what is still on the ingest queues.
      if (left !== undefined && Date.now() - ingestSaid > 15_000) {
        say(`ingest draining: ${left}`);
        ingestSaid = Date.now();
      }
      return left === undefined ? true : undefined;
    },
    300_000,
    500,
    { retryErrors: true },
  );
  const owed = await retrying(() =>
    db
      .selectFrom('recompute_requests')
      .select(sql<string>`count(*)::text`.as('n'))
      .executeTakeFirstOrThrow(),
  );
  counts.ownedAtWipe = Number(owed.n);
  let secondKilled: number | undefined;
  if (cluster) {
    // The cluster keeps its data through a failover, so this is a second master kill with the wake-ups piled up.
    const { killed, master } = await cluster.killMaster();
    secondKilled = killed;
    say(
      `redis cluster: master ${killed} SIGKILLed with the recompute queue paused (${counts.ownedAtWipe} recomputes owed in Postgres); ${master} promoted`,
    );
    await retrying(() => queues.recompute.resume());
    await awaitProgress(fleet, 'after second master kill', counts);
  } else {
    say(`redis: SIGKILL, restarted empty (${counts.ownedAtWipe} recomputes owed in Postgres)`);
    await single?.restartEmpty(1_000);
    counts.redisEmptyRestarts++;
    await awaitProgress(fleet, 'after empty restart', counts);
  }

  const lateFeed = send(feed.late);
  await sleep(jitter(3_000, 1_000));
  await terminateBackends(db, database, counts);
  await lateFeed;
  feeding = false;
  if (cluster && secondKilled !== undefined) {
    await cluster.restart(secondKilled);
    say(`redis cluster: ${secondKilled} started again, a synced replica`);
  }
  await pollUntil(
    `${MIN_KILLS} worker kills`,
    async () => (counts.workerKills >= MIN_KILLS ? true : undefined),
    300_000,
    250,
    { retryErrors: true },
  );
  killing = false;
  await kills;
  say(`faults over (${counts.workerKills} worker kills); waiting for the pipeline to drain`);

  let last = '';
  await pollUntil(
    'the pipeline to drain',
    async () => {
      const a = await drained(queues, db);
      if (a !== undefined) {
        if (a !== last) say(`draining: ${a}`);
        last = a;
        return undefined;
      }
      await sleep(1_500);
      return (await drained(queues, db)) === undefined ? true : undefined;
    },
    480_000,
    2_000,
    { retryErrors: true },
  );
  // A worker armed to crash after a commit may do so while the pipeline drains; its next
  // incarnation must be up (not merely restarting) before its health counts.
  await pollUntil(
    'every worker to be up after the drain',
    async () => (fleet.workers.every((s) => s.running && s.readyAt !== undefined) ? true : undefined),
    120_000,
    200,
  );
  const health = await Promise.all(fleet.workers.map(async (s) => [s.name, await s.health()] as const));
  const unhealthy = health.filter(([, h]) => h?.status !== 200).map(([name, h]) => `${name}: ${JSON.stringify(h)}`);
  const failedJobs = await Promise.all(
    Object.values(queues).map(async (q) => [q.name, await q.getFailedCount()] as const),
  );
  await fleet.stop();

  const result = await retrying(() => verify(db, program, feed, TODAY, smtp.delivered));
  const checks: Check[] = [...result.checks];
  checks.push({
    name: 'worker /healthz showed progress after every Redis fault',
    checked: counts.recoveries.length + counts.stuck.length,
    mismatches: counts.stuck,
  });
  checks.push({ name: 'worker /healthz ok after drain', checked: health.length, mismatches: unhealthy });
  const stalled = logLines(/job stalled/).length;
  const requeued = logSum(/reconciler re-enqueued/, 'requeued');
  const reinstalled = logLines(/schedules missing/).length;
  const crashes = logLines(/Unhandled 'error' event|uncaughtException|unhandledRejection/).length;
  const resending = logLines(/resending a message whose outcome is unknown/).length;
  checks.push({
    name: 'no process crashed by itself (unhandled error)',
    checked: fleet.restarts,
    mismatches: crashes > 0 ? [`${crashes} unhandled errors in the logs`] : [],
  });
  const mismatches = checks.reduce((n, c) => n + c.mismatches.length, 0);
  const seconds = Math.round((Date.now() - started) / 1000);

  const lines = [
    '━━ Tierline chaos: summary ━━',
    `  run        data seed ${seed} · fault seed ${faultSeed} · ${fmt(Number(args.partners))} partners · receiver + ${roles.length} worker processes · ${Math.floor(seconds / 60)}m ${seconds % 60}s`,
    `  events     ${fmt(feed.counts.sent)} sent (${fmt(feed.counts.distinctValid)} distinct valid, ${fmt(feed.counts.duplicates)} duplicates, ${fmt(feed.counts.late)} late backdated, ${fmt(feed.counts.invalid)} invalid) in ${fmt(feed.counts.bodies)} bodies (${feed.counts.reposted} posted twice), ${fmt(stats.retries)} posts retried`,
    `  faults     worker kills ${counts.workerKills} (${counts.killedAfterCommit} right after a commit, ${counts.workerKills - counts.killedAfterCommit} SIGKILL at random), receiver kills ${counts.receiverKills}, processes restarted ${fleet.restarts}`,
    cluster
      ? `             redis cluster 3+3: queues' master frozen ${cluster.counts.masterFreezes}× ${freezeMs / 1000} s, SIGKILLed ${cluster.counts.masterKills}×; failovers ${cluster.counts.failovers.length} (${cluster.counts.failovers.join(', ')} to a new master); killed nodes back as replicas ${cluster.counts.restartedAsReplica} (${fmt(counts.ownedAtWipe)} recomputes owed at the second kill)`
      : `             redis frozen ${counts.redisFreezes}× ${freezeMs / 1000} s, restarted with AOF ${counts.redisAofRestarts}×, restarted empty ${counts.redisEmptyRestarts}× (${fmt(counts.ownedAtWipe)} recomputes owed at the wipe)`,
    `             event loop stopped ${counts.blockedLoops}× ${blockMs / 1000} s, postgres backends terminated ${counts.pgTerminated} in ${counts.pgRounds} rounds, smtp refused ${Math.round(counts.smtp.refusedMs / 1000)} s then 4xx ${Math.round(counts.smtp.tempfailMs / 1000)} s (${fmt(smtp.tempfailed)} answered 451)`,
    `  observed   jobs stalled and run again ${stalled}, recomputes re-enqueued by the reconciler ${requeued}, schedules reinstalled ${reinstalled}, failed jobs ${failedJobs.map(([q, n]) => `${q} ${n}`).join(' ')}, processes crashed by themselves ${crashes}`,
    `             progress after redis faults: ${counts.recoveries.join(', ') || 'none'}`,
    `  emails     ${fmt(result.emails.sent)} notifications sent (${fmt(result.emails.delivered)} messages delivered, ${result.emails.resent} of them resent with the same Message-ID after a crash between the server's 250 and the record; ${resending} resends logged), ${fmt(result.emails.skipped)} skipped (older changes), ${fmt(result.emails.withdrawn)} withdrawn (undone before they settled); dead letters ${result.deadLetters}`,
    `             ${result.emails.contradicted.length} sent emails no longer true of the final state (a late event after the settle window)${result.emails.contradicted.length > 0 ? `: ${sample(result.emails.contradicted)}` : ''}`,
    '  checks',
    ...checks.map(
      (c) =>
        `    ${c.mismatches.length === 0 ? 'ok  ' : 'FAIL'} ${c.name} (${fmt(c.checked)})${c.mismatches.length > 0 ? `: ${sample(c.mismatches)}` : ''}`,
    ),
    `  load       average ${loadAtStart} at the start, ${load()} at the end (1, 5, 15 min; ${cpus} cores)`,
    `  result     ${mismatches} mismatches${mismatches === 0 ? '' : ` (logs in ${logDir})`}`,
  ];
  console.log(lines.join('\n'));
  const redisFaultsDone = cluster
    ? cluster.counts.masterFreezes >= 1 && cluster.counts.masterKills >= 2 && cluster.counts.failovers.length >= 3
    : counts.redisAofRestarts >= 1 && counts.redisEmptyRestarts >= 1;
  if (counts.workerKills < 20 || !redisFaultsDone || counts.smtp.refusedMs === 0 || counts.smtp.tempfailMs === 0) {
    console.log('  incomplete: not every fault was injected');
    return;
  }
  exitCode = mismatches === 0 ? 0 : 1;
}

let cleaning: Promise<void> | undefined;
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    if (exitCode === 0 && !args.keep) rmSync(work, { recursive: true, force: true });
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping; logs in ${logDir}`);
    void cleanup().finally(() => process.exit(1));
  });
}

try {
  await main();
} catch (error) {
  console.error(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  console.error(`logs in ${logDir}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
