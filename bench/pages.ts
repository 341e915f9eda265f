// `npm run bench:pages [-- --partners 100000] [--samples 30] [--out bench/out/pages.json]`:
// server-side time of each web page (issue 18: ≤ 150 ms p95 with 100,000 partners). A fresh
// database (bench/lib/env.ts) gets N partners with stored scorecards of every tier and status
// (a tenth with dated risks, a seventh one criterion short of promotion), a current history
// row and two decisions each, ten ledger entries each, and 1,000 dead letters, written
// set-based in SQL. Each page is then requested through fastify's inject (the whole server:
// routing, auth, queries, templates), after warm-up, and timed; the JSON has p50/p95/max.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { sql } from 'kysely';
import { pino } from 'pino';
import { dayOrThrow } from '../domain/dates.ts';
import { signPartnerToken } from '../services/links.ts';
import { encodeCursor } from '../services/pages/console.ts';
import { buildServer } from '../workers/http/server.ts';
import { AS_OF, openEnv } from './lib/env.ts';
import { latencySummary, stopwatch } from './lib/stats.ts';

const opts = new Command('bench:pages')
  .option('--partners <n>', 'partners with a scorecard', '100000')
  .option('--samples <n>', 'timed requests per page', '30')
  .option('--out <file>', 'where the JSON goes', 'bench/out/pages.json')
  .option('--keep', 'keep the database')
  .parse()
  .opts<{ partners: string; samples: string; out: string; keep?: boolean }>();

const partners = Number(opts.partners);
const samples = Number(opts.samples);
const TARGET_P95_MS = 150;
const log = (line: string): void => {
  process.stderr.write(`[bench:pages ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const env = await openEnv('pages', { keep: opts.keep === true });
try {
  const db = env.db;
  const load = stopwatch();
  const id = sql`'P-' || lpad(g::text, 6, '0')`;
  await sql`
    insert into partners (partner_id, name, partner_type, region, version, source_event_id)
    select ${id}, 'Partner ' || g || ' ' || md5(g::text), case when g % 3 = 0 then 'referral' else 'reseller' end,
           'EMEA', 1, 'seed-' || g
    from generate_series(1, ${partners}::int) g`.execute(db);
  await sql`
    insert into scorecards (partner_id, as_of, scorecard)
    select ${id}, ${AS_OF}::date, jsonb_build_object(
      'partnerId', ${id}, 'asOf', ${AS_OF}::text, 'program', jsonb_build_object('id', 'acme', 'version', '2027.1'),
      'track', case when g % 3 = 0 then 'refer' else 'resell' end,
      'effectiveTier', case when g % 3 = 0 then (array['member','elite'])[1 + g % 2] else (array['registered','silver','gold'])[1 + g % 3] end,
      'qualifiedTier', case when g % 3 = 0 then 'member' else 'registered' end,
      'status', (array['qualified','qualified','qualified','grace','hold','override'])[1 + g % 6],
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
  await sql`analyze`.execute(db);
  log(`loaded ${partners} partners in ${load().toFixed(1)} s`);

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
  const middle = `P-${String(Math.floor(partners / 2)).padStart(6, '0')}`;
  const late = encodeCursor({
    key: `P-${String(partners - 60).padStart(6, '0')}`,
    id: `P-${String(partners - 60).padStart(6, '0')}`,
  });
  const lateByName = encodeCursor({ key: 'Partner 99', id: 'P-000099' });
  const pages: Record<string, string> = {
    'partner page': `/p/${signPartnerToken({ partnerId: middle, expiresOn: '2026-12-31' }, secret)}`,
    overview: '/console',
    'partners, first page': '/console/partners',
    'partners, a late page': `/console/partners?after=${late}`,
    'partners by name, a late page': `/console/partners?sort=name&after=${lateByName}`,
    'partners, search': '/console/partners?q=Partner%2099',
    'partners, search with no match': '/console/partners?q=zzzz',
    'partners, tier + status + at risk': '/console/partners?tier=gold&status=grace&risk=1',
    'a partner': `/console/partners/${middle}`,
    'at risk': '/console/at-risk',
    'near promotion': '/console/near-promotion',
    overrides: '/console/overrides',
    'dead letters': '/console/dead-letters',
    programs: '/console/programs',
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
  await app.close();
  const output = {
    scenario: 'pages',
    partners,
    samplesPerPage: samples,
    targetP95Ms: TARGET_P95_MS,
    pages: results,
    met: Object.values(results).every((r) => r.p95 <= TARGET_P95_MS && r.status === 200),
  };
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(output, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
} finally {
  await env.close();
}
