// The e2e scenario's per-event work in this process, with its CPU split: a fresh database
// with the e2e partners (1,000 × 20 deals, all computed), then rounds of `--batch` deal
// closings for random partners, each round ingested as one batch (the ingest service the
// worker calls) and the woken partners recomputed as one wake-up batch (the recompute
// service). Prints CPU ms per event of this process and of its Postgres backends, for the
// ingest and the recompute halves; no queue, so BullMQ's share is left out.
//   npx tsx bench/tools/profile-wake.ts [--rounds 30] [--batch 80]
//   npx tsx bench/tools/profile-wake.ts --profile bench/out/wake.cpuprofile   (the counted rounds only)
import { writeFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { Command } from 'commander';
import { Kysely, PostgresDialect, sql, type LogEvent } from 'kysely';
import pg from 'pg';
import { tierlineTypes } from '../../db/type-parsers.ts';
import type { DB } from '../../db/types.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { applyEventBatch } from '../../services/ingest/batch.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { recomputeWakes } from '../../services/recompute/wakes.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import { processCpuMs } from '../lib/cpu.ts';
import { AS_OF, openEnv } from '../lib/env.ts';
import { round } from '../lib/stats.ts';

const o = new Command()
  .option('--partners <n>', 'partners', '1000')
  .option('--rounds <n>', 'rounds', '30')
  .option('--batch <n>', 'events per round (one ingest batch, one wake-up batch)', '80')
  .option('--warmup <n>', 'rounds not counted', '5')
  .option('--keep', 'keep the database')
  .option('--profile <file>', 'write a CPU profile of the counted rounds')
  .option('--statements', "split the Postgres CPU by statement (reads the backends' CPU after each one)")
  .parse()
  .opts<{
    partners: string;
    rounds: string;
    batch: string;
    warmup: string;
    keep?: boolean;
    profile?: string;
    statements?: boolean;
  }>();
const partners = Number(o.partners);
const e = await openEnv('wake', { keep: Boolean(o.keep) });

// The services run on a database of one connection (so its backend's CPU is theirs), logged
// per statement with --statements.
const backend = { pid: 0, lastMs: 0, counting: false };
const byStatement = new Map<string, { n: number; ms: number }>();
const statementKey = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .replace(/\(\$\d+(, \$\d+)*\)(, \(\$\d+(, \$\d+)*\))*/g, '(…)')
    .slice(0, 90);
const db = new Kysely<DB>({
  dialect: new PostgresDialect({
    pool: new pg.Pool({ connectionString: e.url, max: 1, types: tierlineTypes }),
  }),
  log: (event: LogEvent) => {
    if (!o.statements || !backend.counting || backend.pid === 0) return;
    const now = processCpuMs(backend.pid) ?? backend.lastMs;
    const key = statementKey(event.query.sql);
    const s = byStatement.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += now - backend.lastMs;
    byStatement.set(key, s);
    backend.lastMs = now;
  },
});

/** CPU ms of this process and of the services' backend. */
function cpuNow(): { node: number; pg: number } {
  const usage = process.cpuUsage();
  const pgMs = processCpuMs(backend.pid) ?? 0;
  backend.lastMs = pgMs;
  return { node: (usage.user + usage.system) / 1000, pg: pgMs };
}

let seq = 0;
function dealEvent(h: number): string {
  const i = seq++;
  return JSON.stringify({
    id: `wake-${i}`,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${AS_OF}T12:00:00Z`,
    partnerId: partnerId(1 + (h % partners)),
    data: {
      dealId: `W-${i}`,
      stage: 'closed_won',
      amount: `${1_000 + (h % 49_000)}.00`,
      currency: 'USD',
      customerId: `C-${h % 400}`,
      registeredAt: AS_OF,
      closedAt: AS_OF,
      version: 1,
    },
  });
}

const session = new inspector.Session();
const post = (method: string): Promise<unknown> =>
  new Promise((resolve, reject) => session.post(method, (error, result) => (error ? reject(error) : resolve(result))));

try {
  await writeFacts(e.db, {
    seed: 42,
    first: 1,
    last: partners,
    dealsPerPartner: 20,
    certificationsPerPartner: 5,
    invoiceMonths: 12,
    until: AS_OF,
  });
  await sql`analyze`.execute(e.db);
  const ids = Array.from({ length: partners }, (_, i) => partnerId(i + 1));
  const asOf = dayOrThrow(AS_OF);
  await recomputePartners(e.db, e.program, ids, asOf);
  backend.pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0]?.pid ?? 0;
  const ctx = { currency: e.program.currency, timezone: e.program.timezone };
  const totals = { ingestNode: 0, ingestPg: 0, recomputeNode: 0, recomputePg: 0, events: 0, recomputed: 0 };
  let h = 12_345;
  for (let round_ = 0; round_ < Number(o.rounds) + Number(o.warmup); round_++) {
    const raws = Array.from({ length: Number(o.batch) }, () => {
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
      return dealEvent(h);
    });
    if (round_ === Number(o.warmup) && o.profile) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    }
    backend.counting = round_ >= Number(o.warmup);
    const a = cpuNow();
    const result = await applyEventBatch(
      db,
      ctx,
      raws.map((raw) => ({ source: 'crm' as const, raw })),
    );
    const b = cpuNow();
    const outcomes = await recomputeWakes(
      db,
      e.program,
      result.recompute.map((r) => ({ partnerId: r.partnerId, asOf: AS_OF, onlyIfOwed: true })),
    );
    const c = cpuNow();
    if (round_ < Number(o.warmup)) continue;
    totals.events += raws.length;
    totals.ingestNode += b.node - a.node;
    totals.ingestPg += b.pg - a.pg;
    totals.recomputeNode += c.node - b.node;
    totals.recomputePg += c.pg - b.pg;
    totals.recomputed += outcomes.filter((x) => x.ok && x.summary.partners > 0).length;
  }
  if (o.profile) {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(o.profile, JSON.stringify(profile));
  }
  const usage = process.cpuUsage();
  console.log(`this process so far: user ${round(usage.user / 1e6, 2)} s, system ${round(usage.system / 1e6, 2)} s`);
  if (o.statements) {
    const rows = [...byStatement].sort((x, y) => y[1].ms - x[1].ms);
    for (const [k, v] of rows)
      console.log(`${round(v.ms / totals.events, 3).toFixed(3)} ms/event  ${String(v.n).padStart(6)}×  ${k}`);
  }
  const per = (v: number): number => round(v / totals.events, 3);
  const perRecompute = (v: number): number => round(v / totals.recomputed, 3);
  console.log(
    JSON.stringify({
      events: totals.events,
      recomputed: totals.recomputed,
      msPerEvent: {
        ingestNode: per(totals.ingestNode),
        ingestPg: per(totals.ingestPg),
        recomputeNode: per(totals.recomputeNode),
        recomputePg: per(totals.recomputePg),
        total: per(totals.ingestNode + totals.ingestPg + totals.recomputeNode + totals.recomputePg),
      },
      msPerRecompute: {
        node: perRecompute(totals.recomputeNode),
        pg: perRecompute(totals.recomputePg),
      },
    }),
  );
} finally {
  await db.destroy();
  await e.close();
}
