// Notifications end to end: events through the ingest and recompute workers, the outbox
// written in the recompute transaction, the notifier role of `tierline workers` sending
// through a real SMTP server. A promotion, a grace entry and a near-promotion each arrive
// exactly once, even when the recompute runs three times; and a notifier process killed
// mid-send and restarted still delivers that email once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { startNotifier, stableMessageId, type Notifier } from '../../workers/notifier/notifier.ts';
import { recordOptOut } from '../../services/notifications/opt-out.ts';
import { certificationEvent, cliEnv, dealEvent, ingestJobs, partnerEvent } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { spawnTierline, stopChild } from '../setup/children.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';
import { simpleParser } from 'mailparser';
import { verifyPartnerToken } from '../../services/links.ts';
import { DEVELOPMENT_LINK_SECRET } from '../../workers/http/pages/config.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';
import { SECRET, addPartner, addRow, outboxRows, rowById, sample, settled, silent, testConfig } from './support.ts';

const AS_OF = '2026-11-23';
const ENV = {
  TIERLINE_TODAY: AS_OF,
  TIERLINE_UNSUBSCRIBE_SECRET: SECRET,
  TIERLINE_MAIL_POLL_MS: '50',
  TIERLINE_MAIL_SETTLE_SECONDS: '0',
};

const contact = (email: string, name: string, role = 'primary') => ({ email, name, role });

function events() {
  const certs = (partnerId: string, ids: string[], certificationId: string, earnedAt: string, expiresAt: string) =>
    ids.map((personId) =>
      certificationEvent(`${partnerId}-${personId}-${certificationId}`, partnerId, {
        personId,
        certificationId,
        earnedAt,
        expiresAt,
      }),
    );
  const lms = [
    // Promoted to Silver two days ago by a deal: two sales people certified.
    ...certs('P-PROMO', ['E-1', 'E-2'], 'sales-expert', '2026-01-10', '2028-01-10'),
    // Gold since a year ago; the big deal left the trailing window five days ago: grace.
    ...certs('P-GRACE', ['E-1', 'E-2', 'E-3', 'E-4', 'E-5'], 'sales-expert', '2025-06-01', '2027-06-01'),
    ...certs('P-GRACE', ['T-1', 'T-2'], 'tech-expert', '2025-06-01', '2027-06-01'),
    // Silver, and $88,000 short of Gold's revenue with every other Gold criterion met.
    ...certs('P-NEAR', ['E-1', 'E-2', 'E-3', 'E-4', 'E-5'], 'sales-expert', '2026-01-10', '2028-01-10'),
    ...certs('P-NEAR', ['T-1', 'T-2'], 'tech-expert', '2026-01-10', '2028-01-10'),
  ];
  const crm = [
    partnerEvent('p-promo', 'P-PROMO', {
      name: 'Northwind Systems GmbH',
      contacts: [
        contact('dana@northwind.example', 'Dana Whitfield'),
        contact('ap@northwind.example', 'Accounts', 'finance'),
      ],
    }),
    partnerEvent('p-grace', 'P-GRACE', {
      name: 'Harbor & Vale IT Services',
      contacts: [
        contact('priya@harbor.example', 'Priya Raman'),
        contact('optout@harbor.example', 'Olly Out'),
        contact('cfo@harbor.example', 'Finance', 'finance'),
      ],
    }),
    partnerEvent('p-near', 'P-NEAR', {
      name: 'Summit Reseller Group',
      contacts: [contact('alex@summit.example', 'Alex Kim')],
    }),
    dealEvent('d-promo', 'P-PROMO', {
      dealId: 'D-1',
      amount: '300000.00',
      registeredAt: '2026-09-01',
      closedAt: '2026-11-21',
    }),
    dealEvent('d-grace-1', 'P-GRACE', {
      dealId: 'D-1',
      amount: '1200000.00',
      registeredAt: '2025-10-01',
      closedAt: '2025-11-18',
    }),
    dealEvent('d-grace-2', 'P-GRACE', {
      dealId: 'D-2',
      amount: '300000.00',
      registeredAt: '2026-05-01',
      closedAt: '2026-06-01',
    }),
    dealEvent('d-near', 'P-NEAR', {
      dealId: 'D-1',
      amount: '912000.00',
      registeredAt: '2026-02-01',
      closedAt: '2026-03-01',
    }),
  ];
  return { lms: lms.map((e) => JSON.stringify(e)), crm: crm.map((e) => JSON.stringify(e)) };
}

