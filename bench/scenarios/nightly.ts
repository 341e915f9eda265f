// `nightly` and `incremental`: one database grown in two steps. First the small population
// (smallDeals deals) is loaded, recomputed, and one partner's deal-close latency sampled;
// then the rest is loaded (deals in all) and `recompute --all` is timed right after the load
// and forced (`--full`, every partner re-evaluated) for the same day, against one SQL GROUP BY
// computing the same metrics, and the same partner is sampled again. The sampled partner's
// history is identical in both steps: only the table sizes change. Last, the steady night:
// 1% of the partners get a new deal (and owe a recompute), and `recompute --all` runs for the
// next day, recomputing only the partners that are due.
import { mkdirSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { partnerId, writeFacts } from '../../tools/generate/facts-sql.ts';
import { AS_OF, openEnv, recomputeAll, sleep, startWorkers, stopAll, type BenchEnv } from '../lib/env.ts';
import { cpuMeter } from '../lib/cpu-seconds.ts';
import { latencySummary, round, stopwatch } from '../lib/stats.ts';

export interface NightlyOptions {
  partners: number;
  deals: number;
  smallDeals: number;
  certifications: number;
  invoiceMonths: number;
  samples: number;
  recomputeProcesses: number;
  seed: number;
  keep: boolean;
  plansDir?: string | undefined;
  log(line: string): void;
}

export interface NightlyResult {
  nightly: {
    partners: number;
    deals: number;
    certifications: number;
    invoices: number;
    loadSeconds: number;
    /** The forced full run (`recompute --all --full`) for the day after the first run. */
    seconds: number;
    /** The night after 1% of partners had a change: `recompute --all` for the next day. */
    steadySeconds: number;
    /** Partners the steady night re-evaluated (due or owing), and left as of an earlier day (not due). */
    steadyRecomputed: number;
    steadyNotDue: number;
    /**
     * CPU seconds (user + system, /proc) of the worker processes and of the database's Postgres
     * backends during the forced full run, the steady night and the SQL baseline: robust to a
     * loaded machine, unlike the wall times.
     */
    cpu: {
      fullProcessSeconds: number;
      fullPostgresSeconds: number;
      steadyProcessSeconds: number;
      steadyPostgresSeconds: number;
      sqlBaselinePostgresSeconds: number;
      /** (process + Postgres) CPU of the run ÷ the SQL baseline's Postgres CPU. */
      fullRatio: number;
      steadyRatio: number;
      /** Process + Postgres CPU ms per partner of the forced full run. */
      fullMsPerPartner: number;
    };
    firstRunSeconds: number;
    sqlBaselineSeconds: number;
    peakRssMb: number;
    peakRssByProcessMb: Record<string, number>;
    recomputeProcesses: number;
    smallRunSeconds: number;
  };
  incremental: {
    smallDeals: number;
    largeDeals: number;
    smallP50Ms: number;
    largeP50Ms: number;
    smallP99Ms: number;
    largeP99Ms: number;
    samples: number;
    partnerDeals: number;
  };
}

const SAMPLED = partnerId(1);
/** The steady night: the day after AS_OF. */
const NEXT_DAY = formatDay(dayOrThrow(AS_OF) + 1);

/**
 * Every 100th partner gets a new closed deal dated AS_OF and owes a recompute for it, as an
 * ingest batch leaves them (facts and request in one transaction). Returns how many.
 */
async function changeOnePercent(e: BenchEnv, partners: number): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    with changed as (select 'P-' || lpad(p::text, 6, '0') as partner_id, p
                     from generate_series(100, ${partners}, 100) p),
    deals as (
      insert into deals (partner_id, deal_id, version, stage, amount, currency, customer_id, registered_at, closed_at,
                         source, event_id)
      select partner_id, 'D-steady', 1, 'closed_won', 25000, 'USD', 'C-steady', ${AS_OF}::date, ${AS_OF}::date, 'crm',
             'crm-steady-' || p
      from changed returning partner_id)
    insert into recompute_requests (partner_id, from_day, trigger_event_ids, requested_at)
    select partner_id, ${AS_OF}::date, array['crm:crm-steady'], clock_timestamp() from deals
    on conflict (partner_id) do update set from_day = least(recompute_requests.from_day, excluded.from_day),
      requested_at = excluded.requested_at
    returning (select count(*) from changed)::text as n`.execute(e.db);
  return Number(rows[0]?.n ?? 0);
}

/** Metrics of the acme program for every partner as of AS_OF, in one statement. */
export function sqlBaseline(asOf: string) {
  return sql<{ partners: string; revenue: string | null }>`
    with d as (
      select partner_id,
        sum(amount * coalesce(fx_rate, 1)) filter (where stage = 'closed_won'
          and closed_at > ${asOf}::date - interval '12 months' and closed_at <= ${asOf}::date) as revenue12m,
        count(distinct customer_id) filter (where stage = 'closed_won'
          and closed_at > ${asOf}::date - interval '12 months' and closed_at <= ${asOf}::date) as new_customers12m,
        count(*) filter (where registered_at > ${asOf}::date - interval '12 months' and registered_at <= ${asOf}::date) as registrations12m
      from deals group by partner_id),
    i as (
      select partner_id, sum(amount * coalesce(fx_rate, 1))
        filter (where recurring and booked_at >= date_trunc('month', ${asOf}::date) and booked_at <= ${asOf}::date) as mrr
      from invoices group by partner_id),
    c as (
      select partner_id,
        count(distinct person_id) filter (where certification_id in ('sales-associate', 'sales-expert')) as sales_certified,
        count(distinct person_id) filter (where certification_id = 'tech-expert') as tech_certified
      from certifications_earned
      where earned_at <= ${asOf}::date and (expires_at is null or expires_at > ${asOf}::date)
      group by partner_id),
    m as (
      select p.partner_id, d.revenue12m, d.new_customers12m, d.registrations12m, i.mrr, c.sales_certified, c.tech_certified
      from partners p left join d using (partner_id) left join i using (partner_id) left join c using (partner_id))
    select count(*)::text as partners, sum(revenue12m)::text as revenue from m`;
}

async function sample(e: BenchEnv, n: number, tag: string): Promise<number[]> {
  const version = async (): Promise<string> => {
    const r = await sql<{ v: string }>`select xmin::text as v from scorecards where partner_id = ${SAMPLED}`.execute(
      e.db,
    );
    return r.rows[0]?.v ?? '';
  };
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = await version();
    const raw = JSON.stringify({
      id: `bench-${tag}-${i}`,
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: `${AS_OF}T12:00:00Z`,
      partnerId: SAMPLED,
      data: {
        dealId: `L-${tag}-${i}`,
        stage: 'closed_won',
        amount: '25000.00',
        currency: 'USD',
        customerId: `C-${i}`,
        registeredAt: AS_OF,
        closedAt: AS_OF,
        version: 1,
      },
    });
    const started = performance.now();
    await enqueueMany(e.queues, JOBS.ingestEvents, QUEUES.crm, [
      { events: [{ raw, receivedAt: new Date().toISOString() }], origin: 'http', runId: `bench-${tag}-${i}` },
    ]);
    while ((await version()) === before) await sleep(1);
    out.push(performance.now() - started);
    await sleep(50);
  }
  return out;
}

async function explainHotQueries(e: BenchEnv, dir: string, suffix: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const chunk = Array.from({ length: 500 }, (_, i) => partnerId(i + 1));
  const plans: Record<string, string> = {
    'chunk-deals': `explain (analyze, buffers) select * from deals where partner_id = any('{${chunk.join(',')}}') order by received_seq`,
    'partner-deals': `explain (analyze, buffers) select * from deals where partner_id = '${SAMPLED}' order by received_seq`,
    'partner-ledger':
      `explain (analyze, buffers) select deal_id, benefit, closed_at, sum(amount)::text, count(*)::text ` +
      `from ledger_entries where partner_id = '${SAMPLED}' group by deal_id, benefit, closed_at`,
    'partner-decisions': `explain (analyze, buffers) select day, previous_tier, new_tier from decisions where partner_id = '${SAMPLED}'`,
    'partner-history':
      `explain (analyze, buffers) select id, valid_from from effective_tier_history ` +
      `where partner_id = '${SAMPLED}' and superseded_at is null order by valid_from`,
    'partner-list-page':
      `explain (analyze, buffers) with recursive p(partner_id) as ((select partner_id from ` +
      `inbox order by partner_id limit 1) union all select (select i.partner_id from inbox ` +
      `i where i.partner_id > p.partner_id order by i.partner_id limit 1) from p where ` +
      `p.partner_id is not null) select partner_id from p where partner_id is not null limit 500`,
  };
  for (const [name, text] of Object.entries(plans)) {
    // eslint-disable-next-line no-restricted-properties -- EXPLAIN of fixed statements built from generated partner ids
    const r = await sql.raw<{ 'QUERY PLAN': string }>(text).execute(e.db);
    writeFileSync(
      `${dir}/${name}-${suffix}.txt`,
      `-- ${text.length > 300 ? `${text.slice(0, 300)}…` : text}\n${r.rows.map((row) => row['QUERY PLAN']).join('\n')}\n`,
    );
  }
  // eslint-disable-next-line no-restricted-properties -- EXPLAIN needs the literal day in place of the parameters
  const baseline = await sql
    .raw<{ 'QUERY PLAN': string }>(
      `explain (analyze, buffers) ${sqlBaseline(AS_OF).compile(e.db).sql.replace(/\$\d+/g, `'${AS_OF}'`)}`,
    )
    .execute(e.db);
  writeFileSync(`${dir}/sql-baseline-${suffix}.txt`, `${baseline.rows.map((row) => row['QUERY PLAN']).join('\n')}\n`);
}

export async function runNightly(o: NightlyOptions): Promise<NightlyResult> {
  const perPartner = Math.max(1, Math.round(o.deals / o.partners));
  const smallPartners = Math.max(1, Math.round(o.smallDeals / perPartner));
  const certsPerPartner = Math.max(1, Math.round(o.certifications / o.partners));
  const e = await openEnv('nightly', { keep: o.keep });
  const peaks: Record<string, number> = {};
  const keepPeak = (label: string, mb: number): void => {
    peaks[label] = Math.max(peaks[label] ?? 0, mb);
  };
  const roles = [...Array.from({ length: o.recomputeProcesses }, () => 'recompute'), 'ingest'];
  try {
    const facts = {
      seed: o.seed,
      dealsPerPartner: perPartner,
      certificationsPerPartner: certsPerPartner,
      invoiceMonths: o.invoiceMonths,
      until: AS_OF,
    };
    let elapsed = stopwatch();
    const small = await writeFacts(e.db, { ...facts, first: 1, last: smallPartners });
    await sql`analyze`.execute(e.db);
    o.log(`nightly: loaded ${smallPartners} partners, ${small.deals} deals in ${round(elapsed())} s`);
    // The same processes throughout: their peak memory is that of the largest run.
    const workers = await startWorkers(e.env, roles);
    const smallRun = await recomputeAll(e);
    o.log(`nightly: small population recomputed in ${smallRun.seconds} s`);
    await sample(e, 3, 'warm-small');
    const smallSamples = await sample(e, o.samples, 'small');
    o.log(`incremental: ${o.samples} samples at ${small.deals} deals`);

    elapsed = stopwatch();
    const rest =
      smallPartners < o.partners
        ? await writeFacts(e.db, { ...facts, first: smallPartners + 1, last: o.partners })
        : { partners: 0, deals: 0, certifications: 0, invoices: 0 };
    await sql`vacuum analyze`.execute(e.db);
    const loadSeconds = round(elapsed(), 1);
    const totals = {
      partners: small.partners + rest.partners,
      deals: small.deals + rest.deals,
      certifications: small.certifications + rest.certifications,
      invoices: small.invoices + rest.invoices,
    };
    o.log(
      `nightly: loaded ${totals.partners} partners, ${totals.deals} deals, ${totals.certifications} ` +
        `certifications, ${totals.invoices} invoices (${loadSeconds} s for the second step)`,
    );

    const first = await recomputeAll(e);
    o.log(`nightly: first run after the load ${first.seconds} s ${JSON.stringify(first.result)}`);
    const pids = workers.map((w) => w.process.pid);
    let meter = await cpuMeter(e.db, pids);
    const steady = await recomputeAll(e, { full: true });
    const fullCpu = await meter();
    o.log(`nightly: forced full run (--full) ${steady.seconds} s, CPU ${JSON.stringify(fullCpu)}`);
    meter = await cpuMeter(e.db, []);
    elapsed = stopwatch();
    const baseline = await sqlBaseline(AS_OF).execute(e.db);
    const sqlSeconds = round(elapsed(), 2);
    const sqlCpu = await meter();
    o.log(
      `nightly: SQL baseline ${sqlSeconds} s (${baseline.rows[0]?.partners} partners), CPU ${JSON.stringify(sqlCpu)}`,
    );
    await sample(e, 3, 'warm-large');
    const largeSamples = await sample(e, o.samples, 'large');
    o.log(`incremental: ${o.samples} samples at ${totals.deals} deals`);
    const changed = await changeOnePercent(e, totals.partners);
    meter = await cpuMeter(e.db, pids);
    const night = await recomputeAll(e, { asOf: NEXT_DAY });
    const steadyCpu = await meter();
    const counted = night.result as { partners?: number; notDue?: number };
    o.log(
      `nightly: steady night ${NEXT_DAY} after ${changed} partners changed ${night.seconds} s ${JSON.stringify(night.result)}` +
        `, CPU ${JSON.stringify(steadyCpu)}`,
    );
    for (const [k, v] of Object.entries(await stopAll(workers))) keepPeak(k, v);
    if (o.plansDir) await explainHotQueries(e, o.plansDir, `${totals.deals}-deals`);

    const s = latencySummary(smallSamples);
    const l = latencySummary(largeSamples);
    return {
      nightly: {
        ...totals,
        loadSeconds,
        seconds: steady.seconds,
        steadySeconds: night.seconds,
        steadyRecomputed: counted.partners ?? 0,
        steadyNotDue: counted.notDue ?? 0,
        cpu: {
          fullProcessSeconds: fullCpu.processes,
          fullPostgresSeconds: fullCpu.postgres,
          steadyProcessSeconds: steadyCpu.processes,
          steadyPostgresSeconds: steadyCpu.postgres,
          sqlBaselinePostgresSeconds: sqlCpu.postgres,
          fullRatio: round((fullCpu.processes + fullCpu.postgres) / Math.max(sqlCpu.postgres, 0.01), 2),
          steadyRatio: round((steadyCpu.processes + steadyCpu.postgres) / Math.max(sqlCpu.postgres, 0.01), 2),
          fullMsPerPartner: round(((fullCpu.processes + fullCpu.postgres) * 1000) / Math.max(totals.partners, 1), 2),
        },
        firstRunSeconds: first.seconds,
        sqlBaselineSeconds: sqlSeconds,
        peakRssMb: Math.max(...Object.values(peaks)),
        peakRssByProcessMb: peaks,
        recomputeProcesses: o.recomputeProcesses,
        smallRunSeconds: smallRun.seconds,
      },
      incremental: {
        smallDeals: small.deals,
        largeDeals: totals.deals,
        smallP50Ms: s.p50,
        largeP50Ms: l.p50,
        smallP99Ms: s.p99,
        largeP99Ms: l.p99,
        samples: o.samples,
        partnerDeals: perPartner,
      },
    };
  } finally {
    await e.close();
  }
}
