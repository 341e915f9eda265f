// The console's reviews, finance and what-if pages under hostile input (no browser: fastify's
// inject; finance and what-if runs computed by an in-process recompute worker): periods and
// days that do not parse (a form error, never a run), drafts that are invalid, empty or too large,
// forms without their CSRF token, markup in reasons, names and partner ids, formulas in the
// finance CSV. A refusal is a 400 with its one-line message (a draft's problems by path),
// nothing is a 5xx, and nothing refused is stored.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { consoleSession } from '../../workers/http/pages/console-auth.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { putFacts } from '../recompute/support.ts';
import {
  harderDraft,
  PERIOD,
  reportFinished,
  REVIEW_PROGRAM,
  REVIEW_TODAY,
  runIdOf,
  seedReviews,
} from './economics-support.ts';
import { ADMIN_TOKEN, startServer } from './support.ts';

const SLOW = 120_000;
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const FORMULA_ID = '=HYPERLINK("http://evil")';
const MARKUP_ID = '<script>window.__x=1</script>';

describeWithPostgres('console reviews, finance and what-if under hostile input', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  const db = () => pipeline.database.db;
  const get = (url: string) => app.inject({ method: 'GET', url, headers: BEARER });
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = BEARER) =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...headers, ...FORM },
      payload: new URLSearchParams(form).toString(),
    });
  const stored = async () => ({
    decisions: (await db().selectFrom('review_decisions').select('id').execute()).length,
    audit: (await db().selectFrom('audit_log').select('id').execute()).length,
  });
  const runs = async () => (await db().selectFrom('console_reports').select('id').execute()).length;
  const errorLine = (html: string): string | undefined => /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1];

  beforeAll(async () => {
    pipeline = await createPipeline(REVIEW_PROGRAM);
    await seedReviews(pipeline);
    const payout = (partnerId: string, n: number) => ({
      id: `pay-hostile-${n}`,
      source: 'erp',
      type: 'payout.recorded',
      occurredAt: '2026-01-10T09:00:00Z',
      partnerId,
      data: {
        payoutId: `PH-${n}`,
        benefit: 'mdf',
        amount: '5.00',
        currency: 'USD',
        paidAt: '2026-01-10',
        period: PERIOD,
        version: 1,
      },
    });
    await putFacts(pipeline, [payout(FORMULA_ID, 1), payout(MARKUP_ID, 2)]);
    await pipeline.startWorkers(['recompute']);
    ({ app } = await startServer(pipeline, REVIEW_TODAY));
  }, SLOW);
  afterAll(async () => {
    await app?.close();
    await pipeline?.stop();
  }, SLOW);

  it.each([
    ['2026-Q5', 'period: expected YYYY, YYYY-Qn or YYYY-MM, got &quot;2026-Q5&quot;'],
    [
      '<script>alert(1)</script>',
      'period: expected YYYY, YYYY-Qn or YYYY-MM, got &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;',
    ],
    ['2026-13', 'period: expected YYYY, YYYY-Qn or YYYY-MM, got &quot;2026-13&quot;'],
    [`'; drop table payouts; --`, undefined],
    ['x'.repeat(10_000), undefined],
  ])('finance period %j is a 400 with one line, and no run', async (period, message) => {
    const res = await post('/console/finance', { period });
    expect(res.statusCode).toBe(400);
    const line = errorLine(res.body);
    expect(line).toMatch(/^period: expected YYYY, YYYY-Qn or YYYY-MM, got /);
    if (message) expect(line).toBe(message);
    expect(res.body).not.toContain('<script>alert');
    expect(await runs()).toBe(0);
  });

  it('a bad as-of day is a 400; odd shapes and unknown runs are not a 5xx', async () => {
    const res = await post('/console/finance', { period: PERIOD, asOf: '2026-02-30' });
    expect(res.statusCode).toBe(400);
    expect(errorLine(res.body)).toBe('as of: expected a date YYYY-MM-DD, got &quot;2026-02-30&quot;');
    expect(await runs()).toBe(0);
    for (const url of [
      '/console/finance?period=2025&period=2026',
      '/console/finance?period[]=2025',
      '/console/finance.csv',
      '/console/finance/runs/nope',
      '/console/finance/runs/%3Cb%3E',
      '/console/finance/runs/nope/finance.csv',
      '/console/programs/whatif/runs/nope',
    ])
      expect((await get(url)).statusCode, url).toBeLessThan(500);
    expect((await get('/console/finance/runs/nope')).statusCode).toBe(404);
    const csv = await get('/console/finance/runs/nope/finance.csv');
    expect(csv.statusCode).toBe(404);
    expect(csv.headers['content-type']).toContain('text/plain');
  });

  it('partner ids with markup are escaped on the finance run page and formulas defused in its CSV', async () => {
    const submitted = await post('/console/finance', { period: PERIOD, asOf: REVIEW_TODAY });
    expect(submitted.statusCode).toBe(303);
    const id = runIdOf(submitted.headers.location);
    await reportFinished(pipeline, id);
    const page = await get(`/console/finance/runs/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect(page.body).not.toContain(MARKUP_ID);
    expect(page.body).toContain('&lt;script&gt;window.__x&#x3D;1&lt;/script&gt;');
    const csv = await get(`/console/finance/runs/${id}/finance.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")","${PERIOD}","mdf","0.00","5.00","5.00"`);
    // A negative difference is a number, not a formula: left as it is.
    expect(csv.body).toMatch(/"R-2","2025-Q4","commission","[\d.]+","100\.00","-[\d.]+"/);
  });

  it('review forms: refusals are one line with a 400 and store nothing; markup in reasons and names is escaped', async () => {
    const before = await stored();
    for (const [form, message] of [
      [{ partnerId: 'R-2', decision: 'reject', by: 'Ana' }, 'a rejection needs a reason'],
      [
        { partnerId: 'R-2', decision: 'approve' },
        'say who you are: the name field is required (it goes into the audit log)',
      ],
      [{ partnerId: 'R-2', decision: 'delete', by: 'Ana' }, 'choose approve or reject'],
      [
        { partnerId: 'R-NOBODY', decision: 'approve', by: 'Ana' },
        'unknown partner &quot;R-NOBODY&quot;: no event has named it',
      ],
      [{ partnerId: 'R-4', decision: 'approve', by: 'Ana' }, 'no demotion review of R-4 is pending on 2026-11-18'],
    ] as const) {
      const res = await post('/console/reviews', form);
      expect(res.statusCode, JSON.stringify(form)).toBe(400);
      expect(errorLine(res.body), JSON.stringify(form)).toBe(message);
    }
    expect(await stored()).toEqual(before);

    const rejected = await post('/console/reviews', {
      partnerId: 'R-3',
      decision: 'reject',
      reason: '<script>alert(1)</script>',
      by: '<img src=x onerror=alert(2)>',
    });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.body).not.toContain('<script>alert');
    expect(rejected.body).not.toContain('<img src=x');
    expect(rejected.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const rows = await db()
      .selectFrom('review_decisions')
      .select(['partner_id', 'decision', 'decided_by', 'reason'])
      .execute();
    expect(rows).toEqual([
      {
        partner_id: 'R-3',
        decision: 'reject',
        decided_by: '<img src=x onerror=alert(2)> (console)',
        reason: '<script>alert(1)</script>',
      },
    ]);
    // Approving what was rejected is refused with the service's line.
    const contradicting = await post('/console/reviews', { partnerId: 'R-3', decision: 'approve', by: 'Bo' });
    expect(contradicting.statusCode).toBe(400);
    expect(errorLine(contradicting.body)).toMatch(
      /^the demotion review of R-3 \(silver since 2026-11-13\) was already rejected on 2026-11-18 by /,
    );
    expect(contradicting.body).not.toContain('<img src=x');
  });

  it('forms signed in by cookie without their CSRF token are 403 and store nothing', async () => {
    const before = await stored();
    const cookie = { cookie: `tierline_console=${consoleSession(ADMIN_TOKEN)}` };
    for (const [url, form] of [
      ['/console/reviews', { partnerId: 'R-2', decision: 'approve', by: 'Ana' }],
      ['/console/reviews', { _csrf: 'forged', partnerId: 'R-2', decision: 'approve', by: 'Ana' }],
      ['/console/programs/whatif', { draft: harderDraft() }],
    ] as const) {
      const res = await post(url, form, cookie);
      expect(res.statusCode, url).toBe(403);
      expect(res.body).not.toContain('whatif-matrix');
    }
    expect(await stored()).toEqual(before);
    // Without any credential: 401, no data.
    const anonymous = await post('/console/programs/whatif', { draft: harderDraft() }, {});
    expect(anonymous.statusCode).toBe(401);
  });

  it('a refused draft lists every problem by path, escaped; empty and oversized drafts are refused', async () => {
    const draft = JSON.parse(harderDraft()) as Record<string, unknown>;
    const bad = { ...draft, currency: 'EUR', timezone: 'Mars/<b>Base</b>', effectiveFrom: 'yesterday' };
    const res = await post('/console/programs/whatif', { draft: JSON.stringify(bad) });
    expect(res.statusCode).toBe(400);
    const problems = [...res.body.matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
    expect(problems.length).toBeGreaterThanOrEqual(2);
    expect(problems.some((p) => p?.startsWith('effectiveFrom'))).toBe(true);
    expect(problems.some((p) => p?.startsWith('timezone'))).toBe(true);
    expect(res.body).not.toContain('<b>Base</b>');
    // The draft comes back in the textarea, escaped.
    expect(res.body).toContain('Mars/&lt;b&gt;Base&lt;/b&gt;');

    for (const text of ['{', '[1, 2]', '- a\n- : b: [', '<script>alert(1)</script>']) {
      const r = await post('/console/programs/whatif', { draft: text });
      expect(r.statusCode, text).toBe(400);
      expect(r.body).toContain('id="draft-problems"');
      expect(r.body).not.toContain('<script>alert');
    }
    const empty = await post('/console/programs/whatif', { draft: '   ' });
    expect(empty.statusCode).toBe(400);
    expect(errorLine(empty.body)).toBe('paste a draft program version (JSON or YAML)');
    const badDay = await post('/console/programs/whatif', { draft: harderDraft(), asOf: '18/11/2026' });
    expect(badDay.statusCode).toBe(400);
    expect(errorLine(badDay.body)).toBe('as of: expected a date YYYY-MM-DD, got &quot;18/11/2026&quot;');

    const huge = await post('/console/programs/whatif', { draft: `${harderDraft()}${' '.repeat(100 * 1024)}` });
    expect(huge.statusCode).toBe(413);
    const many = await post('/console/programs/whatif', { draft: `[${'{},'.repeat(20_000)}{}]` });
    expect(many.statusCode).toBe(413);
    // A refused draft is a form error, never a run.
    expect(await db().selectFrom('console_reports').where('kind', '=', 'whatif').select('id').execute()).toEqual([]);
  });

  it('a valid draft by bearer is submitted, compared by the worker, and stores nothing but the run', async () => {
    const before = await stored();
    const res = await post('/console/programs/whatif', { draft: harderDraft(), asOf: REVIEW_TODAY });
    expect(res.statusCode).toBe(303);
    const id = runIdOf(res.headers.location);
    expect(res.headers.location).toBe(`/console/programs/whatif/runs/${id}`);
    await reportFinished(pipeline, id);
    const page = await get(`/console/programs/whatif/runs/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('class="whatif-matrix"');
    expect(await stored()).toEqual(before);
  });
});
