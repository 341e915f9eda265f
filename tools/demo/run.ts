// `tierline demo`: the whole pipeline on a realistic program, in one process tree.
//  1. services: DATABASE_URL / REDIS_URL or the local defaults, else an embedded Postgres and
//     a private redis-server (services.ts); a dedicated database and queue prefix, wiped first;
//  2. migrate, load examples/acme (tracks, OR-paths, certifications, a score, 90-day grace);
//  3. "today" pinned (TIERLINE_TODAY, default 2026-11-23); a seeded 24-month history for
//     --partners partners through the backfill path; every worker role started in-process;
//     the tier distribution "before" once the backfill's recomputes have drained;
//  4. live events for --duration through the ingest queues, with a simulated midnight (and
//     the nightly run) every --day-every, showing tier changes, grace entries, emails and
//     dead letters as they happen;
//  5. a summary, also after Ctrl-C (exit 0).
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { destination, pino, type Logger } from 'pino';
import { readVariable, redact } from '../../config/env.ts';
import { createDb, ensureDatabase, maintenanceClient, withDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { storeProgramVersions } from '../../services/programs.ts';
import { inTransaction } from '../../db/transactions.ts';
import type { DB } from '../../db/types.ts';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';
import { JOBS, QUEUES, type QueueName } from '../../queues/catalog.ts';
import {
  checkRedis,
  openRedis,
  queueSettings,
  type QueueSettings,
  type RedisConnection,
} from '../../queues/connection.ts';
import { closeQueues, enqueueMany, openQueues, type Queues } from '../../queues/queues.ts';
import { REDACT_PATHS } from '../../workers/logger.ts';
import { linkSecretFromEnv, publicUrlFromEnv } from '../../workers/http/pages/config.ts';
import { partnerPageUrl, signPartnerToken } from '../../services/links.ts';
import { ROLES, startWorkers, type Runner } from '../../workers/runner.ts';
import type { DemoEntry } from '../../scripts/lib/demo-entry.ts';
import { CliError, describeError } from '../../scripts/lib/errors.ts';
import { readProgramFiles } from '../../scripts/lib/program-files.ts';
import { backfillHistory } from './backfill.ts';
import { LiveEvents, type LiveKind } from './live.ts';
import { parseDemoOptions, type DemoOptions } from './options.ts';
import { clearStatus, colour, count, print, say, seconds, status, Stop } from './output.ts';
import { provideServices, type DemoServices } from './services.ts';
import { financeSummary, recordQuarterPayouts, type FinanceSummary } from './payouts.ts';
import { printSummary, snapshot, type Snapshot } from './summary.ts';
import { Watcher, watermarks, type Watermarks } from './watch.ts';

/** How long the demo's notifications settle before they are re-checked and sent (TIERLINE_MAIL_SETTLE_SECONDS wins). */
export const DEMO_SETTLE_SECONDS = 5;
export const DEMO_PROGRAM = fileURLToPath(new URL('../../examples/acme/program.json', import.meta.url));
const HISTORY_MONTHS = 24;

interface State {
  services?: DemoServices;
  db?: Kysely<DB>;
  connection?: RedisConnection;
  queues?: Queues;
  runner?: Runner;
  logger?: { log: Logger; close(): void };
  program?: ProgramSet;
  before?: Snapshot;
  historyEvents: number;
  live?: LiveEvents;
  liveMs: number;
  watcher?: Watcher;
  /** Table positions when the live stream began. */
  marks?: Watermarks;
  firstDay: string;
  today: string;
  interrupted: boolean;
  /** The quarter the demo recorded payouts for (finance's period in the summary). */
  payoutPeriod?: string;
  finance?: FinanceSummary;
}

function currentProgram(set: ProgramSet, today: string): Program {
  const day = dayOrThrow(today);
  let chosen = set.versions[0]?.program as Program;
  for (const v of set.versions) if (dayOrThrow(v.program.effectiveFrom) <= day) chosen = v.program;
  return chosen;
}

const EMAIL_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

/**
 * Worker logs (pino JSON, the workers' redaction paths) go to a file, with any email-shaped
 * text masked on the way; errors also reach the terminal, as one clean line.
 */
function workerLogger(path: string): { log: Logger; close(): void } {
  mkdirSync(dirname(path), { recursive: true });
  const file = destination({ dest: path, sync: true, append: false });
  const stream = {
    write(raw: string): void {
      const line = raw.replace(EMAIL_TEXT, '[email]');
      file.write(line);
      if (!/"level":(5|6)\d/.test(line)) return;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: unknown; queue?: string };
        const queue = entry.queue ? ` (${entry.queue})` : '';
        const err = typeof entry.err === 'string' ? entry.err : JSON.stringify(entry.err);
        say(colour.red(`worker error: ${entry.msg ?? ''}${queue}${entry.err ? `: ${err}` : ''}`));
      } catch {
        // a line that is not JSON stays in the file
      }
    },
  };
  const log = pino(
    { name: 'tierline-demo', level: readVariable('LOG_LEVEL'), redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    stream,
  );
  return { log, close: () => file.end() };
}

