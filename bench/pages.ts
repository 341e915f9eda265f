// `npm run bench:pages [-- --partners 100000] [--deals 100] [--samples 30] [--out bench/out/pages.json]`:
// server-side time of each web page (issue 18: ≤ 150 ms p95 with 100,000 partners and 10 M
// deals). A fresh database (bench/lib/env.ts) gets N partners with stored scorecards of every
// tier and status (a tenth with dated risks, a seventh one criterion short of promotion, one
// in a thousand in review, its review stored with it as the recompute does), an inbox row, a current history row and two decisions each, ten ledger entries
// each, `--deals` deals each (100: 10 M at 100,000 partners; four in five won, closed over
// the three years before the as-of day, so about a third fall in the partner page's
// 12-month "what counted" window) and 1,000 dead letters, written set-based in SQL. Each page
// is then requested through fastify's inject (the whole server: routing, auth, queries,
// templates), after warm-up, and timed; the JSON has p50/p95/max and the load average.
// Finance and what-if are background runs: the bench times their submission (POST, 303) and
// the pages of runs stored as a job stores them (one still computing, a finance run of every
// partner with its first 1,000 rows on the page, a what-if run with 200 movers).
// `--keep` keeps the database and prints its name; `--reuse NAME` times the pages again on it.
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/types.ts';
import { pino } from 'pino';
import { dayOrThrow } from '../domain/dates.ts';
import { signPartnerToken } from '../services/links.ts';
import { encodeCursor } from '../services/pages/console.ts';
import { FINANCE_SHOWN, MOVED_SHOWN } from '../services/pages/economics.ts';
import { finishConsoleReport, insertConsoleReport } from '../db/repositories/console-reports.ts';
import { encodeDealCursor } from '../services/pages/partner-page.ts';
import { buildServer } from '../workers/http/server.ts';
import { AS_OF, PROGRAM_FILE, openEnv } from './lib/env.ts';
import { latencySummary, round, stopwatch } from './lib/stats.ts';

const opts = new Command('bench:pages')
  .option('--partners <n>', 'partners with a scorecard', '100000')
  .option('--deals <n>', 'deals per partner', '100')
  .option('--samples <n>', 'timed requests per page', '30')
  .option('--out <file>', 'where the JSON goes', 'bench/out/pages.json')
  .option('--keep', 'keep the database')
  .option('--reuse <name>', 'a database kept by an earlier run: time the pages again, load nothing')
  .parse()
  .opts<{
    partners: string;
    deals: string;
    samples: string;
    out: string;
    keep?: boolean;
    reuse?: string;
  }>();

