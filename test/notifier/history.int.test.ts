// Loading two years of history for 100 partners (`ingest --backfill`, the bulk path) with
// the notifier running: only changes within notifyChangesWithinDays of today are emailed;
// everything older is recorded as skipped. Each sent row's email arrives once.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { withCliEnv } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { startSmtp, type TestSmtp } from './smtp.ts';
import { SECRET, outboxRows, settled } from './support.ts';

const AS_OF = '2026-11-23';

describeWithPostgres('notifications when history is loaded', () => {
  let pipeline: Pipeline;
  let smtp: TestSmtp;
  let dir: string;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    smtp = await startSmtp();
    dir = await mkdtemp(path.join(tmpdir(), 'tierline-history-'));
    restoreEnv = setEnv({
      TIERLINE_TODAY: AS_OF,
      SMTP_URL: smtp.url,
      TIERLINE_UNSUBSCRIBE_SECRET: SECRET,
      TIERLINE_MAIL_POLL_MS: '50',
      TIERLINE_MAIL_SETTLE_SECONDS: '0',
      TIERLINE_MAIL_PER_SECOND: '1000',
      TIERLINE_MAIL_PER_PARTNER_PER_DAY: '100',
    });
    pipeline = await createPipeline();
    await pipeline.startWorkers(['recompute', 'notifier']);
  });

  afterAll(async () => {
    await pipeline?.stop();
    await smtp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    restoreEnv?.();
  });

  it(
    'emails only what changed within notifyChangesWithinDays; the rest is recorded as skipped',
    { timeout: 180_000 },
    async () => {
      const history = [...generateHistory({ partners: 100, seed: 23, until: AS_OF, months: 24, eventsPerPartner: 60 })];
      const file = path.join(dir, 'history.jsonl');
      await writeFile(file, history.map((e) => JSON.stringify(e)).join('\n'));
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await withCliEnv(pipeline, () => runIngest(file, { backfill: true }));
      } finally {
        log.mockRestore();
      }
      await waitUntilDrained(pipeline, 150_000);
      await settled(pipeline.database.db, 60_000);

      const rows = await outboxRows(pipeline.database.db);
      const cutoff = formatDay(dayOrThrow(AS_OF) - 7);
      const day = (r: (typeof rows)[number]): string => (r.payload as { day: string }).day;
      const old = rows.filter((r) => day(r) < cutoff);
      const recent = rows.filter((r) => day(r) >= cutoff);
      const sent = rows.filter((r) => r.status === 'sent');

      // Two years of tier changes are on record, and far more of them are old than recent.
      expect(old.length).toBeGreaterThan(30);
      expect(old.length).toBeGreaterThan(recent.length * 3);
      // Each says why (issue 21 item 6: visible in `tierline emails list --status skipped`).
      for (const r of old) {
        expect(r.status).toBe('skipped');
        expect(r.skip_reason).toMatch(
          new RegExp(`^(change of ${day(r)} is older than notifyChangesWithinDays \\(7 days\\)|partner terminated)$`),
        );
      }
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.every((r) => r.status === 'sent')).toBe(true);
      expect(sent.length).toBe(recent.length);
      expect(rows.filter((r) => r.status === 'pending' || r.status === 'claimed' || r.status === 'failed')).toEqual([]);

      // One primary contact per generated partner: one email per sent row, none twice.
      await smtp.waitFor(sent.length);
      await new Promise((r) => setTimeout(r, 500));
      expect(smtp.received).toHaveLength(sent.length);
      expect(new Set(smtp.received.map((m) => m.messageId)).size).toBe(sent.length);
      expect(new Set(smtp.received.map((m) => m.messageId))).toEqual(new Set(sent.map((r) => r.message_id)));
      // The finance contacts the generator adds never receive anything.
      const partners = await pipeline.database.db.selectFrom('partners').select('contacts').execute();
      const finance = new Set(
        partners.flatMap((p) => p.contacts.filter((c) => c.role !== 'primary').map((c) => c.email)),
      );
      expect(smtp.received.filter((m) => m.to.some((t) => finance.has(t)))).toEqual([]);
    },
  );
});