async function recreateDatabase(url: string, name: string): Promise<void> {
  const client = await maintenanceClient(url, 'DATABASE_URL');
  try {
    const quoted = `"${name.replaceAll('"', '""')}"`;
    try {
      await client.query(`drop database if exists ${quoted} with (force)`);
    } catch (error) {
      // Before PostgreSQL 13 there is no (force).
      if ((error as { code?: string }).code !== '42601') throw error;
      await client.query(`drop database if exists ${quoted}`);
    }
  } finally {
    await client.end().catch(() => {});
  }
  await ensureDatabase(url, 'DATABASE_URL');
}

async function openDemoQueues(
  url: string,
  prefix: string,
): Promise<{ connection: RedisConnection; queues: Queues; settings: QueueSettings }> {
  // REDIS_CLUSTER is honoured; the default prefix is hash-tagged for it.
  const settings: QueueSettings = { ...queueSettings(), url, prefix };
  const connection = openRedis(settings, 'producer');
  connection.on('error', () => {});
  try {
    await checkRedis(connection, settings);
  } catch (error) {
    connection.disconnect();
    throw new CliError(describeError(error).replace(/\s*\n\s*/g, ' '), 1, { cause: error });
  }
  return { connection, queues: openQueues(connection, prefix), settings };
}

/** Removes every job and schedule under the demo's prefix (left by an earlier run). */
async function wipeQueues(queues: Queues): Promise<void> {
  for (const q of Object.values(queues)) await q.obliterate({ force: true });
}

async function owedRecomputes(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from recompute_requests`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function busyJobs(queues: Queues, names: readonly QueueName[]): Promise<number> {
  let n = 0;
  for (const name of names) {
    const counts = await queues[name].getJobCounts(
      'waiting',
      'active',
      'prioritized',
      'waiting-children',
      ...(name === QUEUES.recompute ? [] : (['delayed'] as const)),
    );
    for (const v of Object.values(counts)) n += v;
  }
  return n;
}

async function pendingLiveEmails(db: Kysely<DB>, after: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*)::text as n from outbox
     where id > ${after}::bigint and status in ('pending', 'claimed') and (next_attempt_at is null or next_attempt_at <= now())`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}

function printBefore(program: Program, s: Snapshot): void {
  print();
  print(
    colour.bold(`  Before: effective tiers on ${s.asOf} (${count(s.partners)} partners, ${count(s.grace)} in grace)`),
  );
  for (const track of program.tracks) {
    const parts = track.tiers.map((t) => `${t.name} ${count(s.tiers.get(`${track.id}/${t.id}`) ?? 0)}`);
    print(`    ${track.id.padEnd(8)} ${parts.join(' · ')}`);
  }
  print();
}

