// Logs never contain email addresses or secrets (README "HTTP receiver", "Configuration").
// The real processes run as children at LOG_LEVEL=trace and their whole output is kept:
// `tierline serve` takes signed webhooks carrying partner contacts (and a badly signed one,
// and an invalid event holding an address), unsubscribe links, dashboard logins and metric
// scrapes; `tierline workers` ingests, recomputes and emails a promotion through a test SMTP
// server that refuses one recipient with a reply quoting the address, as real servers do.
// Then the captured pino output is searched for every address and every secret involved:
// the three webhook secrets, the admin, metrics and unsubscribe secrets, the SMTP password
// inside SMTP_URL, every signature sent, the unsubscribe token and the dashboard cookie.
// (LOG_LEVEL=trace: everything debug logs and more.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { signBody } from '../../workers/http/signature.ts';
import { cliEnv } from '../ingest/support.ts';
import { startSmtp, type TestSmtp } from '../notifier/smtp.ts';
import { spawnTierline, stopChild, type ChildWorker } from '../setup/children.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

const SECRETS = {
  TIERLINE_SECRET_CRM: 'crm-webhook-secret-5f0c3a9e1d7b42',
  TIERLINE_SECRET_LMS: 'lms-webhook-secret-8a2e6c4f0b1d93',
  TIERLINE_SECRET_ERP: 'erp-webhook-secret-2c7e9a1f5b3d68',
  TIERLINE_ADMIN_TOKEN: 'admin-token-c1e9b7a5f3d24e68',
  TIERLINE_METRICS_TOKEN: 'metrics-token-7d3f1b9e5c2a8046',
  TIERLINE_UNSUBSCRIBE_SECRET: 'unsubscribe-secret-4b8d2f6a0e9c1735',
};
const CONTACTS = [
  { email: 'alice.primary@contoso.example', name: 'Alice Primary', role: 'primary' },
  { email: 'bounce.primary@contoso.example', name: 'Bob Bounce', role: 'primary' },
  { email: 'cfo.finance@contoso.example', name: 'Carol Finance', role: 'finance' },
];
const INVALID_CONTACT = 'mallory.invalid@contoso.example';
/** In SMTP_URL, as an operator would configure it (the test server does not offer AUTH, so it is never sent). */
const SMTP_PASSWORD = 'smtp-password-9e4a7c1b3f5d2086';
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** The sender address is configuration, not a partner's contact. */
const FROM = 'no-reply@tierline.localhost';

/** `tierline ARGS` at LOG_LEVEL=trace, its whole output kept. */
const start = (args: string[], env: Record<string, string>): ChildWorker =>
  spawnTierline(args, { ...env, LOG_LEVEL: 'trace' });

