// The console's reviews, finance and what-if pages in Chromium (issues 16 and 19 on the web
// pages, SPEC §9–§12): each renders with no serious or critical axe-core violation; a review
// approved from the console is in the audit log (as "NAME (console)") and, after the
// recompute, in the partner's decisions; the finance form submits a run (computed by a
// recompute worker) whose page shows the totals of the service and whose CSV downloads with the
// same rows; a draft's what-if run shows the matrix, the movers and the ledger both ways, and
// stores nothing but the run.
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccrualPeriod } from '../../domain/accrual-period.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { financeTotals, type FinanceRow } from '../../domain/finance.ts';
import { financeReport } from '../../services/finance.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { auditLog, decisionTrail } from '../../services/reads.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { tableCounts } from '../recompute/support.ts';
import { harderDraft, PERIOD, REVIEW_PROGRAM, REVIEW_TODAY, seedReviews } from './economics-support.ts';
import { ADMIN_TOKEN, launchBrowser, noBrowser, seriousViolations, startServer } from './support.ts';

const SLOW = 120_000;
const describeWithBrowser = noBrowser() === undefined ? describeWithPostgres : describe.skip;

describeWithBrowser(
  `console reviews, finance and what-if in a browser${noBrowser() ? ` [skipped: ${noBrowser()}]` : ''}`,
  () => {
    let pipeline: Pipeline;
    let app: FastifyInstance;
    let base: string;
    let browser: Browser;
    let context: BrowserContext;
    const consoleErrors: string[] = [];
    const db = () => pipeline.database.db;

    const open = async (path: string): Promise<{ page: Page; status: number | undefined }> => {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) consoleErrors.push(`${path}: ${m.text()}`);
      });
      page.on('pageerror', (e) => consoleErrors.push(`${path}: ${e.message}`));
      const response = await page.goto(base + path, { waitUntil: 'load' });
      return { page, status: response?.status() };
    };

    beforeAll(async () => {
      pipeline = await createPipeline(REVIEW_PROGRAM);
      await seedReviews(pipeline);
      // Finance and what-if runs are computed by a recompute worker (job console-report).
      await pipeline.startWorkers(['recompute']);
      ({ app, base } = await startServer(pipeline, REVIEW_TODAY));
      browser = await launchBrowser();
      context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
      await context.route('**/*', (route) =>
        route.request().url().startsWith(base) ? route.continue() : route.abort(),
      );
      const { page } = await open('/console/login');
      await page.fill('#token', ADMIN_TOKEN);
      await page.click('button[type=submit]');
      await page.waitForURL(`${base}/console`);
      await page.close();
    }, SLOW);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await app?.close();
      await pipeline?.stop();
    }, SLOW);

    it(
      'every new page renders, is linked from the navigation and has no serious axe violation',
      async () => {
        const { page } = await open('/console');
        const nav = await page
          .locator('nav[aria-label="Console"] a')
          .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
        expect(nav).toEqual(
          expect.arrayContaining(['/console/reviews', '/console/finance', '/console/programs/whatif']),
        );
        await page.close();
        for (const path of [
          '/console/reviews',
          '/console/finance',
          `/console/finance?period=${PERIOD}`,
          '/console/programs/whatif',
        ]) {
          const { page: p, status } = await open(path);
          expect(status, path).toBe(200);
          expect(await seriousViolations(p), path).toEqual([]);
          await p.close();
        }
        expect(consoleErrors).toEqual([]);
      },
      SLOW,
    );

    it(
      'a review approved in the console is in the audit log and the partner decisions',
      async () => {
        const { page } = await open('/console/reviews');
        const rows = page.locator('tbody tr');
        expect(await rows.count()).toBe(3);
        const r1 = rows.filter({ hasText: 'R-1' });
        expect(await r1.innerText()).toMatch(/R-1\s+silver\s+registered\s+2026-11-13\s+2026-11-27/);
        await r1.locator('input[name=reason]').fill('volume fell <b>twice</b>');
        await r1.locator('input[name=by]').fill('Ana');
        await r1.locator('button[value=approve]').click();
        await page.waitForSelector('.ok');
        expect(await page.locator('.ok').innerText()).toBe(
          'Review approved: R-1 silver → registered from 2026-11-18 (by Ana (console) (volume fell <b>twice</b>)).',
        );
        expect(await seriousViolations(page)).toEqual([]);
        // A rejection without a reason is refused on the page, nothing stored.
        const r2 = page.locator('tbody tr').filter({ hasText: 'R-2' });
        await r2.locator('input[name=by]').fill('Ana');
        await r2.locator('button[value=reject]').click();
        await page.waitForSelector('.error');
        expect(await page.locator('.error').innerText()).toBe('a rejection needs a reason');
        await page.close();

        const audit = await auditLog(db(), { partnerId: 'R-1', limit: 10 });
        expect(audit[0]).toMatchObject({
          actor: 'Ana (console)',
          action: 'review.approve',
          details: { fromTier: 'silver', toTier: 'registered', on: REVIEW_TODAY, reason: 'volume fell <b>twice</b>' },
        });
        expect(await auditLog(db(), { partnerId: 'R-2', limit: 10 })).toEqual([]);
        await recomputePartners(db(), pipeline.program, ['R-1'], dayOrThrow(REVIEW_TODAY));
        const decisions = await decisionTrail(db(), 'R-1', { all: false });
        expect(
          decisions.some((d) => d.previousTier === 'silver' && d.newTier === 'registered' && d.day === REVIEW_TODAY),
        ).toBe(true);
        expect(consoleErrors).toEqual([]);
      },
      SLOW,
    );

    it(
      'the finance form submits a run; its page shows the totals of the report once computed and downloads the same rows as CSV',
      async () => {
        const rows: FinanceRow[] = [];
        const run = await financeReport(db(), parseAccrualPeriod(PERIOD)!, dayOrThrow(REVIEW_TODAY), {
          onRows: (r) => rows.push(...r),
        });
        const totals = financeTotals(rows, run.program.digits);
        expect(rows.length).toBeGreaterThan(0);
        expect(totals.overpaid).not.toBe('0.00');
        expect(totals.underpaid).not.toBe('0.00');

        const { page } = await open('/console/finance');
        await page.fill('#period', PERIOD);
        await page.fill('#asOf', REVIEW_TODAY);
        await page.click('form[action="/console/finance"] button[type=submit]');
        await page.waitForURL(/\/console\/finance\/runs\/[A-Za-z0-9_-]+$/);
        // The run's page reloads itself (meta refresh) until the worker has stored the result.
        await page.locator('#finance-totals').waitFor({ timeout: 60_000 });
        expect(await page.locator('#run-state').innerText()).toMatch(
          new RegExp(`^Computed at .+ UTC, as of ${REVIEW_TODAY}, submitted by console\\.$`),
        );
        expect(await seriousViolations(page)).toEqual([]);
        const shown = await page.locator('#finance-totals').innerText();
        for (const value of [
          totals.entitled,
          totals.paid,
          totals.overpaid,
          totals.underpaid,
          `${totals.overpaidShare}%`,
        ])
          expect(shown).toContain(value);
        const table = await page.locator('main > table tbody').innerText();
        for (const r of rows)
          expect(table).toContain(`${r.partnerId}\t${r.benefit}\t${r.entitled}\t${r.paid}\t${r.difference}`);

        const [download] = await Promise.all([page.waitForEvent('download'), page.click('#finance-csv')]);
        expect(download.suggestedFilename()).toBe('finance.csv');
        const csv = await readFile((await download.path())!, 'utf8');
        expect(csv.split('\r\n').filter((l) => l !== '')).toEqual([
          'partnerId,period,benefit,entitled,paid,difference',
          ...rows.map((r) =>
            [r.partnerId, r.period, r.benefit, r.entitled, r.paid, r.difference].map((v) => `"${v}"`).join(','),
          ),
        ]);
        await page.close();
        expect(consoleErrors).toEqual([]);
      },
      SLOW,
    );

    it(
      'a draft what-if submits a run whose page shows the tier-move matrix, the movers and the ledger both ways, and stores nothing else',
      async () => {
        const before = await tableCounts(db());
        const { page } = await open('/console/programs/whatif');
        await page.fill('#draft', harderDraft());
        await page.click('form[action="/console/programs/whatif"] button[type=submit]');
        await page.waitForURL(/\/console\/programs\/whatif\/runs\/[A-Za-z0-9_-]+$/);
        await page.locator('.whatif-matrix').waitFor({ timeout: 60_000 });
        expect(await page.locator('main > h2').first().innerText()).toBe(
          'As of 2026-11-18: 5 partners, draft 2026.2-draft',
        );
        const matrix = await page.locator('.whatif-matrix').innerText();
        // No partner reaches silver in the draft: the three still silver (R-1 was approved down) move.
        expect(matrix.split('\n').slice(1)).toEqual([
          'Current / draft\tregistered\tsilver',
          'registered\t2\t0',
          'silver\t3\t0',
        ]);
        expect(await page.locator('#moved').innerText()).toBe('Partners that move: 3');
        expect(await page.locator('section[aria-labelledby="moved"] tbody').innerText()).toContain(
          'R-2\tresell silver\tresell registered',
        );
        const ledger = await page.locator('section[aria-labelledby="ledger-totals"] tbody').innerText();
        expect(ledger).toMatch(/^commission\t[\d.]+\t[\d.]+\t-?[\d.]+/);
        expect(await seriousViolations(page)).toEqual([]);
        await page.close();
        expect(await tableCounts(db())).toEqual(before);
        expect(consoleErrors).toEqual([]);
      },
      SLOW,
    );
  },
);
