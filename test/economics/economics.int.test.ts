// Issue 19 through the real binary on a real database: after ingesting a generated history with
// payouts, `finance` and `whatif` from the database print exactly what their pure modes print
// from the same events file; payouts leave every evaluation untouched, owe no recompute, and a
// payout with an unknown benefit or a malformed period is dead-lettered; `whatif` stores nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { applyEventBatch } from '../../services/ingest/batch.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { repoRoot } from '../setup/paths.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { prng } from '../setup/prng.ts';
import { cliEnv, compareWithReference, putFacts, reference, tableCounts } from '../recompute/support.ts';

const run = promisify(execFile);
const AS_OF = '2026-11-23';
const PROGRAM = 'examples/acme/program.json';
const SLOW = 180_000;

/** Payouts of 2026-Q3: one commission each; EUR mdf, a corrected version with its stale original, and one paid after AS_OF for some. */
function payouts(partnerIds: readonly string[], rnd: () => number): unknown[] {
  const out: unknown[] = [];
  partnerIds.forEach((partnerId, i) => {
    const amount = () => `${Math.floor(rnd() * 40_000)}.${String(Math.floor(rnd() * 100)).padStart(2, '0')}`;
    const pay = (id: string, data: Record<string, unknown>) =>
      out.push({
        source: 'erp',
        type: 'payout.recorded',
        occurredAt: '2026-10-05T09:00:00Z',
        partnerId,
        id: `pay-${i}-${id}`,
        data: { currency: 'USD', paidAt: '2026-10-05', period: '2026-Q3', version: 1, ...data },
      });
    pay('c', { payoutId: `PC-${i}`, benefit: 'commission', amount: amount() });
    if (i % 3 === 0)
      pay('m', {
        payoutId: `PM-${i}`,
        benefit: 'mdf',
        amount: amount(),
        currency: 'EUR',
        fxRate: '1.0842',
        paidAt: '2026-10-06',
      });
    if (i % 4 === 0) {
      // A correction (higher version) and the stale original arriving after it.
      pay('c2', { payoutId: `PC-${i}`, benefit: 'commission', amount: amount(), version: 2 });
      pay('c0', { payoutId: `PC-${i}`, benefit: 'commission', amount: '1.00', version: 0 });
    }
    if (i % 5 === 0) pay('later', { payoutId: `PL-${i}`, benefit: 'rebate', amount: amount(), paidAt: '2026-12-01' });
  });
  return out;
}

