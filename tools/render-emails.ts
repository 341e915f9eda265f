// `npm run render-emails`: renders one email of each kind (the samples in
// email/samples.ts, for examples/acme/program.json) with the notifier's own composing
// and templates, writes docs/emails/<name>.html and .txt, and screenshots each in a real
// headless Chromium (Debian's `chromium`; CHROMIUM_PATH to use another) to
// docs/emails/<name>.png, framed by the subject and addresses a mail client shows.
//
//   npm run render-emails [-- --out DIR]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { composeNotification } from '../email/content.ts';
import { SAMPLE_DIGEST, SAMPLE_NOTIFICATIONS } from '../email/samples.ts';
import { composeDigest } from '../email/digest.ts';
import { renderDigest, renderEmail, type RenderedEmail } from '../email/templates.ts';
import { loadProgramTexts } from '../domain/program/load.ts';
import { DEVELOPMENT_UNSUBSCRIBE_SECRET } from '../workers/notifier/config.ts';
import { signUnsubscribeToken, unsubscribeUrl } from '../workers/notifier/unsubscribe.ts';
import { errorMessage } from '../lib/errors.ts';

const PROGRAM = 'examples/acme/program.json';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A plain mail-client frame: From, To and Subject above the message, the message in an iframe. */
function framed(html: string, headers: { from: string; to: string; subject: string }): string {
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#e5e7eb;font:14px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827}
.head{background:#fff;border-bottom:1px solid #d1d5db;padding:14px 20px}
.head div{margin:2px 0}.k{display:inline-block;width:64px;color:#6b7280}.s{font-weight:700;font-size:16px}
iframe{display:block;width:100%;border:0;background:#f3f4f6}
</style></head><body>
<div class="head"><div><span class="k">From</span>${escapeHtml(headers.from)}</div><div><span class="k">To</span>\
${escapeHtml(headers.to)}</div><div class="s"><span class="k" style="font-weight:400;font-size:14px">Subject</span>\
${escapeHtml(headers.subject)}</div></div>
<iframe id="mail" sandbox="allow-same-origin" srcdoc="${escapeHtml(html)}"></iframe>
</body></html>`;
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = path.resolve(outIndex > 0 ? (process.argv[outIndex + 1] ?? 'docs/emails') : 'docs/emails');
  const loaded = loadProgramTexts([{ name: PROGRAM, text: await readFile(PROGRAM, 'utf8') }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  const program = loaded.value.versions[loaded.value.versions.length - 1]?.program;
  if (!program) throw new Error(`${PROGRAM} holds no version`);
  await mkdir(out, { recursive: true });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 720, height: 900 },
      deviceScaleFactor: 1,
      javaScriptEnabled: true,
    });
    // Nothing in an email may load from the network; refuse anything that tries.
    await context.route('**/*', (route) =>
      route.request().url().startsWith('data:') ? route.continue() : route.abort(),
    );
    const shots: Array<{ name: string; recipientName: string; email: string; rendered: RenderedEmail }> = [];
    for (const sample of SAMPLE_NOTIFICATIONS) {
      const email = `${sample.recipientName.split(' ')[0]?.toLowerCase()}@example.com`;
      const token = signUnsubscribeToken(
        { partnerId: sample.partnerId, email, kind: sample.kind },
        DEVELOPMENT_UNSUBSCRIBE_SECRET,
      );
      const content = composeNotification({
        kind: sample.kind,
        payload: sample.payload,
        program,
        partnerName: sample.partnerName,
        recipientName: sample.recipientName,
        unsubscribeUrl: unsubscribeUrl('http://localhost:8080', token),
        consoleUrl: 'http://localhost:8080/console',
      });
      shots.push({ name: sample.name, recipientName: sample.recipientName, email, rendered: renderEmail(content) });
    }
    // The daily digest (alerts.digest "daily"): two of the samples as one email.
    {
      const d = SAMPLE_DIGEST;
      const email = `${d.recipientName.split(' ')[0]?.toLowerCase()}@example.com`;
      const link = (kind: Parameters<typeof signUnsubscribeToken>[0]['kind']) =>
        unsubscribeUrl(
          'http://localhost:8080',
          signUnsubscribeToken({ partnerId: d.partnerId, email, kind }, DEVELOPMENT_UNSUBSCRIBE_SECRET),
        );
      const items = d.items.map((name, i) => {
        const sample = SAMPLE_NOTIFICATIONS.find((s) => s.name === name);
        if (!sample) throw new Error(`no sample ${name}`);
        return {
          id: String(i + 1),
          kind: sample.kind,
          payload: sample.payload,
          program,
          unsubscribeUrl: link(sample.kind),
        };
      });
      const content = composeDigest({
        day: d.day,
        program,
        partnerName: d.partnerName,
        recipientName: d.recipientName,
        items,
        pageUrl: 'http://localhost:8080/p/(signed-when-sent)',
        unsubscribeUrl: link('*'),
      });
      shots.push({ name: d.name, recipientName: d.recipientName, email, rendered: renderDigest(content) });
    }
    for (const { name, recipientName, email, rendered } of shots) {
      await writeFile(path.join(out, `${name}.html`), rendered.html);
      await writeFile(path.join(out, `${name}.txt`), `Subject: ${rendered.subject}\n\n${rendered.text}`);
      const page = await context.newPage();
      await page.setContent(
        framed(rendered.html, {
          from: `${program.name} <no-reply@tierline.localhost>`,
          to: `${recipientName} <${email}>`,
          subject: rendered.subject,
        }),
        { waitUntil: 'load' },
      );
      // A string: this project's TypeScript has no DOM types. Sizes the iframe to its message.
      await page.evaluate(
        `(() => { const f = document.getElementById('mail'); f.style.height = f.contentDocument.documentElement.scrollHeight + 'px'; })()`,
      );
      const png = path.join(out, `${name}.png`);
      await page.screenshot({ path: png, fullPage: true });
      await page.close();
      process.stdout.write(`${path.relative(process.cwd(), png)}  ${rendered.subject}\n`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`render-emails: ${errorMessage(error)}\n`);
  process.exitCode = 1;
});
