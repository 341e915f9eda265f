// Notifications settle before they are sent (docs/notifications.md#settle-and-withdraw, issue 15): a
// partner promoted by a deal and un-promoted by a correction of that deal seconds later gets
// no email (its notification is withdrawn with the reason); one whose promotion stands gets
// exactly one, and not before alerts.settleMinutes; one whose promotion is undone and redone
// within the window gets one. Real pipeline workers, real SMTP server, a 3-second settle in
// the program. The notifier starts once the corrections are recomputed, so the outcome does
// not depend on how fast this machine is.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startNotifier, type Notifier } from '../../workers/notifier/notifier.ts';
import { certificationEvent, dealEvent, ingestJobs, partnerEvent } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';
import { pollUntil } from '../setup/wait.ts';
import { toJsonb } from '../../db/json.ts';
import { listEmails } from '../../services/emails.ts';
import type { Deliveries } from '../../db/types.ts';
import { outboxRows, sample, SECRET, settled, silent, testConfig } from './support.ts';

const AS_OF = '2026-11-23';
const SETTLE_MINUTES = 0.05;
const PARTNERS = ['P-UNDONE', 'P-STANDS', 'P-REDO'];
const mailOf = (partnerId: string): string => `${partnerId.toLowerCase()}@settle.example`;

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

function setup(partners: readonly string[] = PARTNERS): { lms: string[]; crm: string[] } {
  const lms: string[] = [];
  const crm: string[] = [];
  for (const p of partners) {
    for (const person of ['E-1', 'E-2'])
      lms.push(
        JSON.stringify(
          certificationEvent(`${p}-${person}`, p, {
            personId: person,
            certificationId: 'sales-expert',
            earnedAt: '2026-01-10',
            expiresAt: '2028-01-10',
          }),
        ),
      );
    crm.push(
      JSON.stringify(
        partnerEvent(`${p}-profile`, p, { name: `Partner ${p}`, contacts: [{ email: mailOf(p), role: 'primary' }] }),
      ),
    );
    // Silver needs $250,000 of trailing revenue and two sales certifications: promoted on 21 November.
    crm.push(deal(p, 1, '300000.00'));
  }
  return { lms, crm };
}

