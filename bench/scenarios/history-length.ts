// `incremental` by history length: two partners with the same recent activity (`recentDeals`
// deals over the last two years, as tools/generate/facts-sql.ts writes them, certifications and
// monthly invoices), one of which also has `longDeals − recentDeals` older closed deals over the
// ten years before. Both computed first (a nightly run); then deal closings of the as-of day,
// one event each, alternately for each partner, timed until its scorecard row changes (xmin).
// A recompute whose cost followed the whole history would be ~100× slower for the long one.
import { sql } from 'kysely';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import { AS_OF, openEnv, recomputeAll, sleep, startWorkers, stopAll, type BenchEnv } from '../lib/env.ts';
import { latencySummary } from '../lib/stats.ts';

export interface HistoryLengthOptions {
  recentDeals: number;
  longDeals: number;
  samples: number;
  seed: number;
  keep: boolean;
  log(line: string): void;
}

export interface HistoryLengthResult {
  shortHistoryDeals: number;
  longHistoryDeals: number;
  shortHistoryP50Ms: number;
  longHistoryP50Ms: number;
  shortHistoryP99Ms: number;
  longHistoryP99Ms: number;
  historySamples: number;
}

const SHORT = partnerId(1);
const LONG = partnerId(2);

async function olderDeals(e: BenchEnv, count: number): Promise<void> {
  if (count <= 0) return;
  await sql`
    insert into deals (partner_id, deal_id, version, stage, amount, currency, customer_id, registered_at, closed_at,
                       source, event_id)
    select ${LONG}, 'OLD-' || k, 1, 'closed_won', (1000 + (k * 7919) % 20000)::numeric(12, 2), 'USD',
           'C-OLD-' || (k % 300), ${AS_OF}::date - 760 - (k * 3650 / ${count})::int,
           ${AS_OF}::date - 730 - (k * 3650 / ${count})::int, 'crm', 'crm-old-' || k
    from generate_series(1, ${count}) k`.execute(e.db);
}

async function closeDeal(e: BenchEnv, partner: string, tag: string): Promise<number> {
  const version = async (): Promise<string> =>
    (await sql<{ v: string }>`select xmin::text as v from scorecards where partner_id = ${partner}`.execute(e.db))
      .rows[0]?.v ?? '';
  const before = await version();
  const raw = JSON.stringify({
    id: `bench-${tag}`,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${AS_OF}T12:00:00Z`,
    partnerId: partner,
    data: {
      dealId: `H-${tag}`,
      stage: 'closed_won',
      amount: '25000.00',
      currency: 'USD',
      customerId: `C-${tag}`,
      registeredAt: AS_OF,
      closedAt: AS_OF,
      version: 1,
    },
  });
  const started = performance.now();
  await enqueueMany(e.queues, JOBS.ingestEvents, QUEUES.crm, [
    { events: [{ raw, receivedAt: new Date().toISOString() }], origin: 'http', runId: `bench-${tag}` },
  ]);
  while ((await version()) === before) await sleep(1);
  return performance.now() - started;
}

export async function runHistoryLength(o: HistoryLengthOptions): Promise<HistoryLengthResult> {
  const e = await openEnv('history', { keep: o.keep });
  try {
    const facts = { seed: o.seed, dealsPerPartner: o.recentDeals, certificationsPerPartner: 10, invoiceMonths: 12 };
    await writeFacts(e.db, { ...facts, first: 1, last: 2, until: AS_OF });
    await olderDeals(e, o.longDeals - o.recentDeals);
    await sql`vacuum analyze`.execute(e.db);
    const workers = await startWorkers(e.env, ['recompute', 'ingest']);
    try {
      await recomputeAll(e);
      const short: number[] = [];
      const long: number[] = [];
      for (let i = -2; i < o.samples; i++) {
        const s = await closeDeal(e, SHORT, `short-${i}`);
        await sleep(50);
        const l = await closeDeal(e, LONG, `long-${i}`);
        await sleep(50);
        if (i < 0) continue; // warm-up
        short.push(s);
        long.push(l);
      }
      const s = latencySummary(short);
      const l = latencySummary(long);
      o.log(`incremental: ${o.samples} closings each, ${o.recentDeals} vs ${o.longDeals} deals of history`);
      return {
        shortHistoryDeals: o.recentDeals,
        longHistoryDeals: o.longDeals,
        shortHistoryP50Ms: s.p50,
        longHistoryP50Ms: l.p50,
        shortHistoryP99Ms: s.p99,
        longHistoryP99Ms: l.p99,
        historySamples: o.samples,
      };
    } finally {
      await stopAll(workers);
    }
  } finally {
    await e.close();
  }
}