const KIND_LABEL: Record<LiveKind, [string, string]> = {
  'deal-won': ['deal won', 'deals won'],
  'deal-lost': ['lost', 'lost'],
  'deal-registered': ['registered', 'registered'],
  'promotion-deal': ['promotion-size deal', 'promotion-size deals'],
  'promotion-invoice': ['promotion-size invoice', 'promotion-size invoices'],
  certified: ['certification', 'certifications'],
  revoked: ['revocation', 'revocations'],
  departed: ['departure', 'departures'],
  invoice: ['invoice', 'invoices'],
  invalid: ['invalid', 'invalid'],
};

function mix(live: LiveEvents): string {
  return [...live.sent.entries()].map(([k, n]) => `${n} ${KIND_LABEL[k][n === 1 ? 0 : 1]}`).join(', ');
}

function addDay(day: string): string {
  return formatDay(dayOrThrow(day) + 1);
}

function installSignals(stop: Stop, state: State): () => void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      state.interrupted = true;
      clearStatus();
      say(
        colour.yellow(
          `${signal}: stopping cleanly, then the summary (${signal === 'SIGINT' ? 'Ctrl-C' : signal} again to quit at once)`,
        ),
      );
      stop.stop();
      return;
    }
    process.stderr.write('tierline: stopped at once; the demo database may be left half-loaded\n');
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

/** What `tierline demo` (scripts/commands/demo.ts) loads and calls. */
export const runDemoCommand: DemoEntry['runDemoCommand'] = (raw) => runDemo(parseDemoOptions(raw));

export async function runDemo(o: DemoOptions): Promise<void> {
  const started = performance.now();
  const stop = new Stop();
  const state: State = { historyEvents: 0, liveMs: 0, firstDay: o.today, today: o.today, interrupted: false };
  const removeSignals = installSignals(stop, state);
  // Printed before the first line of output: a run that fails at once prints only its error.
  let introduced = false;
  const intro = (): void => {
    if (introduced) return;
    introduced = true;
    print(
      colour.bold(`Tierline demo`) +
        ` · seed ${o.seed} · ${count(o.partners)} partners · ${seconds(o.durationMs)} of live events at ${o.rate}/s` +
        `${o.dayEveryMs > 0 ? ` · a simulated midnight every ${seconds(o.dayEveryMs)}` : ''} · today is ${o.today}`,
    );
  };
  let failure: unknown;
  try {
    await setUp(o, state, stop, intro);
    if (!stop.stopped) await streamLive(o, state, stop);
    if (state.db && state.queues && state.runner) await settle(state, stop);
  } catch (error) {
    failure = error;
  }
  clearStatus();
  try {
    if (state.runner) {
      await state.runner.stop(10_000);
      state.runner = undefined;
    }
    if (failure === undefined && state.db && state.program) {
      const after = await snapshot(state.db, state.today);
      if (state.payoutPeriod) state.finance = await financeSummary(state.db, state.payoutPeriod, state.today);
      printSummary({
        program: currentProgram(state.program, state.today),
        before: state.before,
        after,
        lines: summaryLines(o, state, started),
        outboxDir: readVariable('MAIL_OUTBOX_DIR'),
        smtp: readVariable('SMTP_URL') !== undefined,
      });
    } else if (failure === undefined) {
      print(colour.yellow('\nstopped before the demo database was ready: nothing to summarise'));
    }
  } catch (error) {
    failure ??= error;
  } finally {
    await tearDown(state);
    removeSignals();
  }
  if (failure !== undefined) throw failure;
}

