// Shared by the web-page tests (issue 18): a database with partners in known states (one with
// hostile text in its name), the server listening on a free port, and headless Chromium
// (Debian's `chromium`; CHROMIUM_PATH to use another) with axe-core for accessibility.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { signPartnerToken } from '../../services/links.ts';
import { buildServer } from '../../workers/http/server.ts';
import { track } from '../setup/leaks.ts';
import type { Pipeline } from '../setup/pipeline.ts';
import { certificationEarned, dealUpserted, partnerUpserted, personDeparted, putFacts } from '../recompute/support.ts';

export const AS_OF = '2026-11-23';
export const LINK_SECRET = 'pages-test-link-secret-0123456789abcdef';
export const ADMIN_TOKEN = 'pages-test-admin-token-0123456789abcdef';
/** Silver in grace (a certified person left), with dated risks. */
export const P = 'P-WEB';
/** Its name and id carry markup that must show as text. */
export const HOSTILE_NAME = `<img src=x onerror="window.__xss=1">"Bad & Co" <script>window.__xss=2</script>`;
export const HOSTILE_ID = `P-<b>x</b>'"`;

export async function seed(pipeline: Pipeline): Promise<void> {
  await putFacts(pipeline, [
    partnerUpserted('p-1', P, { name: 'Northwind Traders' }),
    certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
    dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
    certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2026-05-01' }),
    personDeparted('x-1', P, { personId: 'E1', departedAt: '2026-11-01' }),
    partnerUpserted('h-1', HOSTILE_ID, { name: HOSTILE_NAME }),
    dealUpserted('d-2', HOSTILE_ID, { dealId: 'D2', amount: '1000.00', closedAt: '2026-10-01' }),
  ]);
  await recomputePartners(pipeline.database.db, pipeline.program, [P, HOSTILE_ID], dayOrThrow(AS_OF));
}

export const token = (partnerId: string, expiresOn = '2026-12-31', secret = LINK_SECRET): string =>
  signPartnerToken({ partnerId, expiresOn }, secret);

export async function startServer(
  pipeline: Pipeline,
  today: string = AS_OF,
): Promise<{ app: FastifyInstance; base: string }> {
  const app = buildServer({
    queues: pipeline.queues,
    db: pipeline.database.db,
    secrets: { crm: 's', lms: 's', erp: 's' },
    log: pino({ level: 'silent' }),
    adminToken: ADMIN_TOKEN,
    pages: { linkSecret: LINK_SECRET, publicUrl: 'http://pages.test', today: () => dayOrThrow(today) },
  });
  const release = track({ kind: 'fastify', label: 'pages', close: () => app.close() });
  app.addHook('onClose', async () => release());
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: address };
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined. Under CI a missing browser fails instead (.ci/run installs it). */
export function noBrowser(): string | undefined {
  if (existsSync(CHROMIUM) || process.env.CI) return undefined;
  return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown }>;
}

/** axe-core's serious and critical violations on the page (evaluated, so the page's CSP does not apply). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const violations = (await page.evaluate(`(async () => {
    ${axeSource}
    const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  })()`)) as AxeViolation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
}
