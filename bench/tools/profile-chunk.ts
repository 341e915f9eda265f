// Profiles one nightly chunk in this process (run with node --cpu-prof): a fresh database
// with `--partners` partners of `--deals-per-partner` deals (tools/generate/facts-sql.ts),
// then recomputePartners over them twice (the first run after a load, then the steady one),
// then a nightly chunk for the next day after every 100th partner got a deal, printing the wall
// time and the CPU seconds of this process and of its Postgres backends for each.
//   npx tsx --cpu-prof --cpu-prof-dir bench/out/prof bench/tools/profile-chunk.ts
import { Command } from 'commander';
import { sql } from 'kysely';
import { dayOrThrow } from '../../domain/dates.ts';
import { nightlyChunk } from '../../services/recompute/nightly.ts';
import { cpuMeter } from '../lib/cpu-seconds.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { AS_OF, openEnv } from '../lib/env.ts';
import { round, stopwatch } from '../lib/stats.ts';

const o = new Command()
  .option('--partners <n>', 'partners', '500')
  .option('--deals-per-partner <n>', 'deals per partner', '100')
  .option('--keep', 'keep the database')
  .parse()
  .opts<{ partners: string; dealsPerPartner: string; keep?: boolean }>();
const partners = Number(o.partners);
const e = await openEnv('profile', { keep: Boolean(o.keep) });
try {
  await writeFacts(e.db, {
    seed: 42,
    first: 1,
    last: partners,
    dealsPerPartner: Number(o.dealsPerPartner),
    certificationsPerPartner: 10,
    invoiceMonths: 12,
    until: AS_OF,
  });
  await sql`vacuum analyze`.execute(e.db);
  const ids = Array.from({ length: partners }, (_, i) => partnerId(i + 1));
  for (const run of ['first', 'steady', 'steady']) {
    const t = stopwatch();
    const cpu = await cpuMeter(e.db, [process.pid]);
    const s = await recomputePartners(e.db, e.program, ids, dayOrThrow(AS_OF));
    console.log(
      `${run}: ${partners} partners in ${round(t(), 2)} s (${round((t() * 1000) / partners, 2)} ` +
        `ms each), ledger ${s.ledgerEntries}, decisions ${s.decisions}, CPU ${JSON.stringify(await cpu())}`,
    );
  }
  await sql`
    with changed as (select 'P-' || lpad(p::text, 6, '0') as partner_id from generate_series(100, ${partners}, 100) p),
    deals as (
      insert into deals (partner_id, deal_id, version, stage, amount, currency, customer_id, registered_at, closed_at,
                         source, event_id)
      select partner_id, 'D-steady', 1, 'closed_won', 25000, 'USD', 'C-steady', ${AS_OF}::date, ${AS_OF}::date, 'crm',
             'crm-steady-' || partner_id
      from changed returning partner_id)
    insert into recompute_requests (partner_id, from_day, trigger_event_ids, requested_at)
    select partner_id, ${AS_OF}::date, array['crm:crm-steady'], clock_timestamp() from deals`.execute(e.db);
  const t = stopwatch();
  const cpu = await cpuMeter(e.db, [process.pid]);
  const night = await nightlyChunk(e.db, e.program, ids, dayOrThrow(AS_OF) + 1);
  console.log(
    `steady night: ${night.partners} recomputed, ${night.notDue} not due in ${round(t(), 2)} s, CPU ${JSON.stringify(await cpu())}`,
  );
} finally {
  await e.close();
}