describeWithPostgres('notifications through the pipeline', () => {
  let pipeline: Pipeline;
  let smtp: TestSmtp;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    smtp = await startSmtp();
    restoreEnv = setEnv({ ...ENV, SMTP_URL: smtp.url });
    pipeline = await createPipeline();
    await recordOptOut(pipeline.database.db, {
      partnerId: 'P-GRACE',
      email: 'optout@harbor.example',
      kind: 'tier.at-risk',
    });
    await pipeline.startWorkers(['ingest', 'recompute', 'notifier']);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await smtp?.close();
    restoreEnv?.();
  });

  it(
    'a promotion, a grace entry and a near-promotion each arrive once, even when the recompute runs three times',
    { timeout: 90_000 },
    async () => {
      const { lms, crm } = events();
      await ingestJobs(pipeline, 'lms', [lms]);
      await ingestJobs(pipeline, 'crm', [crm]);
      await waitUntilDrained(pipeline);
      const { db } = pipeline.database;
      const ids = ['P-GRACE', 'P-NEAR', 'P-PROMO'];
      for (let run = 2; run <= 3; run++) await recomputePartners(db, pipeline.program, ids, dayOrThrow(AS_OF));
      await settled(db);
      await smtp.waitFor(3);
      // Give a duplicate every chance to show up.
      await new Promise((r) => setTimeout(r, 1_500));
      await settled(db);

      expect(smtp.received.map((m) => m.to.join(',')).sort()).toEqual([
        'alex@summit.example',
        'dana@northwind.example',
        'priya@harbor.example',
      ]);
      const to = (email: string) => smtp.received.find((m) => m.to[0] === email)?.mail;

      const promo = to('dana@northwind.example');
      expect(promo?.subject).toBe('Congratulations: Northwind Systems GmbH is now Silver');
      expect(promo?.text).toContain(
        'From 21 November 2026, Northwind Systems GmbH is a Silver partner in the Acme Partner Program.',
      );
      expect(promo?.text).toContain('$700,000 more trailing-12-month revenue');
      expect(promo?.text).toContain('3 more people with sales-associate or sales-expert');
      expect(promo?.text).toContain('2 more people with tech-expert');
      expect(promo?.html).toContain('$700,000 more trailing-12-month revenue');
      // The partner's own page (SPEC §12): a signed link serve verifies, for this partner, 30 days.
      const token = /http:\/\/localhost:8080\/p\/([A-Za-z0-9_.%-]+)/.exec(promo?.text ?? '')?.[1];
      expect(token, promo?.text).toBeDefined();
      expect(verifyPartnerToken(decodeURIComponent(token ?? ''), DEVELOPMENT_LINK_SECRET, AS_OF)).toEqual({
        partnerId: 'P-PROMO',
        expiresOn: '2026-12-23',
      });
      expect(promo?.html).toContain(`href="http://localhost:8080/p/${token ?? ''}"`);

      const grace = to('priya@harbor.example');
      expect(grace?.subject).toBe(
        'Action needed: Harbor & Vale IT Services could move from Gold to Silver on 15 February 2027',
      );
      expect(grace?.text).toContain(
        'Since 18 November 2026, Harbor & Vale IT Services no longer meets the requirements for Gold.',
      );
      expect(grace?.text).toContain('You need $700,000 more trailing-12-month revenue to keep Gold.');
      expect(grace?.html).toContain('Harbor &amp; Vale IT Services');
      expect(grace?.text).toContain('Commission: 8% -> 5%');

      const near = to('alex@summit.example');
      expect(near?.subject).toBe('Summit Reseller Group is close to Gold');
      expect(near?.text).toContain('You need $88,000 more trailing-12-month revenue to reach Gold.');
      expect(near?.html).toContain('$88,000 more trailing-12-month revenue');

      const rows = await outboxRows(db);
      const summary = rows
        .map((r) => [r.partner_id, r.dedup_key.split('|')[0], (r.payload as { day: string }).day, r.status])
        .sort();
      expect(summary).toEqual([
        ['P-GRACE', 'tier.at-risk', '2026-11-18', 'sent'],
        ['P-GRACE', 'tier.promoted', '2025-11-18', 'skipped'],
        ['P-NEAR', 'tier.near-promotion', AS_OF, 'sent'],
        ['P-NEAR', 'tier.promoted', '2026-03-01', 'skipped'],
        ['P-PROMO', 'tier.promoted', '2026-11-21', 'sent'],
      ]);
      for (const r of rows.filter((x) => x.status === 'sent')) {
        expect(r.attempts).toBe(1);
        const [email] = Object.keys(r.deliveries);
        expect(r.message_id).toBe(stableMessageId(r.dedup_key, email ?? ''));
      }
    },
  );

  it('a notifier process killed mid-send, then restarted, delivers the email once', { timeout: 90_000 }, async () => {
    await pipeline.stopWorkers();
    const { db } = pipeline.database;
    await addPartner(db, 'P-KILL', 'Keystone Data Solutions', [contact('marco@keystone.example', 'Marco Bellini')]);
    const id = await addRow(db, sample('tier.at-risk.dated'), 'P-KILL');
    const before = smtp.received.length;
    // The server reads the whole message, then never answers: the sender is mid-send.
    smtp.policy = { hold: (rcpt) => rcpt.includes('marco@keystone.example') };

    const worker = spawnTierline(['workers', '--only', 'notifier'], {
      ...cliEnv(pipeline),
      LOG_LEVEL: 'warn',
      TIERLINE_SMTP_TIMEOUT_MS: '20000',
      TIERLINE_MAIL_CLAIM_TIMEOUT_MS: '120000',
    });
    let restarted: Notifier | undefined;
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

      const orphan = await rowById(db, id);
      expect(orphan.status).toBe('claimed');
      expect(orphan.deliveries['marco@keystone.example']?.status).toBe('sending');
      expect(smtp.received.length).toBe(before);

      // Restart: the claim of the dead process times out and the row is claimed again.
      smtp.policy = {};
      restarted = startNotifier({ db, log: silent, config: testConfig(smtp.url, { claimTimeoutMs: 500, pollMs: 50 }) });
      await smtp.waitFor(before + 1);
      await settled(db);
      await new Promise((r) => setTimeout(r, 500));

      const delivered = smtp.received.filter((m) => m.to[0] === 'marco@keystone.example');
      expect(delivered).toHaveLength(1);
      const held = await simpleParser(smtp.held[0]?.raw ?? Buffer.alloc(0));
      expect(delivered[0]?.messageId).toBe(held.messageId);
      expect(delivered[0]?.mail.subject).toBe(
        'Keystone Data Solutions could fall below the Gold requirements on 10 December 2026',
      );
      const row = await rowById(db, id);
      expect(row).toMatchObject({ status: 'sent', attempts: 2 });
      expect(row.deliveries['marco@keystone.example']).toMatchObject({ status: 'sent', attempts: 2 });
    } finally {
      await stopChild(worker, 2_000);
      await restarted?.stop(2_000);
    }
  });
});