describeWithPostgres('finance and whatif: database = pure mode (issue 19)', () => {
  let pipeline: Pipeline;
  let dir: string;
  let eventsFile: string;
  let draftFile: string;
  let events: unknown[];

  async function tierline(...args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/tierline.js', ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...cliEnv(pipeline, AS_OF), LOG_LEVEL: 'silent' },
        timeout: 120_000,
        maxBuffer: 64 << 20,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    pipeline = await createPipeline(PROGRAM);
    const history = [...generateHistory({ partners: 40, seed: 19, until: AS_OF, months: 18, eventsPerPartner: 40 })];
    const ids = [...new Set(history.map((e) => e.partnerId))].sort();
    events = [...history, ...payouts([...ids, 'P-PAID-ONLY'], prng(19))];
    dir = mkdtempSync(join(tmpdir(), 'tierline-economics-'));
    eventsFile = join(dir, 'events.jsonl');
    writeFileSync(eventsFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const draft = JSON.parse((await import('node:fs')).readFileSync(join(repoRoot, PROGRAM), 'utf8')) as {
      version: string;
      tracks: Array<{ tiers: Array<{ criteria: unknown; benefits: Record<string, string> }> }>;
    };
    draft.version = 'draft';
    const silver = draft.tracks[0]?.tiers[1];
    if (silver) silver.benefits = { ...silver.benefits, commissionRate: '0.04' };
    draftFile = join(dir, 'draft.json');
    writeFileSync(draftFile, JSON.stringify(draft));
    await putFacts(pipeline, events);
    await recomputePartners(pipeline.database.db, pipeline.program, ids, dayOrThrow(AS_OF));
  }, SLOW);
  afterAll(async () => {
    await pipeline?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, SLOW);

  it(
    'payouts change no evaluation and owe no recompute',
    async () => {
      const comparison = await compareWithReference(pipeline.database.db, reference(pipeline.program, events), AS_OF);
      expect([comparison.scorecards, comparison.history, comparison.ledger]).toEqual([[], [], []]);
      expect(comparison.partners).toBe(40);
      const owed = await pipeline.database.db.selectFrom('recompute_requests').selectAll().execute();
      expect(owed).toEqual([]);
      const stored = await pipeline.database.db
        .selectFrom('payouts')
        .select(['payout_id', 'version'])
        .where('payout_id', '=', 'PC-0')
        .execute();
      expect(stored).toEqual([{ payout_id: 'PC-0', version: '2' }]);
    },
    SLOW,
  );

  it(
    'finance: the database prints what the pure mode prints, as JSON and as CSV',
    async () => {
      for (const format of ['--json', '--csv']) {
        const db = await tierline('finance', '--period', '2026-Q3', '--as-of', AS_OF, format);
        const pure = await tierline(
          'finance',
          '--period',
          '2026-Q3',
          '--as-of',
          AS_OF,
          format,
          '--program',
          PROGRAM,
          '--events',
          eventsFile,
        );
        expect(db.code, db.stderr).toBe(0);
        expect(pure.code, pure.stderr).toBe(0);
        expect(db.stdout).toBe(pure.stdout);
      }
      const db0 = await tierline('finance', '--period', '2026-Q3', '--as-of', AS_OF, '--json');
      const rows = db0.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);
      expect(rows.find((r) => r['partnerId'] === 'P-PAID-ONLY' && r['benefit'] === 'commission')?.['entitled']).toBe(
        '0.00',
      );
      // The rebate payouts were paid on 2026-12-01, after the as-of day: counted only as of a later day.
      const paidRebates = (text: string) =>
        text
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, string>)
          .filter((r) => r['benefit'] === 'rebate')
          .reduce((sum, r) => sum + Number(r['paid']), 0);
      expect(paidRebates(db0.stdout)).toBe(0);
      const human = await tierline('finance', '--period', '2026-Q3', '--as-of', AS_OF);
      expect(human.stdout).toMatch(
        /^totals: entitled \d+\.\d\d, paid \d+\.\d\d, overpaid \d+\.\d\d, underpaid \d+\.\d\d \(overpaid \d+\.\d\d% of entitled\)$/m,
      );
      const later = await tierline('finance', '--period', '2026-Q3', '--as-of', '2026-12-31', '--json');
      expect(paidRebates(later.stdout)).toBeGreaterThan(0);
    },
    SLOW,
  );

  it(
    'finance refuses a period that does not parse in one line, before touching a service',
    async () => {
      const r = await tierline('finance', '--period', '2026-Q5');
      expect([r.code, r.stderr.trim()]).toEqual([
        1,
        'tierline: --period: expected YYYY, YYYY-Qn or YYYY-MM, got "2026-Q5"',
      ]);
    },
    SLOW,
  );

  it(
    'whatif: the database prints what the pure mode prints, and stores nothing',
    async () => {
      const before = await tableCounts(pipeline.database.db);
      const db = await tierline('whatif', '--draft', draftFile, '--as-of', AS_OF, '--json');
      const pure = await tierline(
        'whatif',
        '--draft',
        draftFile,
        '--as-of',
        AS_OF,
        '--json',
        '--program',
        PROGRAM,
        '--events',
        eventsFile,
      );
      expect(db.code, db.stderr).toBe(0);
      expect(pure.code, pure.stderr).toBe(0);
      expect(db.stdout).toBe(pure.stdout);
      expect(db.stdout.trim().split('\n')).toHaveLength(40);
      const human = await tierline('whatif', '--draft', draftFile, '--as-of', AS_OF);
      expect(human.stdout).toContain('difference (draft − current): commission -');
      expect(await tableCounts(pipeline.database.db)).toEqual(before);
      const bad = await tierline('whatif', '--draft', eventsFile);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^tierline: draft refused \(\d+ problems?\):/);
    },
    SLOW,
  );

  it(
    'a payout with an unknown benefit or a malformed period is dead-lettered with the reason',
    async () => {
      const ctx = { currency: pipeline.program.currency, timezone: pipeline.program.timezone };
      const bad = {
        id: 'pay-bad',
        source: 'erp',
        type: 'payout.recorded',
        occurredAt: '2026-10-05T09:00:00Z',
        partnerId: 'P-X',
        data: {
          payoutId: 'B',
          benefit: 'bonus',
          amount: '1.00',
          currency: 'USD',
          paidAt: '2026-10-05',
          period: '2026-13',
          version: 1,
        },
      };
      const result = await applyEventBatch(pipeline.database.db, ctx, [{ raw: JSON.stringify(bad) }]);
      expect(result.outcomes).toEqual(['dead-lettered']);
      const letter = await pipeline.database.db
        .selectFrom('dead_letters')
        .select('reason')
        .where('event_id', '=', 'pay-bad')
        .executeTakeFirstOrThrow();
      expect(letter.reason).toMatchObject({
        issues: [
          expect.stringContaining('data.benefit: Invalid option'),
          'data.period: expected a period YYYY, YYYY-Qn or YYYY-MM',
        ],
      });
    },
    SLOW,
  );
});
