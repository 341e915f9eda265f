// The outbox relay against a real SMTP server, with outbox rows written directly: who
// receives what, exactly once; opt-outs; permanent and transient failures; escaping; rate
// limits; crashes between claiming, sending and recording; .eml files without SMTP.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { storeProgramVersions } from '../../services/programs.ts';
import { createNotifier, stableMessageId, type Notifier } from '../../workers/notifier/notifier.ts';
import { finishRow } from '../../db/repositories/outbox.ts';
import { claimRows } from '../../services/notifications/claim.ts';
import { recordOptOut } from '../../services/notifications/opt-out.ts';
import { fileTransport } from '../../workers/notifier/transport.ts';
import { verifyUnsubscribeToken } from '../../workers/notifier/unsubscribe.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';
import { loadExampleProgram } from '../setup/pipeline.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';
import { SECRET, addPartner, addRow, drain, outboxRows, rowById, sample, silent, testConfig } from './support.ts';

/** Claim options of the tests that call claimRows directly (no cap or timeout in the way). */
const CLAIM = { limit: 10, claimTimeoutMs: 60_000, perPartnerPerDay: 5, today: '2026-11-23', capRecheckMs: 60_000 };

describeWithPostgres('notifier: outbox relay', () => {
  let fresh: FreshDatabase;
  let smtp: TestSmtp;
  const notifiers: Notifier[] = [];

  const notifier = (
    overrides: Parameters<typeof testConfig>[1] = {},
    hooks?: Parameters<typeof createNotifier>[0]['hooks'],
    backlog?: Parameters<typeof createNotifier>[0]['backlog'],
  ): Notifier => {
    const n = createNotifier({
      db: fresh.db,
      log: silent,
      config: testConfig(smtp.url, overrides),
      ...(hooks ? { hooks } : {}),
      ...(backlog ? { backlog } : {}),
    });
    notifiers.push(n);
    return n;
  };

  beforeAll(async () => {
    fresh = await freshDatabase();
    const program = loadExampleProgram();
    await fresh.db.transaction().execute(async (trx) => {
      const stored = await storeProgramVersions(
        trx,
        program.versions.map((v) => v.program),
      );
      if (!stored.ok) throw new Error(stored.problems.join('\n'));
    });
  });
  afterAll(() => fresh.drop());

  beforeEach(async () => {
    vi.stubEnv('TIERLINE_TODAY', '2026-11-23');
    smtp = await startSmtp();
    await sql`truncate outbox, partners, notification_preferences, audit_log`.execute(fresh.db);
  });
  afterEach(async () => {
    for (const n of notifiers.splice(0)) await n.stop(1_000);
    await smtp.close();
    vi.unstubAllEnvs();
  });

  it('sends each notification once, to the primary contacts only, with both parts and the amounts in words', async () => {
    await addPartner(fresh.db, 'P-1', 'Northwind Systems GmbH', [
      { email: 'Dana@Example.com', name: 'Dana Whitfield', role: 'primary' },
      { email: 'dana@example.com', role: 'primary' },
      { email: 'ap@example.com', name: 'Accounts', role: 'finance' },
      { email: 'lee@example.com', name: 'Lee Chan', role: 'Primary' },
    ]);
    await addPartner(fresh.db, 'P-2', 'Harbor & Vale IT Services', [
      { email: 'priya@example.com', name: 'Priya Raman', role: 'primary' },
      { email: 'cto@example.com' },
    ]);
    await addPartner(fresh.db, 'P-3', 'Summit Reseller Group', [
      { email: 'alex@example.com', name: 'Alex Kim', role: 'primary' },
    ]);
    const promoted = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    const grace = await addRow(fresh.db, sample('tier.at-risk'), 'P-2');
    const near = await addRow(fresh.db, sample('tier.near-promotion'), 'P-3');

    const n = notifier();
    await drain(n, fresh.db);
    await drain(n, fresh.db);

    const byRecipient = Object.fromEntries(smtp.received.map((m) => [m.to.join(','), m]));
    expect(Object.keys(byRecipient).sort()).toEqual([
      'alex@example.com',
      'dana@example.com',
      'lee@example.com',
      'priya@example.com',
    ]);
    expect(smtp.received).toHaveLength(4);

    const dana = byRecipient['dana@example.com'];
    expect(dana?.mail.subject).toBe('Congratulations: Northwind Systems GmbH is now Silver');
    expect(dana?.mail.text).toContain('$388,000 more trailing-12-month revenue');
    expect(dana?.mail.html).toContain('$388,000 more trailing-12-month revenue');
    expect(dana?.mail.text).toContain('Hello Dana Whitfield,');
    expect(dana?.mail.to && 'value' in dana.mail.to ? dana.mail.to.value.map((a) => a.address) : []).toEqual([
      'dana@example.com',
    ]);
    expect(dana?.mail.from?.value[0]?.name).toBe('Acme Partner Program');

    const priya = byRecipient['priya@example.com'];
    expect(priya?.mail.subject).toBe(
      'Action needed: Harbor & Vale IT Services could move from Gold to Silver on 14 February 2027',
    );
    expect(priya?.mail.text).toContain(
      'You need $88,000 more trailing-12-month revenue and 1 more person with tech-expert to keep Gold.',
    );
    expect(priya?.mail.html).toContain('Harbor &amp; Vale IT Services');

    const alex = byRecipient['alex@example.com'];
    expect(alex?.mail.subject).toBe('Summit Reseller Group is close to Gold');
    expect(alex?.mail.text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');

    // The unsubscribe header carries a token signed for this contact and kind.
    const header = alex?.mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const token = decodeURIComponent(/token=([^>&]+)/.exec(header)?.[1] ?? '');
    expect(verifyUnsubscribeToken(token, SECRET)).toEqual({
      partnerId: 'P-3',
      email: 'alex@example.com',
      kind: 'tier.near-promotion',
    });
    expect(alex?.mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    // Handlebars escapes '=' in attribute values as &#x3D;, which the browser decodes.
    expect(String(alex?.mail.html).replaceAll('&#x3D;', '=')).toContain(
      `href="http://localhost:8080/unsubscribe?token=${token}"`,
    );

    const rows = await outboxRows(fresh.db);
    expect(rows.map((r) => [r.id, r.status, r.attempts])).toEqual([
      [promoted, 'sent', 1],
      [grace, 'sent', 1],
      [near, 'sent', 1],
    ]);
    const nearRow = rows.find((r) => r.id === near);
    expect(alex?.messageId).toBe(stableMessageId(nearRow?.dedup_key ?? '', 'alex@example.com'));
    expect(nearRow?.message_id).toBe(alex?.messageId);
    expect(rows.find((r) => r.id === promoted)?.message_id?.split(' ')).toHaveLength(2);
    expect(rows.map((r) => r.quota_day)).toEqual(['2026-11-23', '2026-11-23', '2026-11-23']);
  });

  it('an opted-out contact receives nothing; with nobody left the row is skipped with the reason', async () => {
    await addPartner(fresh.db, 'P-1', 'Bluebird Cloud Partners', [
      { email: 'sam@example.com', role: 'primary' },
      { email: 'kim@example.com', role: 'primary' },
    ]);
    await addPartner(fresh.db, 'P-2', 'Keystone Data Solutions', [{ email: 'marco@example.com', role: 'primary' }]);
    await addPartner(fresh.db, 'P-3', 'Nobody Home Ltd', [{ email: 'billing@example.com', role: 'finance' }]);
    await recordOptOut(fresh.db, { partnerId: 'P-1', email: 'KIM@example.com', kind: 'tier.at-risk' });
    await recordOptOut(fresh.db, { partnerId: 'P-2', email: 'marco@example.com', kind: '*' });
    const atRisk = await addRow(fresh.db, sample('tier.at-risk'), 'P-1');
    const promoted = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    const everyone = await addRow(fresh.db, sample('tier.at-risk.dated'), 'P-2');
    const nobody = await addRow(fresh.db, sample('tier.near-promotion'), 'P-3');

    await drain(notifier(), fresh.db);

    expect(smtp.received.map((m) => [m.to[0], m.mail.subject?.split(' ')[0]]).sort()).toEqual([
      ['kim@example.com', 'Congratulations:'],
      ['sam@example.com', 'Action'],
      ['sam@example.com', 'Congratulations:'],
    ]);
    expect((await rowById(fresh.db, atRisk)).status).toBe('sent');
    expect((await rowById(fresh.db, promoted)).status).toBe('sent');
    expect(await rowById(fresh.db, everyone)).toMatchObject({
      status: 'skipped',
      skip_reason: 'every primary contact opted out of tier.at-risk',
    });
    expect(await rowById(fresh.db, nobody)).toMatchObject({ status: 'skipped', skip_reason: 'no primary contact' });
    const audit = await fresh.db.selectFrom('audit_log').select(['action', 'partner_id']).orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'notification-opt-out', partner_id: 'P-1' },
      { action: 'notification-opt-out', partner_id: 'P-2' },
    ]);
  });

  it('a permanently refused address is recorded as failed and does not block the others', async () => {
    smtp.policy = {
      rcpt: (address) =>
        address.startsWith('gone@') ? { code: 550, message: '5.1.1 <gone@example.com>: no such user' } : undefined,
    };
    await addPartner(fresh.db, 'P-1', 'Gone Partner', [{ email: 'gone@example.com', role: 'primary' }]);
    await addPartner(fresh.db, 'P-2', 'Half Gone', [
      { email: 'gone@example.com', role: 'primary' },
      { email: 'here@example.com', role: 'primary' },
      { email: 'not an address', role: 'primary' },
    ]);
    await addPartner(fresh.db, 'P-3', 'Fine Partner', [{ email: 'fine@example.com', role: 'primary' }]);
    const failed = await addRow(fresh.db, sample('tier.demoted'), 'P-1');
    const half = await addRow(fresh.db, sample('tier.demoted'), 'P-2');
    const fine = await addRow(fresh.db, sample('tier.demoted'), 'P-3');

    await drain(notifier(), fresh.db);

    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['fine@example.com', 'here@example.com']);
    const f = await rowById(fresh.db, failed);
    expect(f.status).toBe('failed');
    expect(f.attempts).toBe(1);
    expect(f.last_error).toMatch(/550.*no such user/);
    expect(f.deliveries['gone@example.com']).toMatchObject({ status: 'failed', attempts: 1 });
    const h = await rowById(fresh.db, half);
    expect(h.status).toBe('sent');
    expect(h.last_error).toMatch(/^2 of 3 recipients failed: .*550.*; invalid address$/);
    expect(h.deliveries['not an address']).toMatchObject({ status: 'failed', error: 'invalid address', attempts: 0 });
    expect((await rowById(fresh.db, fine)).status).toBe('sent');
  });

  it('retries transient failures with backoff: 4xx, then success; a refused connection waits its turn', async () => {
    let refusals = 0;
    smtp.policy = { data: () => (refusals++ < 2 ? { code: 451, message: '4.3.0 try again later' } : undefined) };
    await addPartner(fresh.db, 'P-1', 'Retry Partner', [{ email: 'later@example.com', role: 'primary' }]);
    const id = await addRow(fresh.db, sample('tier.promoted'), 'P-1');

    const n = notifier();
    await n.runOnce();
    const first = await rowById(fresh.db, id);
    expect(first).toMatchObject({ status: 'pending', attempts: 1 });
    expect(first.last_error).toMatch(/451/);
    expect(first.next_attempt_at?.getTime()).toBeGreaterThan(Date.now() - 1_000);
    await drain(n, fresh.db);
    const done = await rowById(fresh.db, id);
    expect(done).toMatchObject({ status: 'sent', attempts: 3, last_error: null });
    expect(done.deliveries['later@example.com']).toMatchObject({ status: 'sent', attempts: 3 });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.dataCount()).toBe(3);

    // Nothing listens on the port of a closed server: connection refused is transient.
    const closed = await startSmtp();
    const deadUrl = closed.url;
    await closed.close();
    const id2 = await addRow(fresh.db, sample('tier.near-promotion'), 'P-1');
    const dead = createNotifier({ db: fresh.db, log: silent, config: testConfig(deadUrl, { smtpTimeoutMs: 2_000 }) });
    notifiers.push(dead);
    await dead.runOnce();
    const refused = await rowById(fresh.db, id2);
    expect(refused).toMatchObject({ status: 'pending', attempts: 1 });
    expect(refused.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);
    await drain(n, fresh.db);
    expect((await rowById(fresh.db, id2)).status).toBe('sent');
  });

  it('gives up after maxAttempts transient failures', async () => {
    smtp.policy = { data: () => ({ code: 421, message: '4.7.0 temporarily unavailable' }) };
    await addPartner(fresh.db, 'P-1', 'Never Partner', [{ email: 'never@example.com', role: 'primary' }]);
    const id = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    await drain(notifier({ maxAttempts: 3 }), fresh.db);
    const row = await rowById(fresh.db, id);
    expect(row.status).toBe('failed');
    expect(row.attempts).toBe(3);
    expect(row.last_error).toMatch(/^gave up after 3 attempts: .*421/);
  });

  it('escapes HTML injection in the partner name and keeps headers to one line', async () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>Evil & Co\r\nBcc: victim@example.com';
    await addPartner(fresh.db, 'P-1', hostile, [
      { email: 'target@example.com', name: 'Eve\r\nBcc: victim2@example.com', role: 'primary' },
    ]);
    await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    await drain(notifier(), fresh.db);

    expect(smtp.received).toHaveLength(1);
    const [m] = smtp.received;
    expect(m?.to).toEqual(['target@example.com']);
    expect(m?.mail.bcc).toBeUndefined();
    expect(m?.mail.subject).toBe(
      'Congratulations: <img src=x onerror=alert(1)><script>alert(2)</script>Evil & Co Bcc: victim@example.com is now Silver',
    );
    const html = String(m?.mail.html);
    expect(html).not.toMatch(/<img src=x|<script>/);
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;Evil &amp; Co');
    const headerBlock = m?.raw.toString('utf8').split('\r\n\r\n')[0] ?? '';
    expect(headerBlock).not.toMatch(/^Bcc:/im);
  });

  it('caps each partner per day and paces the global rate, queueing rather than dropping', async () => {
    await addPartner(fresh.db, 'P-1', 'Busy Partner', [{ email: 'busy@example.com', role: 'primary' }]);
    await addPartner(fresh.db, 'P-2', 'Quiet Partner', [{ email: 'quiet@example.com', role: 'primary' }]);
    const busy = [];
    for (let i = 0; i < 4; i++) busy.push(await addRow(fresh.db, sample('tier.at-risk'), 'P-1', `|${i}`));
    const quiet = await addRow(fresh.db, sample('tier.promoted'), 'P-2');

    const n = notifier({ perPartnerPerDay: 2, capRecheckMs: 3_600_000 });
    await drain(n, fresh.db);
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual([
      'busy@example.com',
      'busy@example.com',
      'quiet@example.com',
    ]);
    const waiting = await Promise.all(busy.slice(2).map((id) => rowById(fresh.db, id)));
    expect(waiting.map((r) => [r.status, r.attempts, r.quota_day])).toEqual([
      ['pending', 0, null],
      ['pending', 0, null],
    ]);
    expect(waiting.every((r) => (r.next_attempt_at?.getTime() ?? 0) > Date.now() + 3_000_000)).toBe(true);
    expect((await rowById(fresh.db, quiet)).status).toBe('sent');

    // The next day, once the cap is looked at again, the rest go out.
    vi.stubEnv('TIERLINE_TODAY', '2026-11-24');
    await sql`update outbox set next_attempt_at = now() where status = 'pending'`.execute(fresh.db);
    await drain(n, fresh.db);
    expect(smtp.received).toHaveLength(5);
    expect((await outboxRows(fresh.db)).filter((r) => r.partner_id === 'P-1').map((r) => r.quota_day)).toEqual([
      '2026-11-23',
      '2026-11-23',
      '2026-11-24',
      '2026-11-24',
    ]);

    // Global rate: 12 messages at 6 per second take about a second past the first burst.
    for (let i = 0; i < 12; i++)
      await addPartner(fresh.db, `R-${i}`, `Rate ${i}`, [{ email: `r${i}@example.com`, role: 'primary' }]);
    for (let i = 0; i < 12; i++) await addRow(fresh.db, sample('tier.near-promotion'), `R-${i}`);
    const paced = notifier({ perSecond: 6, batchSize: 50 });
    const started = performance.now();
    await drain(paced, fresh.db);
    expect(smtp.received).toHaveLength(17);
    expect(performance.now() - started).toBeGreaterThan(900);
  });

  it('after a crash between sending and recording, the resend carries the same Message-ID; a crash before sending sends once', async () => {
    await addPartner(fresh.db, 'P-1', 'Crash Partner', [{ email: 'crash@example.com', role: 'primary' }]);
    await addPartner(fresh.db, 'P-2', 'Claimed Partner', [{ email: 'claimed@example.com', role: 'primary' }]);
    await addPartner(fresh.db, 'P-3', 'Halfway Partner', [
      { email: 'first@example.com', role: 'primary' },
      { email: 'second@example.com', role: 'primary' },
    ]);
    const afterSend = await addRow(fresh.db, sample('tier.promoted'), 'P-1');

    // 1. The server accepted the message, then the notifier "died" before recording it.
    const crashing = notifier(
      { claimTimeoutMs: 200 },
      {
        afterSend: () => {
          throw new Error('simulated crash after send');
        },
      },
    );
    await crashing.runOnce();
    const orphan = await rowById(fresh.db, afterSend);
    expect(orphan.status).toBe('claimed');
    expect(orphan.deliveries['crash@example.com']?.status).toBe('sending');
    expect(smtp.received).toHaveLength(1);

    // 2. Claimed, then died before anything was sent.
    const beforeSend = await addRow(fresh.db, sample('tier.at-risk'), 'P-2');
    await sql`update outbox set status = 'claimed', claimed_at = now() - interval '1 hour', attempts = 1 where id = ${beforeSend}`.execute(
      fresh.db,
    );
    // 3. Died between two recipients: the first is recorded sent.
    const halfway = await addRow(fresh.db, sample('tier.near-promotion'), 'P-3');
    const firstId = stableMessageId(`${sample('tier.near-promotion').dedupKey}|P-3`, 'first@example.com');
    await sql`update outbox set status = 'claimed', claimed_at = now() - interval '1 hour', attempts = 1,
      deliveries = ${JSON.stringify({ 'first@example.com': { status: 'sent', messageId: firstId, attempts: 1, at: new Date().toISOString() } })}::jsonb
      where id = ${halfway}`.execute(fresh.db);

    await new Promise((r) => setTimeout(r, 300));
    await drain(notifier({ claimTimeoutMs: 200 }), fresh.db);

    const crashes = smtp.received.filter((m) => m.to[0] === 'crash@example.com');
    expect(crashes).toHaveLength(2);
    expect(crashes[0]?.messageId).toBe(crashes[1]?.messageId);
    expect(crashes[0]?.messageId).toBe(stableMessageId(`${sample('tier.promoted').dedupKey}|P-1`, 'crash@example.com'));
    expect(await rowById(fresh.db, afterSend)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.filter((m) => m.to[0] === 'claimed@example.com')).toHaveLength(1);
    expect(await rowById(fresh.db, beforeSend)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.received.filter((m) => m.to[0] === 'first@example.com')).toHaveLength(0);
    expect(smtp.received.filter((m) => m.to[0] === 'second@example.com')).toHaveLength(1);
    const h = await rowById(fresh.db, halfway);
    expect(h.status).toBe('sent');
    expect(h.message_id?.split(' ')).toContain(firstId);
  });

  it('fences every write on the claim: a notifier that lost its claim changes nothing', async () => {
    await addPartner(fresh.db, 'P-1', 'Fenced Partner', [{ email: 'fenced@example.com', role: 'primary' }]);
    const id = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    const options = { ...CLAIM, settle: { seconds: 0 } };
    const { claimed } = await claimRows(fresh.db, options);
    expect(claimed.map((r) => r.id)).toEqual([id]);
    // Claimed rows are not claimed again before the timeout; SKIP LOCKED / id order pick the rest.
    expect((await claimRows(fresh.db, options)).claimed).toEqual([]);
    await sql`update outbox set claimed_at = now() + interval '1 second' where id = ${id}`.execute(fresh.db);
    const row = claimed[0];
    if (!row) throw new Error('no row');
    expect(
      await finishRow(fresh.db, row, row.claimedAt, { status: 'sent', messageIds: ['<x@tierline>'], lastError: null }),
    ).toBe(false);
    expect((await rowById(fresh.db, id)).status).toBe('claimed');
  });

  it('holds a settled row while an ingest job queued before it settled is unfinished; a resend is not held', async () => {
    await addPartner(fresh.db, 'P-1', 'Backlog Partner', [{ email: 'backlog@example.com', role: 'primary' }]);
    const id = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    const options = CLAIM;
    // Settled (0 s), but events accepted an hour ago are still on their way: held.
    const hourAgo = new Date(Date.now() - 3_600_000);
    expect((await claimRows(fresh.db, { ...options, settle: { seconds: 0, backlogSince: hourAgo } })).claimed).toEqual(
      [],
    );
    // The oldest unfinished job was queued after the row settled: claimed.
    const later = new Date(Date.now() + 60_000);
    const { claimed } = await claimRows(fresh.db, { ...options, settle: { seconds: 0, backlogSince: later } });
    expect(claimed.map((r) => r.id)).toEqual([id]);
    // An operator's resend is due at once, backlog or not.
    await sql`update outbox set status = 'pending', claimed_at = null, payload = payload || '{"resendOf":"1"}' where id = ${id}`.execute(
      fresh.db,
    );
    const resent = await claimRows(fresh.db, { ...options, settle: { seconds: 3_600, backlogSince: hourAgo } });
    expect(resent.claimed.map((r) => r.id)).toEqual([id]);
  });

  it('sends nothing while the ingest backlog cannot be read, and sends once it can', async () => {
    await addPartner(fresh.db, 'P-1', 'Unknown Backlog', [{ email: 'unknown@example.com', role: 'primary' }]);
    const id = await addRow(fresh.db, sample('tier.promoted'), 'P-1');
    let readable = false;
    const n = notifier({}, undefined, async () => {
      if (!readable) throw new Error('no answer from Redis within 5000 ms');
      return undefined;
    });
    expect(await n.runOnce()).toBe(0);
    expect((await rowById(fresh.db, id)).status).toBe('pending');
    readable = true;
    expect(await n.runOnce()).toBe(1);
    expect((await rowById(fresh.db, id)).status).toBe('sent');
  });

  it('without SMTP_URL, writes one .eml file per message and logs its path', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tierline-outbox-'));
    try {
      await addPartner(fresh.db, 'P-1', 'File Partner', [{ email: 'files@example.com', name: 'Fay', role: 'primary' }]);
      await addRow(fresh.db, sample('tier.near-promotion'), 'P-1');
      const lines: string[] = [];
      const log = pino(
        { level: 'info' },
        new Writable({ write: (chunk: Buffer, _enc, done) => void (lines.push(chunk.toString()), done()) }),
      );
      const n = createNotifier({
        db: fresh.db,
        log,
        config: testConfig(undefined, { outboxDir: dir }),
        transport: fileTransport(dir),
      });
      notifiers.push(n);
      await drain(n, fresh.db);
      const files = await readdir(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^tier-near-promotion-P-1-[0-9a-f]{12}-[0-9a-f]{8}\.eml$/);
      const file = path.join(dir, files[0] ?? '');
      const mail = await simpleParser(await readFile(file));
      expect(mail.subject).toBe('File Partner is close to Gold');
      expect(mail.text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');
      expect(lines.some((l) => l.includes(file) && l.includes('email written to file'))).toBe(true);
      expect(lines.some((l) => l.includes('files@example.com'))).toBe(false);
      const row = (await outboxRows(fresh.db))[0];
      expect(row?.deliveries['files@example.com']?.path).toBe(file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