describeWithPostgres('logs: no email addresses, no secrets', () => {
  let pipeline: Pipeline;
  let smtp: TestSmtp;
  let serve: ChildWorker | undefined;
  let workers: ChildWorker | undefined;
  let base = '';
  /** Values that must not appear in any log line, by what they are. */
  const secrets = new Map<string, string>([...Object.entries(SECRETS), ['SMTP password', SMTP_PASSWORD]]);

  const post = async (
    source: string,
    body: string,
    secret: string,
    signature = signBody(secret, body),
  ): Promise<Response> => {
    secrets.set(`signature of a ${source} request`, signature.replace(/^.*v1=/, ''));
    return fetch(`${base}/events/${source}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tierline-signature': signature },
      body,
    });
  };

  beforeAll(async () => {
    pipeline = await createPipeline();
    smtp = await startSmtp({
      rcpt: (address) =>
        address.startsWith('bounce.')
          ? {
              code: 550,
              message: `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table`,
            }
          : undefined,
    });
    const env = { ...cliEnv(pipeline), ...SECRETS, TIERLINE_TODAY: '2026-11-23' };
    serve = start(['serve', '--port', '0'], env);
    base = await pollUntil(
      'the receiver to listen',
      async () => /listening on (http:\/\/[\d.]+:\d+)/.exec(serve?.output() ?? '')?.[1],
      30_000,
      50,
    );
    const smtpUrl = new URL(smtp.url);
    smtpUrl.username = 'tierline';
    smtpUrl.password = SMTP_PASSWORD;
    workers = start(['workers'], {
      ...env,
      SMTP_URL: smtpUrl.toString(),
      TIERLINE_PUBLIC_URL: base,
      TIERLINE_MAIL_POLL_MS: '50',
      TIERLINE_MAIL_SETTLE_SECONDS: '0',
    });
    await pollUntil(
      'the workers to start',
      async () => (/"msg":"workers started"/.test(workers?.output() ?? '') ? true : undefined),
      30_000,
      50,
    );
  });

  afterAll(async () => {
    await stopChild(workers);
    await stopChild(serve);
    await smtp?.close();
    await pipeline?.stop();
  });

  /** Drives both processes through everything that handles contacts or secrets, once; returns their output. */
  let captured: Promise<string> | undefined;
  const capture = (): Promise<string> => (captured ??= exercise());

  async function exercise(): Promise<string> {
    const partner = {
      id: 'crm-red-p1',
      source: 'crm',
      type: 'partner.upserted',
      occurredAt: '2026-10-01T09:00:00Z',
      partnerId: 'P-RED-1',
      data: { name: 'Contoso Resell', partnerType: 'reseller', contacts: CONTACTS, status: 'active', version: 1 },
    };
    const deal = {
      id: 'crm-red-d1',
      source: 'crm',
      type: 'deal.upserted',
      occurredAt: '2026-11-20T10:00:00Z',
      partnerId: 'P-RED-1',
      data: {
        dealId: 'D-RED-1',
        stage: 'closed_won',
        amount: '300000.00',
        currency: 'USD',
        customerId: 'C-1',
        closedAt: '2026-11-20',
        version: 1,
      },
    };
    // Invalid (no partnerType): dead-lettered whole, with an address inside.
    const invalid = {
      ...partner,
      id: 'crm-red-bad',
      partnerId: 'P-RED-2',
      data: { name: 'Broken', contacts: [{ email: INVALID_CONTACT, role: 'primary' }], version: 1 },
    };
    const certifications = [1, 2].map((i) => ({
      id: `lms-red-c${i}`,
      source: 'lms',
      type: 'certification.earned',
      occurredAt: '2026-10-01T09:00:00Z',
      partnerId: 'P-RED-1',
      data: { personId: `E-${i}`, certificationId: 'sales-expert', earnedAt: '2026-10-01' },
    }));

    expect((await post('crm', JSON.stringify([partner, deal, invalid]), SECRETS.TIERLINE_SECRET_CRM)).status).toBe(202);
    expect((await post('lms', JSON.stringify(certifications), SECRETS.TIERLINE_SECRET_LMS)).status).toBe(202);
    const invoice = {
      id: 'erp-red-i1',
      source: 'erp',
      type: 'invoice.booked',
      occurredAt: '2026-11-01T09:00:00Z',
      partnerId: 'P-RED-1',
      data: { invoiceId: 'INV-RED-1', amount: '100.00', currency: 'USD', bookedAt: '2026-11-01', recurring: false },
    };
    expect((await post('erp', JSON.stringify(invoice), SECRETS.TIERLINE_SECRET_ERP)).status).toBe(202);
    // Signed with the wrong secret, and a signature header that is not even well formed.
    expect((await post('crm', JSON.stringify(partner), 'not-the-secret-at-all-0000')).status).toBe(401);
    expect(
      (
        await fetch(`${base}/events/crm`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-tierline-signature': `t=1,v1=${SECRETS.TIERLINE_SECRET_CRM}`,
          },
          body: '{}',
        })
      ).status,
    ).toBe(401);

    // The promotion is emailed to Alice; Bob's address is refused by the server.
    const [mail] = await smtp.waitFor(1, 60_000);
    expect(mail?.to).toEqual([CONTACTS[0]?.email]);
    await pollUntil(
      'the notification to be finished',
      async () => {
        const rows = await pipeline.database.db
          .selectFrom('outbox')
          .select('status')
          .where('partner_id', '=', 'P-RED-1')
          .execute();
        return rows.length > 0 && rows.every((r) => r.status !== 'pending' && r.status !== 'claimed')
          ? rows
          : undefined;
      },
      30_000,
      100,
    );
    const dead = await pipeline.database.db.selectFrom('dead_letters').select('event_id').execute();
    expect(dead.map((d) => d.event_id)).toEqual(['crm-red-bad']);

    // The unsubscribe link from the email, shown and used.
    const headers = (mail?.raw.toString('utf8').split(/\r?\n\r?\n/)[0] ?? '').replace(/\r?\n[ \t]+/g, '');
    const link = /^List-Unsubscribe:\s*<([^>]+)>/im.exec(headers)?.[1] ?? '';
    expect(link.startsWith(`${base}/unsubscribe?token=`)).toBe(true);
    secrets.set('unsubscribe token', new URL(link).searchParams.get('token') as string);
    expect((await fetch(link)).status).toBe(200);
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);

    // The dashboard: a login through ?token=, the cookie it sets, a bearer header, a wrong token.
    const login = await fetch(`${base}/admin/queues?token=${SECRETS.TIERLINE_ADMIN_TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    secrets.set('dashboard session cookie', cookie.split('=')[1] as string);
    expect((await fetch(`${base}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(200);
    expect(
      (await fetch(`${base}/admin/queues`, { headers: { authorization: `Bearer ${SECRETS.TIERLINE_ADMIN_TOKEN}` } }))
        .status,
    ).toBe(200);
    expect((await fetch(`${base}/admin/queues?token=wrong-${SECRETS.TIERLINE_ADMIN_TOKEN}`)).status).toBe(401);
    const scrape = await fetch(`${base}/metrics`, {
      headers: { authorization: `Bearer ${SECRETS.TIERLINE_METRICS_TOKEN}` },
    });
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^tierline_decisions_stored\{kind="promoted"\} 1$/m);

    await stopChild(workers);
    await stopChild(serve);
    return `${serve?.output() ?? ''}${workers?.output() ?? ''}`;
  }

  /** A line of a permanent SMTP refusal: the server's reply, as the notifier logs it. */
  const smtpRefusal = (line: string): boolean =>
    line.includes('"msg":"a recipient refused permanently; recorded as failed"');

  it('keeps contacts and secrets out of every line the receiver and the workers write', async () => {
    const output = await capture();
    const lines = output.split('\n').filter((l) => l.trim() !== '');

    // The capture is real: JSON lines covering what happened, with partner and job ids.
    const records = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON log line: ${line.slice(0, 200)}`);
      }
    });
    const messages = new Set(records.map((r) => r.msg));
    for (const msg of [
      'events queued',
      'refused webhook',
      'incoming request',
      'email sent',
      'a recipient refused permanently; recorded as failed',
    ])
      expect(messages, msg).toContain(msg);
    expect(records.some((r) => r.partnerId === 'P-RED-1')).toBe(true);
    expect(records.some((r) => typeof r.jobId === 'string')).toBe(true);
    expect(
      records.some(
        (r) =>
          typeof (r.req as { url?: string } | undefined)?.url === 'string' &&
          (r.req as { url: string }).url.startsWith('/unsubscribe?token=[redacted]'),
      ),
    ).toBe(true);

    // Every line but the SMTP refusal (the known leak below) is free of addresses.
    const checked = lines.filter((l) => !smtpRefusal(l)).join('\n');
    const addresses = [...new Set(checked.match(EMAIL) ?? [])].filter((a) => a !== FROM);
    expect(addresses, 'email addresses in the logs').toEqual([]);
    for (const contact of [...CONTACTS.map((c) => c.email), INVALID_CONTACT])
      expect(checked.toLowerCase(), contact).not.toContain(contact.toLowerCase());
    // No secret anywhere, the refusal line included.
    const leaked = [...secrets]
      .filter(([, value]) => value.length >= 8 && output.includes(value))
      .map(([what]) => what);
    expect(leaked, 'secrets in the logs').toEqual([]);
  }, 120_000);

  // SMTP servers quote the refused address ("550 5.1.1 <bob@...>: Recipient address
  // rejected"); the logger masks email-shaped text wherever it appears.
  it('logs an SMTP refusal without the address the server quoted', async () => {
    const refusals = (await capture()).split('\n').filter(smtpRefusal);
    expect(refusals.length).toBe(1);
    expect(refusals.join('\n').match(EMAIL) ?? []).toEqual([]);
  }, 120_000);
});
