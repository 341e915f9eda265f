// `tierline ingest FILE --backfill` on a fresh database, then psql \copy of the same lines into a
// bare jsonb table, alternately for `--rounds`: wall ratio and CPU µs per event of the process
// (all its threads) and of its Postgres backends, each round on an emptied database.
//   npx tsx bench/tools/backfill-cpu.ts --file events.jsonl [--rounds 3]
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { sql } from 'kysely';
import { openEnv, runChild, tierline } from '../lib/env.ts';
import { round, stopwatch } from '../lib/stats.ts';
import { processCpuSeconds, sampleBackends, waitedChildrenCpuSeconds } from '../lib/cpu-backfill.ts';
import { spawn } from 'node:child_process';

const o = new Command()
  .requiredOption('--file <path>', 'events file (npm run generate)')
  .option('--rounds <n>', 'rounds', '2')
  .parse()
  .opts<{ file: string; rounds: string }>();

const events = readFileSync(o.file, 'utf8').split('\n').filter(Boolean).length;
const TABLES = [
  'inbox',
  'inbox_conflicts',
  'dead_letters',
  'partners',
  'deals',
  'certifications_earned',
  'certification_revocations',
  'person_departures',
  'invoices',
  'invoice_credits',
  'recompute_requests',
];
const e = await openEnv('backfillcpu');
const us = (s: number): number => round((s * 1e6) / events, 1);
try {
  for (let r = 0; r < Number(o.rounds); r++) {
    {
      await sql`truncate ${sql.join(TABLES.map((t) => sql.table(t)))}`.execute(e.db);
      const children = waitedChildrenCpuSeconds();
      const backends = sampleBackends(e.db);
      const wall = stopwatch();
      const cli = tierline(e.env, 'ingest --backfill', ['ingest', o.file, '--backfill'], 'pipe');
      // The main thread alone (its task's CPU, polled until it exits): the serial part of the process.
      let mainThread = 0;
      const pid = cli.process.pid as number;
      const poll = setInterval(() => (mainThread = processCpuSeconds(pid, pid) ?? mainThread), 50);
      await runChild(cli);
      clearInterval(poll);
      const seconds = wall();
      const node = waitedChildrenCpuSeconds() - children;
      const pg = await backends.stop();
      await sql`drop table if exists bench_copy`.execute(e.db);
      await sql`create table bench_copy (payload jsonb not null)`.execute(e.db);
      const c0 = waitedChildrenCpuSeconds();
      const b2 = sampleBackends(e.db);
      const w2 = stopwatch();
      const command = `\\copy bench_copy (payload) from '${o.file}' with (format csv, quote e'\\x01', delimiter e'\\x02')`;
      const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', e.url, '-c', command], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await new Promise((resolve) => child.once('exit', resolve));
      const copySeconds = w2();
      const copyClient = waitedChildrenCpuSeconds() - c0;
      const copyPg = await b2.stop();
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(
        `${events} events ${round(seconds, 2)} s, COPY ${round(copySeconds, 2)} s, ratio ${round(copySeconds / seconds, 3)}; ` +
          `CPU µs/event tierline ${us(node)} (main thread ${us(mainThread)}) postgres ${us(pg)}; COPY psql ${us(copyClient)} postgres ${us(copyPg)}; load ${load}`,
      );
    }
  }
} finally {
  await e.close();
}
