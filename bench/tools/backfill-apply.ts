// What writing a backfill costs, apart from reading and validating it: an events file
// validated once in memory, then applied batch by batch (2,000 events, as the backfill) by
// the ordinary statements (applyPreparedBatch) and by the COPY path
// (applyPreparedBatchByCopy), alternately, on an emptied database, with the CPU time of this
// process and of its Postgres backend for each, and a bare COPY of the same lines for scale.
// CPU seconds stay meaningful on a loaded machine, where wall times do not.
//   npx tsx bench/tools/backfill-apply.ts --file events.jsonl [--rounds 2]
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { sql, type Kysely } from 'kysely';
import { openCopySession } from '../../db/copy.ts';
import type { DB } from '../../db/types.ts';
import { applyPreparedBatch, applyPreparedBatchByCopy } from '../../services/ingest/batch.ts';
import { emptyBatch, prepareEvent, type PreparedBatch } from '../../services/ingest/prepare.ts';
import { openEnv } from '../lib/env.ts';
import { round, stopwatch } from '../lib/stats.ts';

const o = new Command()
  .requiredOption('--file <path>', 'events file (npm run generate)')
  .option('--rounds <n>', 'rounds of each path', '2')
  .option('--keep', 'keep the database')
  .parse()
  .opts<{ file: string; rounds: string; keep?: boolean }>();

const e = await openEnv('apply', { keep: Boolean(o.keep) });
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

async function backendSeconds(db: Kysely<DB>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  const stat = readFileSync(`/proc/${rows[0]?.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

try {
  const ctx = { currency: 'USD', timezone: 'UTC' };
  const lines = readFileSync(o.file, 'utf8').split('\n').filter(Boolean);
  const batches: PreparedBatch[] = [];
  for (let i = 0; i < lines.length; i += 2_000) {
    const batch = emptyBatch();
    lines
      .slice(i, i + 2_000)
      .forEach((line, j) => prepareEvent(batch, ctx, { raw: Buffer.from(line), seen: { line: i + j + 1 } }));
    batches.push(batch);
  }
  const session = await openCopySession(e.db);
  if (!session) throw new Error('no pool');
  const paths = {
    ordinary: (b: PreparedBatch) => applyPreparedBatch(session.db, b),
    copy: (b: PreparedBatch) => applyPreparedBatchByCopy(session, b),
  };
  for (let r = 0; r < Number(o.rounds); r++) {
    for (const [name, apply] of Object.entries(paths)) {
      await sql`truncate ${sql.join(TABLES.map((t) => sql.table(t)))}`.execute(session.db);
      const [cpu0, pg0, wall] = [process.cpuUsage(), await backendSeconds(session.db), stopwatch()];
      for (const b of batches) await apply(b);
      const cpu = process.cpuUsage(cpu0);
      const pg = (await backendSeconds(session.db)) - pg0;
      console.log(
        `${name.padEnd(8)} ${lines.length} events: wall ${round(wall(), 2)} s, node ${round((cpu.user + cpu.system) / 1e6, 2)} s, postgres ${round(pg, 2)} s`,
      );
    }
    await sql`drop table if exists bench_copy`.execute(session.db);
    await sql`create table bench_copy (payload jsonb not null)`.execute(session.db);
    const [pg0, wall] = [await backendSeconds(session.db), stopwatch()];
    await session.copy(`copy bench_copy (payload) from stdin with (format csv, quote e'\\x01', delimiter e'\\x02')`, [
      `${lines.join('\n')}\n`,
    ]);
    console.log(
      `COPY     ${lines.length} rows: wall ${round(wall(), 2)} s, postgres ${round((await backendSeconds(session.db)) - pg0, 2)} s`,
    );
  }
  session.release();
} finally {
  await e.close();
}
