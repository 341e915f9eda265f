// The plans of every statement one nightly chunk runs, as Postgres executed them (auto_explain,
// loaded in this process's sessions only and reported as notices: the server is not
// reconfigured). A fresh database (DATABASE_URL's server) with `--partners` partners is computed
// once (the first run after a load), then the chunk runs for the next day (a plain night: only
// the due partners recomputed) and the plans slower than `--min-ms` are printed, slowest first.
//   npx tsx bench/tools/explain-chunk.ts --partners 2000
import { Command } from 'commander';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { tierlineTypes } from '../../db/type-parsers.ts';
import type { DB } from '../../db/types.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { nightlyChunk } from '../../services/recompute/nightly.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import { AS_OF, openEnv } from '../lib/env.ts';

const o = new Command()
  .option('--partners <n>', 'partners', '2000')
  .option('--min-ms <n>', 'print plans slower than this', '5')
  .option('--keep', 'keep the database')
  .parse()
  .opts<{ partners: string; minMs: string; keep?: boolean }>();
const partners = Number(o.partners);
const e = await openEnv('explain', { keep: Boolean(o.keep) });
const plans: { ms: number; query: string; plan: string }[] = [];
let capture = false;
const pool = new pg.Pool({ connectionString: e.url, max: 1, types: tierlineTypes });
pool.on('connect', (client) => {
  client.on('notice', (n) => {
    if (!capture || !n.message?.includes('duration:')) return;
    const ms = Number(/duration: ([\d.]+) ms/.exec(n.message)?.[1] ?? 0);
    plans.push({ ms, query: /Query Text: (.*)/.exec(n.message)?.[1]?.slice(0, 200) ?? '', plan: n.message });
  });
  void client.query(
    `load 'auto_explain'; set auto_explain.log_min_duration = ${Number(o.minMs)}; ` +
      `set auto_explain.log_analyze = on; set auto_explain.log_buffers = on; set auto_explain.log_level = notice`,
  );
});
const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
try {
  await writeFacts(e.db, {
    seed: 42,
    first: 1,
    last: partners,
    dealsPerPartner: 100,
    certificationsPerPartner: 10,
    invoiceMonths: 12,
    until: AS_OF,
  });
  await sql`vacuum analyze`.execute(e.db);
  const ids = Array.from({ length: partners }, (_, i) => partnerId(i + 1));
  const chunks = (): string[][] =>
    Array.from({ length: Math.ceil(partners / 500) }, (_, i) => ids.slice(i * 500, i * 500 + 500));
  for (const c of chunks()) await nightlyChunk(db, e.program, c, dayOrThrow(AS_OF));
  await sql`analyze`.execute(e.db);
  capture = true;
  let due = 0;
  for (const c of chunks()) due += (await nightlyChunk(db, e.program, c, dayOrThrow(AS_OF) + 1)).partners;
  capture = false;
  console.log(`plain night: ${due} of ${partners} partners recomputed; ${plans.length} plans over ${o.minMs} ms`);
  for (const p of plans.sort((a, b) => b.ms - a.ms).slice(0, 6)) console.log(`\n--- ${p.ms} ms\n${p.plan}`);
} finally {
  await db.destroy();
  await e.close();
}