async function setUp(o: DemoOptions, state: State, stop: Stop, intro: () => void): Promise<void> {
  const services = await provideServices({
    dataDir: o.dataDir,
    say: (line) => {
      intro();
      say(line);
    },
  });
  state.services = services;
  intro();
  const dbUrl = withDatabase(services.postgresUrl, o.database);
  print(`  postgres  ${services.postgresLabel}; database ${colour.bold(o.database)} (dropped and recreated)`);
  print(`  redis     ${services.redisLabel}; queue prefix ${colour.bold(o.queuePrefix)} (wiped)`);
  if (stop.stopped) return;

  try {
    await recreateDatabase(dbUrl, o.database);
  } catch (error) {
    throw new CliError(
      `cannot recreate database ${o.database} at ${redact(dbUrl)}: ${describeError(error).replace(/\s*\n\s*/g, ' ')}`,
      1,
      { cause: error },
    );
  }
  const db = createDb(dbUrl, { max: 20, variable: 'DATABASE_URL' });
  state.db = db;
  const applied = await migrateToLatest(db);
  const program = await readProgramFiles([DEMO_PROGRAM]);
  await inTransaction(db, async (trx) => {
    const stored = await storeProgramVersions(
      trx,
      program.versions.map((v) => v.program),
    );
    if (!stored.ok) throw new CliError(`the demo program was refused: ${stored.problems.join('; ')}`);
  });
  state.program = program;
  const p = currentProgram(program, o.today);
  const tiers = p.tracks.reduce((n, t) => n + t.tiers.length, 0);
  say(
    `migrated ${o.database} (${applied.length} migrations); loaded ${p.name} ${p.version} ` +
      `from ${relative(process.cwd(), DEMO_PROGRAM)}: ${p.tracks.length} tracks, ${tiers} tiers, ${p.policy.demotionGraceDays}-day grace`,
  );

  const { connection, queues, settings } = await openDemoQueues(services.redisUrl, o.queuePrefix);
  state.connection = connection;
  state.queues = queues;
  if (!services.privateRedis) await wipeQueues(queues);
  if (stop.stopped) return;

  // The pipeline's only clock (workers/clock.ts): the history ends on this day.
  process.env.TIERLINE_TODAY = o.today;
  const t0 = performance.now();
  const history = await backfillHistory(
    db,
    program,
    queues,
    {
      partners: o.partners,
      seed: o.seed,
      until: o.today,
      months: HISTORY_MONTHS,
      eventsPerPartner: o.eventsPerPartner,
    },
    stop,
  );
  state.historyEvents = history.events;
  const c = history.counts;
  say(
    `history: ${count(history.events)} events for ${count(o.partners)} partners (${HISTORY_MONTHS} ` +
      `months to ${o.today}) through the backfill path in ${seconds(performance.now() - t0)}` +
      ` (accepted ${count(c.accepted)}${c['dead-lettered'] ? `, dead-lettered ${c['dead-lettered']}` : ''})` +
      (history.complete ? '' : colour.yellow(' — interrupted')),
  );
  if (!history.complete || stop.stopped) return;

  const logPath = join(o.dataDir, 'logs', `${o.database}.log`);
  state.logger = workerLogger(logPath);
  // The program's settle window (alerts.settleMinutes, 10 minutes) would hold every email past
  // the end of the demo: a few seconds still shows changes undone in time being withdrawn.
  process.env.TIERLINE_MAIL_SETTLE_SECONDS ??= String(DEMO_SETTLE_SECONDS);
  state.runner = await startWorkers({ db, queues, settings, log: state.logger.log }, ROLES);
  say(`workers started in this process: ${ROLES.join(', ')} (JSON logs in ${logPath})`);

  const t1 = performance.now();
  const total = history.queued;
  for (;;) {
    const owed = await owedRecomputes(db);
    if (owed === 0) break;
    status(
      `recomputing: ${count(total - Math.min(owed, total))} of ${count(total)} partners evaluated from their first fact to ${o.today}…`,
    );
    if (performance.now() - t1 > 15 * 60_000)
      throw new CliError('the backfill recomputes did not drain within 15 minutes: see the worker log');
    await stop.sleep(500);
    if (stop.stopped) return;
  }
  clearStatus();
  say(
    `recomputed ${count(total)} partners (history, decisions, scorecards, ledger, outbox) in ${seconds(performance.now() - t1)}`,
  );
  const payouts = await recordQuarterPayouts(db, program, o.today);
  state.payoutPeriod = payouts.period;
  say(
    `payouts: ${count(payouts.payouts)} recorded for ${payouts.period}, paid at the rates of each partner's tier when the ` +
      `quarter began (a spreadsheet's way; the ledger accrues at the tier of each deal's close day)`,
  );
  state.before = await snapshot(db, o.today);
  printBefore(p, state.before);
}