const samples = Number(opts.samples);
const load1 = (): number => round(os.loadavg()[0] ?? 0, 2);
const TARGET_P95_MS = 150;
const log = (line: string): void => {
  process.stderr.write(`[bench:pages ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const env = await openEnv('pages', { keep: opts.keep === true, ...(opts.reuse ? { name: opts.reuse } : {}) });
try {
  const db = env.db;
  const load = stopwatch();
  const loadAverageAtStart = load1();
  if (opts.reuse === undefined) await seed(db, Number(opts.partners), Number(opts.deals));
  const partners = Number(
    (await sql<{ n: string }>`select count(*)::text as n from partners`.execute(db)).rows[0]?.n ?? '0',
  );
  const deals = Number((await sql<{ n: string }>`select count(*)::text as n from deals`.execute(db)).rows[0]?.n ?? '0');
  log(
    `${opts.reuse ? 'reused' : 'loaded'} ${partners} partners and ${deals} deals in ${load().toFixed(1)} s (${env.name})`,
  );

  const adminToken = 'bench-admin-token-0123456789';
  const secret = 'bench-link-secret-0123456789';
  const app = buildServer({
    queues: env.queues,
    db,
    secrets: {},
    log: pino({ level: 'silent' }),
    adminToken,
    pages: { linkSecret: secret, publicUrl: 'http://bench', today: () => dayOrThrow(AS_OF) },
  });
  await app.ready();
  const runs = await storedRuns(db, partners);
  const middle = `P-${String(Math.floor(partners / 2)).padStart(6, '0')}`;
  const late = encodeCursor({
    key: `P-${String(partners - 60).padStart(6, '0')}`,
    id: `P-${String(partners - 60).padStart(6, '0')}`,
  });
  const lateByName = encodeCursor({ key: 'Partner 99', id: 'P-000099' });
  const partnerToken = signPartnerToken({ partnerId: middle, expiresOn: '2026-12-31' }, secret);
  const pages: Record<string, string> = {
    'partner page': `/p/${partnerToken}`,
    'partner page, what counted, a later page': `/p/${partnerToken}?deals=${encodeDealCursor({ day: '2026-05-01', id: 'D-' })}`,
    overview: '/console',
    'partners, first page': '/console/partners',
    'partners, a late page': `/console/partners?after=${late}`,
    'partners by name, a late page': `/console/partners?sort=name&after=${lateByName}`,
    'partners, search': '/console/partners?q=Partner%2099',
    'partners, search with no match': '/console/partners?q=zzzz',
    'partners, tier + status + at risk': '/console/partners?tier=gold&status=grace&risk=1',
    'partners, tier + status': '/console/partners?tier=silver&status=hold',
    'partners, tier + at risk': '/console/partners?tier=silver&risk=1',
    'partners, at risk by name': '/console/partners?risk=1&sort=name',
    'a partner': `/console/partners/${middle}`,
    'at risk': '/console/at-risk',
    'near promotion': '/console/near-promotion',
    overrides: '/console/overrides',
    'dead letters': '/console/dead-letters',
    programs: '/console/programs',
    reviews: '/console/reviews',
    'finance, no period chosen': '/console/finance',
    'what-if, the form': '/console/programs/whatif',
    'finance, a run still computing': `/console/finance/runs/${runs.queued}`,
    'finance, a finished run (1,000 rows shown)': `/console/finance/runs/${runs.finance}`,
    'what-if, a finished run': `/console/programs/whatif/runs/${runs.whatif}`,
  };
  const results: Record<string, ReturnType<typeof latencySummary> & { status: number; bytes: number }> = {};
  for (const [name, url] of Object.entries(pages)) {
    const headers = { authorization: `Bearer ${adminToken}` };
    let last = await app.inject({ url, headers });
    for (let i = 0; i < 3; i++) last = await app.inject({ url, headers });
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      last = await app.inject({ url, headers });
      times.push(performance.now() - started);
    }
    results[name] = { ...latencySummary(times), status: last.statusCode, bytes: last.body.length };
    log(`${name}: p50 ${results[name].p50} ms, p95 ${results[name].p95} ms (HTTP ${last.statusCode})`);
  }
  // Finance and what-if are computed by a background job (services/console-reports.ts); the
  // pages time the submission (validate, store the run, enqueue, 303) and the run's page.
  const program = JSON.parse(readFileSync(PROGRAM_FILE, 'utf8')) as { version: string };
  const draft = JSON.stringify({ ...program, version: '2027.2-draft' });
  const posts: Record<string, { url: string; payload: string }> = {
    'finance, submit a quarter': {
      url: '/console/finance',
      payload: new URLSearchParams({ period: '2026-Q3' }).toString(),
    },
    'what-if, submit a draft': { url: '/console/programs/whatif', payload: new URLSearchParams({ draft }).toString() },
  };
  for (const [name, request] of Object.entries(posts)) {
    const headers = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/x-www-form-urlencoded' };
    const send = () => app.inject({ method: 'POST', url: request.url, headers, payload: request.payload });
    let last = await send();
    for (let i = 0; i < 3; i++) last = await send();
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      last = await send();
      times.push(performance.now() - started);
    }
    results[name] = { ...latencySummary(times), status: last.statusCode, bytes: last.body.length };
    log(`${name}: p50 ${results[name].p50} ms, p95 ${results[name].p95} ms (HTTP ${last.statusCode})`);
  }
  await app.close();
  const output = {
    scenario: 'pages',
    database: opts.keep || opts.reuse ? env.name : undefined,
    partners,
    deals,
    samplesPerPage: samples,
    targetP95Ms: TARGET_P95_MS,
    loadAverage: { atStart: loadAverageAtStart, atEnd: load1() },
    pages: results,
    met: Object.values(results).every((r) => r.p95 <= TARGET_P95_MS && (r.status === 200 || r.status === 303)),
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} finally {
  await env.close();
}

/** The bench's data, set-based (see the top of this file). */
async function seed(db: Kysely<DB>, partners: number, dealsPerPartner: number): Promise<void> {
  const id = sql`'P-' || lpad(g::text, 6, '0')`;
  await sql`
    insert into partners (partner_id, name, partner_type, region, version, source_event_id)
    select ${id}, 'Partner ' || g || ' ' || md5(g::text), case when g % 3 = 0 then 'referral' else 'reseller' end,
           'EMEA', 1, 'seed-' || g
    from generate_series(1, ${partners}::int) g`.execute(db);
  // One inbox row each (their partner.upserted): finance lists the partners with an event.
  await sql`
    insert into inbox (source, event_id, partner_id, type, payload, payload_hash, outcome)
    select 'crm', 'seed-' || g, ${id}, 'partner.upserted', '{}'::jsonb, md5(g::text), 'accepted'
    from generate_series(1, ${partners}::int) g`.execute(db);
  await sql`
    insert into scorecards (partner_id, as_of, review, scorecard)
    select ${id}, ${AS_OF}::date,
      case when g % 1000 = 500 then jsonb_build_object('fromTier', 'silver', 'toTier', 'registered',
        'since', '2026-11-13', 'autoApprovesOn', '2026-11-27') end,
      jsonb_build_object(
      'partnerId', ${id}, 'asOf', ${AS_OF}::text, 'program', jsonb_build_object('id', 'acme', 'version', '2027.1'),
      'track', case when g % 3 = 0 then 'refer' else 'resell' end,
      'effectiveTier', case when g % 3 = 0 then (array['member','elite'])[1 + g % 2] else (array['registered','silver','gold'])[1 + g % 3] end,
      'qualifiedTier', case when g % 3 = 0 then 'member' else 'registered' end,
      'status', case when g % 1000 = 500 then 'review' else (array['qualified','qualified','qualified','grace','hold','override'])[1 + g % 6] end,
      'graceEndsOn', case when g % 6 = 3 then '2027-01-15' end,
      'metrics', jsonb_build_object('revenue12m', (g % 500000)::text || '.00'),
      'next', jsonb_build_object('tier', 'gold', 'unmet',
        case when g % 7 = 0 then jsonb_build_array(jsonb_build_object('path', 'allOf[0]', 'metric', 'revenue12m',
               'actual', '400000.00', 'required', '500000', 'shortBy', '100000.00'))
             else jsonb_build_array(
               jsonb_build_object('path', 'allOf[0]', 'metric', 'revenue12m', 'actual', '1.00', 'required', '500000', 'shortBy', '499999.00'),
               jsonb_build_object('path', 'allOf[1]', 'metric', 'salesCertified', 'actual', '0', 'required', '3', 'shortBy', '3')) end),
      'risks', case when g % 10 = 0 then jsonb_build_array(jsonb_build_object('kind', 'certification-expiring',
               'on', (date '2026-11-24' + (g % 60))::text, 'detail', 'certifications expire')) else '[]'::jsonb end,
      'benefits', jsonb_build_object('commissionRate', '0.05', 'mdfRate', '0.01'),
      'ledger', jsonb_build_object('commission', '1000.00', 'mdf', '200.00', 'rebate', '0.00'))
    from generate_series(1, ${partners}::int) g`.execute(db);
  await sql`
    insert into effective_tier_history (partner_id, valid_from, valid_to, tier_id, status, program_id, program_version)
    select ${id}, date '2025-01-01', null, 'silver', 'qualified', 'acme', '2027.1'
    from generate_series(1, ${partners}::int) g`.execute(db);
  await sql`
    insert into decisions (partner_id, day, previous_tier, new_tier, qualified_tier, program_id, program_version)
    select ${id}, ${AS_OF}::date - ((g * k) % 400), 'registered', 'silver', 'silver', 'acme', '2027.1'
    from generate_series(1, ${partners}::int) g, generate_series(1, 2) k`.execute(db);
  await sql`
    insert into ledger_entries (partner_id, deal_id, benefit, amount, currency, kind, closed_at, tier_id, rate)
    select ${id}, 'D-' || g || '-' || k, 'commission', '100.00', 'USD', 'accrual', ${AS_OF}::date - k, 'silver', '0.05'
    from generate_series(1, ${partners}::int) g, generate_series(1, 10) k`.execute(db);
  await sql`
    insert into dead_letters (source, event_id, raw, raw_hash, reason)
    select 'crm', 'e-' || g, convert_to('{"bad":' || g || '}', 'UTF8'), md5(g::text), to_jsonb('invalid event ' || g)
    from generate_series(1, 1000) g`.execute(db);
  // Deals, a slice of partners per statement (in partner order, as the indexes like it).
  const slice = 10_000;
  for (let first = 1; first <= partners && dealsPerPartner > 0; first += slice) {
    await sql`
      insert into deals (partner_id, deal_id, version, stage, amount, currency, customer_id, registered_at, closed_at, source, event_id)
      select ${id}, 'D-' || g || '-' || k, 1, case when k % 5 = 0 then 'closed_lost' else 'closed_won' end,
             ((g * k) % 50000) + 0.5, 'USD', 'C-' || (g * 7 + k) % 5000,
             ${AS_OF}::date - ((g * 37 + k * 11) % 1095) - 30, ${AS_OF}::date - ((g * 37 + k * 11) % 1095),
             'crm', 'seed-d-' || g || '-' || k
      from generate_series(${first}::int, ${Math.min(partners, first + slice - 1)}::int) g,
           generate_series(1, ${dealsPerPartner}::int) k
      order by 1, 2`.execute(db);
    log(`deals of partners up to ${Math.min(partners, first + slice - 1)}`);
  }
  // As autovacuum would have by then: statistics, and the visibility map index-only scans need.
  await sql`vacuum analyze`.execute(db);
}

/** Console runs as the console-report job stores them (ids fixed: a reused database has them). */
async function storedRuns(
  db: Kysely<DB>,
  partners: number,
): Promise<{ queued: string; finance: string; whatif: string }> {
  const ids = { queued: 'bench-queued', finance: 'bench-finance', whatif: 'bench-whatif' };
  const params = { period: '2026-Q3', asOf: AS_OF };
  const isNew = await insertConsoleReport(db, { id: ids.queued, kind: 'finance', params, requestedBy: 'bench' });
  if (!isNew) return ids;
  const money = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
  const rows = Array.from({ length: Math.min(partners, FINANCE_SHOWN) }, (_, i) => ({
    partnerId: `P-${String(i + 1).padStart(6, '0')}`,
    period: '2026-Q3',
    benefit: 'commission',
    entitled: money(100_000 + i),
    paid: money(100_000),
    difference: money(i),
  }));
  await insertConsoleReport(db, { id: ids.finance, kind: 'finance', params, requestedBy: 'bench' });
  let csv = 'partnerId,period,benefit,entitled,paid,difference\r\n';
  for (let i = 0; i < partners; i++)
    csv += `"P-${String(i + 1).padStart(6, '0')}","2026-Q3","commission","1000.00","1000.00","0.00"\r\n`;
  await finishConsoleReport(db, ids.finance, {
    result: {
      period: '2026-Q3',
      asOf: AS_OF,
      programId: 'bench',
      currency: 'USD',
      rows,
      count: partners,
      totals: { entitled: '1.00', paid: '1.00', overpaid: '0.00', underpaid: '0.00', overpaidShare: null },
    },
    csv,
  });
  const tiers = ['registered', 'silver', 'gold', 'platinum'];
  await insertConsoleReport(db, {
    id: ids.whatif,
    kind: 'whatif',
    params: { asOf: AS_OF, draft: '{}' },
    requestedBy: 'bench',
  });
  await finishConsoleReport(db, ids.whatif, {
    result: {
      asOf: AS_OF,
      draftVersion: '2027.2-draft',
      partners,
      tracks: ['resell', 'refer'].map((track) => ({
        track,
        tiers,
        rows: tiers.map((from) => ({ from, counts: tiers.map(() => Math.floor(partners / 32)) })),
      })),
      movedCount: partners,
      moved: Array.from({ length: MOVED_SHOWN }, (_, i) => ({
        partnerId: `P-${String(i + 1).padStart(6, '0')}`,
        from: 'resell gold',
        to: 'resell silver',
      })),
      ledger: ['commission', 'mdf', 'rebate'].map((name) => ({
        name,
        current: '1.00',
        draft: '2.00',
        difference: '1.00',
      })),
    },
    csv: null,
  });
  return ids;
}
