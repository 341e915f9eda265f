// Deal-to-scorecard latency on an idle system (issue #4): a partner with a long history, the
// workers in a separate process, one deal closing at a time; measures enqueue → the
// recomputed scorecard committed. Writes bench/out/latency.json.
//   npx tsx bench/latency.ts [--deals-in-history 2000] [--samples 30]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { sql } from 'kysely';
import { Command } from 'commander';
import { createDb, ensureDatabase, withDatabase } from '../db/connect.ts';
import { databaseUrl } from '../config/urls.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { applyEventBatch } from '../services/ingest/batch.ts';
import { storeProgramVersions } from '../services/programs.ts';
import { JOBS, QUEUES } from '../queues/catalog.ts';
import { checkRedis, openRedis, queueSettings } from '../queues/connection.ts';
import { closeQueues, enqueueMany, openQueues } from '../queues/queues.ts';
import { loadProgramTexts } from '../domain/program/load.ts';
import { readFileSync } from 'node:fs';

const opts = new Command()
  .option('--deals-in-history <n>', 'deals already in the partner history', '2000')
  .option('--samples <n>', 'deals to close', '30')
  .parse()
  .opts<{ dealsInHistory: string; samples: string }>();
const AS_OF = '2026-11-23';
const url = withDatabase(databaseUrl(), `tierline_bench_latency`);
const prefix = `{tlbench-${Date.now()}}`;
const env = {
  ...process.env,
  DATABASE_URL: url,
  TIERLINE_QUEUE_PREFIX: prefix,
  TIERLINE_TODAY: AS_OF,
  LOG_LEVEL: 'warn',
};

const admin = createDb(withDatabase(url, 'postgres'), { max: 1 });
await sql`drop database if exists tierline_bench_latency with (force)`.execute(admin);
await admin.destroy();
await ensureDatabase(url);
const db = createDb(url, { max: 4 });
await migrateToLatest(db);
const loaded = loadProgramTexts([{ name: 'acme', text: readFileSync('examples/acme/program.json', 'utf8') }]);
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const program = loaded.value;
await db.transaction().execute((trx) =>
  storeProgramVersions(
    trx,
    program.versions.map((v) => v.program),
  ),
);
const ctx = { currency: program.currency, timezone: program.timezone };
const partnerId = 'P-LONG';
const history: string[] = [
  JSON.stringify({
    id: 'p',
    source: 'crm',
    type: 'partner.upserted',
    occurredAt: `${AS_OF}T00:00:00Z`,
    partnerId,
    data: { name: 'Long History Ltd', partnerType: 'reseller', contacts: [], version: 1 },
  }),
];
const n = Number(opts.dealsInHistory);
for (let i = 0; i < n; i++) {
  const day = new Date(Date.UTC(2024, 0, 1) + Math.floor((i / n) * 1_000) * 86_400_000).toISOString().slice(0, 10);
  history.push(
    JSON.stringify({
      id: `h${i}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: `${day}T00:00:00Z`,
      partnerId,
      data: {
        dealId: `H${i}`,
        stage: 'closed_won',
        amount: '1234.56',
        currency: 'USD',
        customerId: `C${i % 97}`,
        closedAt: day,
        version: 1,
      },
    }),
  );
}
for (let i = 0; i < history.length; i += 1_000)
  await applyEventBatch(
    db,
    ctx,
    history.slice(i, i + 1_000).map((raw) => ({ raw })),
  );

const settings = { ...queueSettings(env), prefix };
const connection = openRedis(settings, 'producer');
await checkRedis(connection, settings);
const queues = openQueues(connection, prefix);
const workers = spawn(process.execPath, ['bin/tierline.js', 'workers', '--only', 'ingest,recompute'], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
});
// First recompute of the long history, so the samples measure the incremental case.
await enqueueMany(queues, JOBS.recomputePartner, QUEUES.recompute, [{ partnerId, requestedAt: '1' }]);
const computedAt = async (): Promise<number> => {
  const row = await sql<{
    t: string | null;
  }>`select (extract(epoch from computed_at) * 1000)::text as t from scorecards where partner_id = ${partnerId}`.execute(
    db,
  );
  return Number(row.rows[0]?.t ?? 0);
};
while ((await computedAt()) === 0) await new Promise((r) => setTimeout(r, 20));

const samples: number[] = [];
for (let i = 0; i < Number(opts.samples); i++) {
  const before = await computedAt();
  const raw = JSON.stringify({
    id: `live${i}`,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${AS_OF}T12:00:00Z`,
    partnerId,
    data: { dealId: `L${i}`, stage: 'closed_won', amount: '50000.00', currency: 'USD', closedAt: AS_OF, version: 1 },
  });
  const started = performance.now();
  await enqueueMany(queues, JOBS.ingestEvents, QUEUES.crm, [
    { events: [{ raw, receivedAt: new Date().toISOString() }], origin: 'http', runId: `bench-${i}` },
  ]);
  for (;;) {
    const t = await computedAt();
    if (t > before) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  samples.push(performance.now() - started);
  await new Promise((r) => setTimeout(r, 100));
}
samples.sort((a, b) => a - b);
const pct = (p: number): number =>
  Math.round((samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))] ?? 0) * 10) / 10;
const result = {
  dealsInHistory: n,
  samples: samples.length,
  latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) },
};
mkdirSync('bench/out', { recursive: true });
writeFileSync('bench/out/latency.json', `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result));
workers.kill('SIGTERM');
await once(workers, 'exit');
await closeQueues(queues);
const keys = await connection.keys(`${prefix}*`);
if (keys.length > 0) await connection.del(...keys);
await connection.quit();
await db.destroy();