async function streamLive(o: DemoOptions, state: State, stop: Stop): Promise<void> {
  const { db, queues, program } = state;
  if (!db || !queues || !program || !state.runner) return;
  const p = currentProgram(program, state.today);
  const live = new LiveEvents(db, p, o.seed);
  state.live = live;
  await live.refresh();
  const causes = new Map<string, string>();
  const marks: Watermarks = await watermarks(db);
  const watcher = new Watcher(db, p, marks, causes, () => state.today);
  state.watcher = watcher;
  state.marks = marks;

  const watchStop = new Stop();
  let watchError = '';
  const watching = (async () => {
    while (!watchStop.stopped) {
      try {
        await watcher.poll();
      } catch (error) {
        const message = describeError(error);
        if (message !== watchError) say(colour.red(`cannot read what happened: ${message}`));
        watchError = message;
      }
      await watchStop.sleep(400);
    }
  })();

  const runId = `demo-${Date.now().toString(36)}`;
  const interval = 1_000 / o.rate;
  const begin = performance.now();
  const end = begin + o.durationMs;
  let nextEvent = begin;
  let nextMidnight = o.dayEveryMs > 0 ? begin + o.dayEveryMs : Infinity;
  let nextRefresh = begin + 15_000;
  let nextBeat = begin + 10_000;
  let beatFrom = 0;
  let nightly: string | undefined;
  say(
    `streaming live events through the ingest queues for ${seconds(o.durationMs)}` +
      (o.dayEveryMs > 0
        ? `; every ${seconds(o.dayEveryMs)} the day advances and the nightly run recomputes everyone`
        : '') +
      ' (Ctrl-C stops early)',
  );
  try {
    while (!stop.stopped) {
      const now = performance.now();
      if (now >= end) break;
      if (now >= nextMidnight) {
        if (nightly && !(await nightlyDone(db, nightly))) {
          nextMidnight = now + 2_000; // the previous night's run is still going
        } else {
          state.today = addDay(state.today);
          process.env.TIERLINE_TODAY = state.today;
          nightly = state.today;
          await enqueueMany(queues, JOBS.nightlyRun, QUEUES.recompute, [{ asOf: state.today }]);
          say(
            `${colour.dim(`[${state.today}]`)} ${colour.bold(`☾ midnight: today is now ${state.today}`)}; ` +
              `nightly run queued (certifications expire, revenue leaves the 12-month window, grace runs out)`,
          );
          nextMidnight += o.dayEveryMs;
        }
      }
      if (now >= nextRefresh) {
        await live.refresh();
        nextRefresh = now + 15_000;
      }
      if (now >= nextBeat) {
        say(
          colour.dim(
            `· ${live.total - beatFrom} events in the last ${seconds(now - nextBeat + 10_000)}; ${live.total} so far: ${mix(live)}`,
          ),
        );
        beatFrom = live.total;
        nextBeat = now + 10_000;
      }
      const events = await live.next(state.today);
      for (const e of events) {
        causes.set(`${e.source}:${e.id}`, e.describe); // decisions name their triggers source:id
        await enqueueMany(queues, JOBS.ingestEvents, e.source, [
          { events: [{ raw: e.text, receivedAt: new Date().toISOString() }], origin: 'http', runId },
        ]);
      }
      nextEvent += interval;
      await stop.sleep(nextEvent - performance.now());
    }
  } finally {
    state.liveMs = performance.now() - begin;
    say(
      `live stream ${stop.stopped ? 'stopped' : 'done'}: ${live.total} events in ${seconds(state.liveMs)} (${mix(live) || 'none'})`,
    );
    watchStop.stop();
    await watching;
  }
}