describeWithPostgres('notifications settle, are re-checked and withdrawn', () => {
  let pipeline: Pipeline;
  let smtp: TestSmtp;
  let notifier: Notifier | undefined;
  let dir: string;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    smtp = await startSmtp();
    restoreEnv = setEnv({ TIERLINE_TODAY: AS_OF, SMTP_URL: smtp.url, TIERLINE_UNSUBSCRIBE_SECRET: SECRET });
    dir = await mkdtemp(join(tmpdir(), 'tierline-settle-'));
    const program = JSON.parse(await readFile('examples/acme/program.json', 'utf8')) as { alerts: object };
    program.alerts = { ...program.alerts, settleMinutes: SETTLE_MINUTES };
    const path = join(dir, 'program.json');
    await writeFile(path, JSON.stringify(program));
    pipeline = await createPipeline(path);
    await pipeline.startWorkers(['ingest', 'recompute']);
  });

  afterAll(async () => {
    await notifier?.stop(5_000);
    await pipeline?.stop();
    await smtp?.close();
    restoreEnv?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'an undone promotion is withdrawn, a standing one is sent once after the settle time, undo + redo sends one',
    { timeout: 120_000 },
    async () => {
      const { db } = pipeline.database;
      const { lms, crm } = setup();
      await ingestJobs(pipeline, 'lms', [lms]);
      await ingestJobs(pipeline, 'crm', [crm]);
      await waitUntilDrained(pipeline);
      const promoted = (await outboxRows(db)).filter((r) => r.dedup_key.startsWith('tier.promoted|'));
      expect(promoted.map((r) => [r.partner_id, r.status]).sort()).toEqual([
        ['P-REDO', 'pending'],
        ['P-STANDS', 'pending'],
        ['P-UNDONE', 'pending'],
      ]);

      // The CRM corrects the deal seconds later: the promotion never happened.
      await ingestJobs(pipeline, 'crm', [[deal('P-UNDONE', 2, '1000.00'), deal('P-REDO', 2, '1000.00')]]);
      await waitUntilDrained(pipeline);
      // ...and P-REDO's deal is put back.
      await ingestJobs(pipeline, 'crm', [[deal('P-REDO', 3, '300000.00')]]);
      await waitUntilDrained(pipeline);

      notifier = startNotifier({ db, log: silent, config: testConfig(smtp.url, { settleSeconds: undefined }) });
      await settled(db);

      const rows = (await outboxRows(db)).filter((r) => r.dedup_key.startsWith('tier.promoted|'));
      const byPartner = new Map(rows.map((r) => [r.partner_id, r]));
      expect(rows).toHaveLength(3);
      expect(byPartner.get('P-UNDONE')?.status).toBe('withdrawn');
      expect(byPartner.get('P-UNDONE')?.skip_reason).toBe(
        'the promotion from registered to silver on 2026-11-21 is no longer in the effective-tier history',
      );
      // `tierline emails list --status withdrawn` shows it with the reason.
      const listed = await listEmails(db, { status: 'withdrawn', limit: 10 });
      expect(listed.map((e) => [e.partnerId, e.kind, e.reason])).toEqual([
        ['P-UNDONE', 'tier.promoted', byPartner.get('P-UNDONE')?.skip_reason],
      ]);
      expect(byPartner.get('P-STANDS')?.status).toBe('sent');
      expect(byPartner.get('P-REDO')?.status).toBe('sent');

      const promotions = smtp.received.filter((m) => m.mail.headers.get('x-tierline-kind') === 'tier.promoted');
      expect(promotions.map((m) => m.to.join(',')).sort()).toEqual([mailOf('P-REDO'), mailOf('P-STANDS')]);
      expect(smtp.received.some((m) => m.to.includes(mailOf('P-UNDONE')))).toBe(false);

      // Sent no earlier than settleMinutes after being written (both times by Postgres' clock).
      const waited = await db
        .selectFrom('outbox')
        .select(['created_at', 'sent_at'])
        .where('status', '=', 'sent')
        .where('kind', '=', 'tier.promoted')
        .execute();
      for (const r of waited)
        expect((r.sent_at as Date).getTime() - r.created_at.getTime()).toBeGreaterThanOrEqual(SETTLE_MINUTES * 60_000);
    },
  );

  it(
    'a promotion withdrawn while undone is sent once when the change is restored after the window',
    { timeout: 120_000 },
    async () => {
      const { db } = pipeline.database;
      const { lms, crm } = setup(['P-BACK']);
      const promotion = async () =>
        (await outboxRows(db)).find((r) => r.partner_id === 'P-BACK' && r.dedup_key.startsWith('tier.promoted|'));
      await ingestJobs(pipeline, 'lms', [lms]);
      await ingestJobs(pipeline, 'crm', [crm]);
      await waitUntilDrained(pipeline);
      await ingestJobs(pipeline, 'crm', [[deal('P-BACK', 2, '1000.00')]]);
      await waitUntilDrained(pipeline);
      await pollUntil('the undone promotion to be withdrawn', async () =>
        (await promotion())?.status === 'withdrawn' ? true : undefined,
      );

      await ingestJobs(pipeline, 'crm', [[deal('P-BACK', 3, '300000.00')]]);
      await waitUntilDrained(pipeline);
      expect((await promotion())?.status).toBe('pending');
      await settled(db);
      expect((await promotion())?.status).toBe('sent');
      const mine = smtp.received.filter(
        (m) => m.to.includes(mailOf('P-BACK')) && m.mail.headers.get('x-tierline-kind') === 'tier.promoted',
      );
      expect(mine).toHaveLength(1);
    },
  );

  it(
    'a row claimed again after a crash that reached a recipient is finished, not withdrawn',
    { timeout: 60_000 },
    async () => {
      const { db } = pipeline.database;
      // P-UNDONE was never promoted in the stored state: a fresh row about its promotion is withdrawn...
      const payload = { ...sample('tier.promoted').payload, day: '2026-11-21', from: 'registered', to: 'silver' };
      const row = (suffix: string, deliveries: Deliveries) =>
        db
          .insertInto('outbox')
          .values({
            dedup_key: `crash-test|${suffix}`,
            kind: 'tier.promoted',
            partner_id: 'P-UNDONE',
            payload: toJsonb(payload),
            status: 'pending',
            deliveries: toJsonb(deliveries),
          })
          .returning('id')
          .executeTakeFirstOrThrow();
      const fresh = await row('fresh', {});
      // ...but one whose send to the contact was under way when its notifier died is sent.
      const started = await row('started', {
        [mailOf('P-UNDONE')]: {
          status: 'sending',
          messageId: '<x@tierline>',
          attempts: 1,
          at: new Date().toISOString(),
        },
      });
      await settled(db);
      const rows = await outboxRows(db);
      expect(rows.find((r) => r.id === fresh.id)?.status).toBe('withdrawn');
      expect(rows.find((r) => r.id === started.id)?.status).toBe('sent');
    },
  );
});
