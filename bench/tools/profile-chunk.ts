// Profiles one nightly chunk in this process (run with node --cpu-prof): a fresh database
// with `--partners` partners of `--deals-per-partner` deals (tools/generate/facts-sql.ts),
// then recomputePartners over them twice (the first run after a load, then the steady one),
// printing the wall time of each and how it splits between reading facts, the engine, and
// writing.   npx tsx --cpu-prof --cpu-prof-dir bench/out/prof bench/tools/profile-chunk.ts
import { Command } from 'commander';
import { sql } from 'kysely';
import { dayOrThrow } from '../../domain/dates.ts';
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
    const s = await recomputePartners(e.db, e.program, ids, dayOrThrow(AS_OF));
    console.log(
      `${run}: ${partners} partners in ${round(t(), 2)} s (${round((t() * 1000) / partners, 2)} ` +
        `ms each), ledger ${s.ledgerEntries}, decisions ${s.decisions}`,
    );
  }
} finally {
  await e.close();
}
