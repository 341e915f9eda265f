// Daily digests (docs/notifications.md#daily-digest, issue 15 item 5): under `alerts.digest:
// "daily"` a partner's settled notifications of one day arrive as one email per recipient,
// once that day has ended, with the kinds in the fixed order; a notification withdrawn by the
// re-check is left out; a partner with nothing left gets nothing; and a notifier killed
// mid-digest, then restarted, delivers the digest once. Real pipeline workers, a real SMTP
// server, a 3-second settle. The day cut is the notifier's "today" (TIERLINE_TODAY), so no
// test waits for midnight: rows are written on AS_OF and the notifier is then moved to NEXT.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toJsonb } from '../../db/json.ts';
import { listEmails, showEmail } from '../../services/emails.ts';
import { recordOptOut } from '../../services/notifications/opt-out.ts';
import { createNotifier, startNotifier, type Notifier } from '../../workers/notifier/notifier.ts';
import { certificationEvent, cliEnv, dealEvent, ingestJobs, partnerEvent } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { spawnTierline, stopChild } from '../setup/children.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';
import {
  addPartner,
  addRow,
  drain,
  outboxRows,
  rowById,
  sample,
  SECRET,
  settled,
  silent,
  testConfig,
} from './support.ts';

const AS_OF = '2026-11-23';
const NEXT = '2026-11-24';
const SETTLE_MINUTES = 0.05;

const cert = (partnerId: string, personId: string, certificationId: string, expiresAt: string) =>
  JSON.stringify(
    certificationEvent(`${partnerId}-${personId}-${certificationId}`, partnerId, {
      personId,
      certificationId,
      earnedAt: '2026-01-10',
      expiresAt,
    }),
  );
const deal = (partnerId: string, version: number, amount: string) =>
  JSON.stringify(
    dealEvent(`${partnerId}-deal-v${version}`, partnerId, {
      dealId: `${partnerId}-D1`,
      amount,
      registeredAt: '2026-09-01',
      closedAt: '2026-11-21',
      version,
    }),
  );

function events(): { lms: string[]; crm: string[] } {
  const lms = [
    // P-MULTI: five sales people, four of them expiring on 10 December (a dated risk to Silver),
    // and two technical: promoted to Silver on 21 November by a $912,000 deal, $88,000 short of Gold.
    ...['E-1', 'E-2', 'E-3', 'E-4'].map((p) => cert('P-MULTI', p, 'sales-expert', '2026-12-10')),
    cert('P-MULTI', 'E-5', 'sales-expert', '2028-01-10'),
    ...['T-1', 'T-2'].map((p) => cert('P-MULTI', p, 'tech-expert', '2028-01-10')),
    // P-GONE: promoted by a deal the CRM corrects seconds later.
    ...['E-1', 'E-2'].map((p) => cert('P-GONE', p, 'sales-expert', '2028-01-10')),
  ];
  const crm = [
    JSON.stringify(
      partnerEvent('p-multi', 'P-MULTI', {
        name: 'Northwind & Sons',
        contacts: [
          { email: 'dana@multi.example', name: 'Dana', role: 'primary' },
          { email: 'ops@multi.example', name: 'Ops', role: 'primary' },
        ],
      }),
    ),
    JSON.stringify(
      partnerEvent('p-gone', 'P-GONE', {
        name: 'Gone Partner',
        contacts: [{ email: 'gone@gone.example', name: 'Gail', role: 'primary' }],
      }),
    ),
    deal('P-MULTI', 1, '912000.00'),
    deal('P-GONE', 1, '300000.00'),
  ];
  return { lms, crm };
}

const kindOf = (key: string): string => key.split('|')[0] ?? key;

