// Issue 18 in a real browser (playwright-core + Debian's Chromium): the partner page shows the
// tier, its dates and progress, draws its chart with no console error; altered, foreign and
// expired tokens are 404; the console redirects to its login without a session and works
// after signing in; an override set through its form is in the decisions and the audit log;
// hostile names render as text; axe-core finds no serious or critical violation on any page.
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { auditLog, decisionTrail } from '../../services/reads.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  ADMIN_TOKEN,
  AS_OF,
  HOSTILE_ID,
  HOSTILE_NAME,
  LINK_SECRET,
  P,
  launchBrowser,
  noBrowser,
  seed,
  seriousViolations,
  startServer,
  token,
} from './support.ts';

const SLOW = 120_000;

const describeWithBrowser = noBrowser() === undefined ? describeWithPostgres : describe.skip;

describeWithBrowser(`web pages in a browser (issue 18)${noBrowser() ? ` [skipped: ${noBrowser()}]` : ''}`, () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const consoleErrors: string[] = [];

  /** Opens a page; console errors of pages that answered 2xx are collected in consoleErrors. */
  const open = async (path: string): Promise<{ page: Page; status: number | undefined }> => {
    const page = await context.newPage();
    page.on('console', (m) => {
      // A 4xx document logs "Failed to load resource" by design; everything else is an error.
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) consoleErrors.push(`${path}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${path}: ${e.message}`));
    page.on('dialog', (d) => {
      consoleErrors.push(`${path}: dialog ${d.message()}`);
      void d.dismiss();
    });
    const response = await page.goto(base + path, { waitUntil: 'load' });
    return { page, status: response?.status() };
  };

  beforeAll(async () => {
    pipeline = await createPipeline();
    await seed(pipeline);
    ({ app, base } = await startServer(pipeline));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    // Nothing may load from anywhere but the server itself.
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
  }, SLOW);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await pipeline?.stop();
  }, SLOW);

  it(
    'the partner page shows the tier, its dates and progress, and draws the chart',
    async () => {
      const { page, status } = await open(`/p/${token(P)}`);
      expect(status).toBe(200);
      await page.waitForSelector('canvas[data-chart][data-drawn="true"]');
      expect(await page.locator('h1').innerText()).toBe('Northwind Traders');
      expect(await page.locator('.badge').innerText()).toBe('Silver');
      expect(await page.locator('#status-line').innerText()).toMatch(
        /^Silver until \d{1,2} \w{3} 20\d\d unless you requalify\.$/,
      );
      expect(await page.locator('progress').count()).toBeGreaterThan(0);
      expect(await page.locator('#risks').isVisible()).toBe(true);
      // What counted: the won deal of the last 12 months; E2's certification, not E1's (E1 left).
      const counted = await page.locator('section[aria-labelledby="counted"]').innerText();
      expect(counted).toContain('D1');
      expect(counted).toContain('300000.00 USD');
      expect(counted).toMatch(/E2\s+sales-expert/);
      expect(counted).not.toMatch(/E1\s+sales-expert/);
      expect(await seriousViolations(page)).toEqual([]);
      expect(consoleErrors).toEqual([]);
      await page.close();
    },
    SLOW,
  );

  it(
    'altered, foreign, expired and unknown-partner tokens all get the same 404 page',
    async () => {
      const good = token(P);
      const [payload, signature] = good.split('.') as [string, string];
      const flipped = signature.slice(0, -2) + (signature.at(-2) === 'A' ? 'B' : 'A') + signature.at(-1);
      const otherPartner = Buffer.from(JSON.stringify({ v: 1, p: HOSTILE_ID, x: '2026-12-31' })).toString('base64url');
      const bodies = new Set<string>();
      for (const bad of [
        `${payload}.${flipped}`,
        `${otherPartner}.${signature}`,
        token(P, '2026-12-31', 'another-secret-0123456789abcdefghij'),
        token(P, '2026-11-22'),
        token('P-NOBODY'),
        'x'.repeat(3000),
        'a.b.c',
      ]) {
        const { page, status } = await open(`/p/${encodeURIComponent(bad)}`);
        expect(status, bad.slice(0, 40)).toBe(404);
        bodies.add(await page.locator('main').innerText());
        await page.close();
      }
      expect(bodies.size).toBe(1);
      // The last day of a link still opens it.
      expect((await app.inject({ url: `/p/${token(P, AS_OF)}` })).statusCode).toBe(200);
    },
    SLOW,
  );

  it(
    'hostile names and ids render as text, never as markup',
    async () => {
      const { page, status } = await open(`/p/${token(HOSTILE_ID)}`);
      expect(status).toBe(200);
      expect(await page.locator('h1').innerText()).toBe(HOSTILE_NAME);
      expect(await page.locator('main img').count()).toBe(0);
      expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
      await page.close();
    },
    SLOW,
  );

  it(
    'the console sends an unsigned browser to its login page, and works after signing in',
    async () => {
      const before = await open('/console/partners');
      expect(new URL(before.page.url()).pathname).toBe('/console/login');
      expect(await before.page.locator('body').innerText()).not.toContain('Northwind');
      expect(await seriousViolations(before.page)).toEqual([]);
      await before.page.fill('#token', 'wrong-token');
      await before.page.click('button[type=submit]');
      expect(await before.page.locator('.error').innerText()).toContain('not the admin token');
      await before.page.fill('#token', ADMIN_TOKEN);
      await before.page.click('button[type=submit]');
      await before.page.waitForURL(`${base}/console`);
      const cookies = await context.cookies(base + '/console');
      const session = cookies.find((c) => c.name === 'tierline_console');
      expect(session?.httpOnly).toBe(true);
      expect(session?.sameSite).toBe('Strict');
      expect(session?.value).not.toContain(ADMIN_TOKEN);
      await before.page.close();

      for (const path of [
        '/console',
        '/console/partners',
        `/console/partners/${encodeURIComponent(P)}`,
        `/console/partners/${encodeURIComponent(HOSTILE_ID)}`,
        '/console/at-risk',
        '/console/near-promotion',
        '/console/overrides',
        '/console/dead-letters',
        '/console/programs',
      ]) {
        const { page, status } = await open(path);
        expect(status, path).toBe(200);
        expect(await seriousViolations(page), path).toEqual([]);
        if (path === '/console') await page.waitForSelector('canvas[data-chart][data-drawn="true"]');
        if (path === '/console/partners') expect(await page.locator('body').innerText()).toContain(HOSTILE_NAME);
        await page.close();
      }
      expect(consoleErrors).toEqual([]);
    },
    SLOW,
  );

  it(
    'an override set in the console is in the decisions and the audit log',
    async () => {
      const { page } = await open(`/console/partners/${encodeURIComponent(P)}`);
      await page.selectOption('#o-tier', 'gold');
      await page.fill('#o-from', '2026-11-10');
      await page.fill('#o-until', '2026-12-31');
      await page.fill('#o-reason', 'strategic account <b>Q4</b>');
      await page.fill('#o-by', 'Ana');
      await page.click('form[action="/console/overrides"] button[type=submit]');
      await page.waitForSelector('.ok');
      expect(await page.locator('.ok').innerText()).toMatch(/^Override #\d+ set\.$/);
      expect(await page.locator('#ovr + table').innerText()).toContain('strategic account <b>Q4</b>');
      await page.close();

      const db = pipeline.database.db;
      await recomputePartners(db, pipeline.program, [P], dayOrThrow(AS_OF));
      const decisions = await decisionTrail(db, P, { all: false });
      expect(decisions.some((d) => d.newTier === 'gold' && d.day === '2026-11-10')).toBe(true);
      const audit = await auditLog(db, { partnerId: P, limit: 10 });
      expect(audit[0]).toMatchObject({
        actor: 'Ana (console)',
        action: 'override.set',
        details: { tier: 'gold', from: '2026-11-10', until: '2026-12-31', reason: 'strategic account <b>Q4</b>' },
      });
      expect(consoleErrors).toEqual([]);
    },
    SLOW,
  );

  it(
    'the secret used for links is the one the console hands out',
    async () => {
      const { page } = await open(`/console/partners/${encodeURIComponent(P)}`);
      await page.click('form[action$="/link"] button[type=submit]');
      const href = await page.locator('#link + form + p a').getAttribute('href');
      expect(href).toMatch(/^http:\/\/pages\.test\/p\//);
      const path = new URL(href ?? '').pathname;
      expect((await app.inject({ url: path })).statusCode).toBe(200);
      expect(LINK_SECRET).not.toBe('');
      await page.close();
    },
    SLOW,
  );
});