async function nightlyDone(db: Kysely<DB>, asOf: string): Promise<boolean> {
  const { rows } = await sql<{
    n: string;
  }>`select count(*)::text as n from audit_log where action = 'nightly-run' and details->>'asOf' = ${asOf}`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

/** Lets the last live events, recomputes and emails finish (briefly after Ctrl-C). */
async function settle(state: State, stop: Stop): Promise<void> {
  const { db, queues, watcher } = state;
  if (!db || !queues) return;
  const marks = state.marks;
  const limit = performance.now() + (stop.stopped ? 3_000 : 30_000);
  const pause = new Stop();
  for (;;) {
    const busy =
      (await busyJobs(queues, [QUEUES.crm, QUEUES.lms, QUEUES.erp, QUEUES.recompute])) +
      (await owedRecomputes(db)) +
      (marks ? await pendingLiveEmails(db, marks.outbox) : 0);
    if (watcher) await watcher.poll().catch(() => {});
    if (busy === 0 || performance.now() > limit) break;
    status(`finishing: ${busy} jobs, recomputes and emails still in flight…`);
    await pause.sleep(300);
  }
  clearStatus();
}

function summaryLines(o: DemoOptions, state: State, started: number): string[] {
  const lines: string[] = [];
  if (state.interrupted) lines.push(colour.yellow('interrupted: stopped cleanly before the end'));
  const days = state.firstDay === state.today ? state.today : `${state.firstDay} → ${state.today}`;
  lines.push(
    `run         seed ${o.seed} · ${count(o.partners)} partners · ${count(state.historyEvents)} history ` +
      `events · ${count(state.live?.total ?? 0)} live events in ${seconds(state.liveMs)} · simulated day ${days}`,
  );
  const w = state.watcher?.counts;
  if (w)
    lines.push(
      `live        ${w.promoted} promoted, ${w.demoted} demoted, ${w.grace} ` +
        `entered grace, ${w.emails} emails written, ${w.deadLetters} dead letters`,
    );
  if (state.services) lines.push(`services    ${state.services.postgresLabel} · ${state.services.redisLabel}`);
  const embedded = state.services?.postgresLabel.startsWith('embedded');
  lines.push(
    embedded
      ? `database    ${o.database} in the embedded cluster (stopped with the demo; kept in ${join(o.dataDir, 'pg')})`
      : `database    ${o.database} is kept: DATABASE_URL=` +
          `${state.services ? redact(withDatabase(state.services.postgresUrl, o.database)) : '?'} npx tierline scorecard P-00001`,
  );
  const f = state.finance;
  if (f)
    lines.push(
      `finance     ${f.period}: entitled ${f.entitled}, paid ${f.paid}, overpaid ${f.overpaid} to ${count(f.overpaidPartners)} ` +
        `partners, underpaid ${f.underpaid} (\`npx tierline finance --period ${f.period}\`)`,
    );
  // The first partner's page, valid for 30 days from the demo's last day, and the console.
  const link = partnerPageUrl(
    publicUrlFromEnv(),
    signPartnerToken(
      { partnerId: 'P-00001', expiresOn: formatDay(dayOrThrow(state.today) + 30) },
      linkSecretFromEnv().secret,
    ),
  );
  lines.push(`pages       ${link} (after \`npx tierline serve\`, DATABASE_URL as above)`);
  lines.push(
    `console     ${publicUrlFromEnv().replace(/\/+$/, '')}/console (set TIERLINE_ADMIN_TOKEN for serve; sign in with it)`,
  );
  lines.push(`wall time   ${seconds(performance.now() - started)}`);
  return lines;
}

async function tearDown(state: State): Promise<void> {
  const quietly = async (what: () => Promise<unknown>): Promise<void> => {
    await what().catch(() => {});
  };
  if (state.runner) await quietly(() => (state.runner as Runner).stop(5_000));
  if (state.queues) {
    const queues = state.queues;
    if (state.services && !state.services.privateRedis) await quietly(() => wipeQueues(queues));
    await quietly(() => closeQueues(queues));
  }
  if (state.connection) {
    const connection = state.connection;
    await quietly(() => connection.quit());
    connection.disconnect();
  }
  if (state.db) await quietly(() => (state.db as Kysely<DB>).destroy());
  state.logger?.close();
  if (state.services) await quietly(() => (state.services as DemoServices).stop());
}
