// `npm run render-pages`: screenshots of the web pages for the README, from a real run's
// database (the demo keeps its own: `tierline demo` prints its DATABASE_URL). Starts the
// pages on a free port against DATABASE_URL (queues under TIERLINE_QUEUE_PREFIX on REDIS_URL,
// used only if a form is sent), picks a partner in grace (else any with a scorecard) and
// screenshots its partner page, the console overview and its console page in headless
// Chromium (Debian's `chromium`; CHROMIUM_PATH to use another) into docs/pages/.
//
//   DATABASE_URL=postgres://…/tierline_demo npm run render-pages [-- --out docs/pages]
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { chromium } from 'playwright-core';
import { readVariable } from '../config/env.ts';
import { databaseUrl } from '../config/urls.ts';
import { createDb } from '../db/connect.ts';
import { dayOrThrow } from '../domain/dates.ts';
import { errorMessage } from '../lib/errors.ts';
import { openRedis, queueSettings } from '../queues/connection.ts';
import { closeQueues, openQueues } from '../queues/queues.ts';
import { signPartnerToken } from '../services/links.ts';
import { buildServer } from '../workers/http/server.ts';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
];

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = path.resolve(outIndex > 0 ? (process.argv[outIndex + 1] ?? 'docs/pages') : 'docs/pages');
  await mkdir(out, { recursive: true });
  const db = createDb(databaseUrl(), { max: 4, variable: 'DATABASE_URL' });
  const settings = queueSettings();
  const connection = openRedis(settings, 'producer');
  const queues = openQueues(connection, settings.prefix);
  const secret = randomBytes(24).toString('base64url');
  const adminToken = randomBytes(24).toString('base64url');
  const pick = await sql<{ partner_id: string; as_of: string }>`
    select partner_id, as_of from scorecards
    order by (scorecard->>'status' = 'grace') desc, jsonb_array_length(scorecard->'risks') desc, partner_id
    limit 1`.execute(db);
  const partner = pick.rows[0];
  if (!partner) throw new Error('no scorecard in DATABASE_URL: run `tierline demo` (or a recompute) first');
  const today = dayOrThrow(partner.as_of);
  const app = buildServer({
    queues,
    db,
    secrets: {},
    log: pino({ level: 'silent' }),
    adminToken,
    pages: { linkSecret: secret, publicUrl: 'http://localhost:8080', today: () => today },
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: readVariable('CHROMIUM_PATH'),
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    await context.setExtraHTTPHeaders({ authorization: `Bearer ${adminToken}` });
    const page = await context.newPage();
    const shoot = async (url: string, file: string, charts: boolean, fullPage = true): Promise<void> => {
      await page.goto(base + url, { waitUntil: 'load' });
      if (charts) await page.waitForSelector('canvas[data-chart][data-drawn="true"]');
      await page.screenshot({ path: path.join(out, file), fullPage });
      process.stdout.write(`${path.relative(process.cwd(), path.join(out, file))}\n`);
    };
    const token = signPartnerToken({ partnerId: partner.partner_id, expiresOn: '2999-12-31' }, secret);
    await shoot(`/p/${token}`, 'partner.png', true);
    await shoot('/console', 'console-overview.png', true);
    await shoot(`/console/partners/${encodeURIComponent(partner.partner_id)}`, 'console-partner.png', false, false);
  } finally {
    await browser.close();
    await app.close();
    await closeQueues(queues);
    connection.disconnect();
    await db.destroy();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((error: unknown) => {
    process.stderr.write(`render-pages: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  });
}