describeWithPostgres('daily digests', () => {
  let pipeline: Pipeline;
  let smtp: TestSmtp;
  let dir: string;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    smtp = await startSmtp();
    restoreEnv = setEnv({ TIERLINE_TODAY: AS_OF, SMTP_URL: smtp.url, TIERLINE_UNSUBSCRIBE_SECRET: SECRET });
    dir = await mkdtemp(join(tmpdir(), 'tierline-digest-'));
    const program = JSON.parse(await readFile('examples/acme/program.json', 'utf8')) as { alerts: object };
    program.alerts = { ...program.alerts, settleMinutes: SETTLE_MINUTES, digest: 'daily' };
    const path = join(dir, 'program.json');
    await writeFile(path, JSON.stringify(program));
    pipeline = await createPipeline(path);
    await recordOptOut(pipeline.database.db, {
      partnerId: 'P-MULTI',
      email: 'ops@multi.example',
      kind: 'tier.at-risk',
    });
    await pipeline.startWorkers(['ingest', 'recompute']);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await smtp?.close();
    restoreEnv?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'one email per recipient with the day’s notifications in the fixed order, once the day has ended; withdrawn ones left out; nothing left, nothing sent',
    { timeout: 120_000 },
    async () => {
      const { db } = pipeline.database;
      const { lms, crm } = events();
      await ingestJobs(pipeline, 'lms', [lms]);
      await ingestJobs(pipeline, 'crm', [crm]);
      await waitUntilDrained(pipeline);
      await ingestJobs(pipeline, 'crm', [[deal('P-GONE', 2, '1000.00')]]);
      await waitUntilDrained(pipeline);
      await pipeline.stopWorkers();
      // A notification of the same day that is not true of P-MULTI's stored state: withdrawn at the re-check.
      await db
        .insertInto('outbox')
        .values({
          dedup_key: 'digest-test|not-true',
          kind: 'tier.promoted',
          partner_id: 'P-MULTI',
          payload: toJsonb({ ...sample('tier.promoted').payload, day: '2026-11-22', from: 'silver', to: 'gold' }),
          status: 'pending',
          digest_day: AS_OF,
        })
        .execute();

      const pending = (await outboxRows(db)).filter((r) => r.status === 'pending');
      expect(pending.map((r) => [r.partner_id, kindOf(r.dedup_key)]).sort()).toEqual([
        ['P-GONE', 'tier.promoted'],
        ['P-MULTI', 'digest-test'],
        ['P-MULTI', 'tier.at-risk'],
        ['P-MULTI', 'tier.near-promotion'],
        ['P-MULTI', 'tier.promoted'],
      ]);

      // Settled, but the day has not ended: nothing is claimed, nothing sent.
      const notifier: Notifier = createNotifier({
        db,
        log: silent,
        config: testConfig(smtp.url, { settleSeconds: undefined }),
      });
      await pollUntil('every row to have settled', async () => {
        const { rows } = await sql<{ ok: boolean }>`
          select bool_and(created_at <= now() - make_interval(secs => ${SETTLE_MINUTES * 60})) as ok
            from outbox where status = 'pending'`.execute(db);
        return rows[0]?.ok === true ? true : undefined;
      });
      expect(await notifier.runOnce()).toBe(0);
      expect(smtp.received).toHaveLength(0);
      expect((await outboxRows(db)).filter((r) => r.status === 'pending')).toHaveLength(5);

      // The next day: the digests of AS_OF go out.
      const restoreDay = setEnv({ TIERLINE_TODAY: NEXT });
      try {
        await drain(notifier, db);
        expect(await notifier.runOnce()).toBe(0);
      } finally {
        restoreDay();
        await notifier.stop(2_000);
      }

      expect(smtp.received.map((m) => m.to.join(',')).sort()).toEqual(['dana@multi.example', 'ops@multi.example']);
      const to = (email: string) => smtp.received.find((m) => m.to[0] === email)?.mail;
      const dana = to('dana@multi.example');
      expect(dana?.subject).toBe('Congratulations: Northwind & Sons is now Silver (and 2 more updates)');
      expect(dana?.headers.get('x-tierline-kind')).toBe('digest');
      const text = dana?.text ?? '';
      const order = ['== Promotion: Northwind & Sons is now Silver ==', '== At risk:', '== Almost there:'].map((s) =>
        text.indexOf(s),
      );
      expect(
        order.every((i) => i >= 0),
        text,
      ).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');
      expect(text).not.toContain('is now Gold');
      // The partner page link once (text and HTML), and the HTML escapes the CRM name.
      expect(text.match(/http:\/\/localhost:8080\/p\//g)).toHaveLength(1);
      expect(dana?.html).toContain('Northwind &amp; Sons');
      expect(String(dana?.html).match(/href="http:\/\/localhost:8080\/p\//g)).toHaveLength(1);
      // Ops opted out of at-risk alerts: the same digest without that section.
      const ops = to('ops@multi.example')?.text ?? '';
      expect(ops).toContain('== Promotion:');
      expect(ops).toContain('== Almost there:');
      expect(ops).not.toContain('== At risk:');
      expect(smtp.received.some((m) => m.to.includes('gone@gone.example'))).toBe(false);

      const rows = await outboxRows(db);
      const status = rows.map((r) => [r.partner_id, kindOf(r.dedup_key), r.status]).filter((r) => r[2] !== 'skipped');
      expect(status.sort()).toEqual([
        ['P-GONE', 'tier.promoted', 'withdrawn'],
        ['P-MULTI', 'digest-test', 'withdrawn'],
        ['P-MULTI', 'tier.at-risk', 'sent'],
        ['P-MULTI', 'tier.near-promotion', 'sent'],
        ['P-MULTI', 'tier.promoted', 'sent'],
      ]);
      expect(rows.find((r) => r.dedup_key === 'digest-test|not-true')?.skip_reason).toBe(
        'the promotion from silver to gold on 2026-11-22 is no longer in the effective-tier history',
      );
      const digests = await db
        .selectFrom('outbox_digests')
        .select(['id', 'digest_key', 'status', 'message_id', 'skip_reason'])
        .orderBy('digest_key')
        .execute();
      expect(digests.map((d) => [d.digest_key, d.status])).toEqual([
        [`P-GONE|${AS_OF}`, 'withdrawn'],
        [`P-MULTI|${AS_OF}`, 'sent'],
      ]);
      // Each sent row names the messages that carried it: the at-risk one only Dana's.
      const danaId = smtp.received.find((m) => m.to[0] === 'dana@multi.example')?.messageId;
      const atRisk = rows.find((r) => r.partner_id === 'P-MULTI' && kindOf(r.dedup_key) === 'tier.at-risk');
      expect(atRisk?.message_id).toBe(danaId);

      // `emails list` names the digest of each row it carried.
      const listed = await listEmails(db, { partnerId: 'P-MULTI', limit: 10 });
      for (const e of listed.filter((x) => x.status === 'sent'))
        expect(e.digest).toEqual({ id: digests[1]?.id, key: `P-MULTI|${AS_OF}`, status: 'sent' });
      // `emails show` of one of them shows the digest as Dana read it.
      const shown = await showEmail(db, atRisk?.id ?? '');
      expect(shown.digest?.rendered.subject).toBe(dana?.subject);
      expect(shown.digest?.rendered.text).toContain('== At risk:');
    },
  );

  it(
    'a notifier process killed mid-digest, then restarted, delivers the digest once',
    { timeout: 90_000 },
    async () => {
      const { db } = pipeline.database;
      await addPartner(db, 'P-KILL', 'Keystone Data Solutions', [
        { email: 'marco@keystone.example', name: 'Marco Bellini', role: 'primary' },
      ]);
      const ids = [
        await addRow(db, sample('tier.at-risk.dated'), 'P-KILL'),
        await addRow(db, sample('tier.promoted'), 'P-KILL'),
      ];
      await db.updateTable('outbox').set({ digest_day: AS_OF }).where('id', 'in', ids).execute();
      const before = smtp.received.length;
      smtp.policy = { hold: (rcpt) => rcpt.includes('marco@keystone.example') };

      const worker = spawnTierline(['workers', '--only', 'notifier'], {
        ...cliEnv(pipeline),
        SMTP_URL: smtp.url,
        TIERLINE_UNSUBSCRIBE_SECRET: SECRET,
        TIERLINE_TODAY: NEXT,
        TIERLINE_MAIL_POLL_MS: '50',
        TIERLINE_MAIL_SETTLE_SECONDS: '0',
        LOG_LEVEL: 'warn',
        TIERLINE_SMTP_TIMEOUT_MS: '20000',
        TIERLINE_MAIL_CLAIM_TIMEOUT_MS: '120000',
      });
      let restarted: Notifier | undefined;
      const restoreDay = setEnv({ TIERLINE_TODAY: NEXT });
      try {
        await pollUntil(
          'the notifier child to be mid-send',
          async () => (smtp.held.length > 0 ? true : undefined),
          45_000,
          50,
        ).catch((error: unknown) => {
          throw new Error(`${(error as Error).message}\n${worker.output()}`);
        });
        worker.child.kill('SIGKILL');
        expect(await worker.exited).toBe('SIGKILL');

        const digest = await db
          .selectFrom('outbox_digests')
          .selectAll()
          .where('digest_key', '=', `P-KILL|${AS_OF}`)
          .executeTakeFirstOrThrow();
        expect(digest.status).toBe('claimed');
        expect(digest.deliveries['marco@keystone.example']?.status).toBe('sending');
        for (const id of ids) expect(await rowById(db, id)).toMatchObject({ status: 'claimed' });
        expect(smtp.received.length).toBe(before);

        // Restart: the dead process's claim times out and the digest is claimed again, rows and all.
        smtp.policy = {};
        restarted = startNotifier({
          db,
          log: silent,
          config: testConfig(smtp.url, { claimTimeoutMs: 500, pollMs: 50 }),
        });
        await smtp.waitFor(before + 1);
        await settled(db);
        await pollUntil('the digest to be recorded sent', async () => {
          const d = await db
            .selectFrom('outbox_digests')
            .select('status')
            .where('id', '=', digest.id)
            .executeTakeFirstOrThrow();
          return d.status === 'sent' ? true : undefined;
        });
        // Give a duplicate every chance to show up (a few more rounds).
        for (let i = 0; i < 3; i++) await restarted.runOnce();

        const delivered = smtp.received.filter((m) => m.to[0] === 'marco@keystone.example');
        expect(delivered).toHaveLength(1);
        const held = await simpleParser(smtp.held[0]?.raw ?? Buffer.alloc(0));
        expect(delivered[0]?.messageId).toBe(held.messageId);
        expect(delivered[0]?.mail.subject).toMatch(/^Congratulations: .* \(and 1 more update\)$/);
        const after = await db
          .selectFrom('outbox_digests')
          .selectAll()
          .where('id', '=', digest.id)
          .executeTakeFirstOrThrow();
        expect(after).toMatchObject({ status: 'sent', attempts: 2 });
        expect(after.deliveries['marco@keystone.example']).toMatchObject({ status: 'sent', attempts: 2 });
        for (const id of ids)
          expect(await rowById(db, id)).toMatchObject({ status: 'sent', message_id: delivered[0]?.messageId });
      } finally {
        restoreDay();
        await stopChild(worker, 2_000);
        await restarted?.stop(2_000);
      }
    },
  );
});
