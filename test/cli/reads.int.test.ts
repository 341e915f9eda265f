// Issue 21 items 5 and 6, through the real binary on a real database: after a late correction
// `decisions` shows only the decisions of the current history (superseded ones with --all,
// marked), a decision's triggers are the events dated on or before it, `history` shows the
// effective-tier history, `audit` the audit log, `emails list/show/resend` the outbox (old
// changes skipped with their reason); reads of a partner no event has named exit 1.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { repoRoot } from '../setup/paths.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  cliEnv,
  dealUpserted,
  partnerUpserted,
  personDeparted,
  putFacts,
} from '../recompute/support.ts';

const run = promisify(execFile);
const AS_OF = '2026-11-23';
const P = 'P-READS';
const QUIET = 'P-QUIET';
/** Each test runs the binary several times (about a second each on a busy machine). */
const SLOW = 180_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeWithPostgres('CLI reads after a correction (issue 21 items 5, 6)', () => {
  let pipeline: Pipeline;

  async function tierline(...args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/tierline.js', ...args], {
        cwd: repoRoot,
        env: { ...process.env, ...cliEnv(pipeline, AS_OF), LOG_LEVEL: 'silent' },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }
  const jsonLines = (text: string): Array<Record<string, unknown>> =>
    text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeAll(async () => {
    pipeline = await createPipeline();
    const recompute = () => recomputePartners(pipeline.database.db, pipeline.program, [P], dayOrThrow(AS_OF));
    // Silver from 2026-05-01 (second sales certification); E1 leaves on 2026-06-01, so silver
    // is in grace and lost on 2026-08-29. Then a late, backdated certification makes the
    // partner silver from 2026-04-01 for good: both earlier decisions are retracted.
    await putFacts(pipeline, [
      partnerUpserted('p-1', P),
      certificationEarned('c-1', P, { personId: 'E1', earnedAt: '2026-01-10' }),
      dealUpserted('d-1', P, { dealId: 'D1', amount: '300000.00', closedAt: '2026-03-01' }),
      certificationEarned('c-2', P, { personId: 'E2', earnedAt: '2026-05-01' }),
      personDeparted('x-1', P, { personId: 'E1', departedAt: '2026-06-01' }),
      partnerUpserted('q-1', QUIET),
    ]);
    await recompute();
    await putFacts(pipeline, [
      certificationEarned('c-3', P, { personId: 'E3', certificationId: 'sales-associate', earnedAt: '2026-04-01' }),
    ]);
    await recompute();
  });
  afterAll(async () => {
    await pipeline?.stop();
  }, SLOW);

  it(
    'decisions: only the current history by default; --all marks the retracted ones; triggers dated on or before',
    async () => {
      const current = await tierline('decisions', P, '--json');
      expect(current.code, current.stderr).toBe(0);
      expect(
        jsonLines(current.stdout).map((d) => [d['day'], d['previousTier'], d['newTier'], d['superseded']]),
      ).toEqual([['2026-04-01', 'registered', 'silver', false]]);

      const all = await tierline('decisions', P, '--json', '--all');
      expect(all.code, all.stderr).toBe(0);
      const rows = jsonLines(all.stdout);
      expect(rows.map((d) => [d['day'], d['previousTier'], d['newTier'], d['superseded']])).toEqual([
        ['2026-04-01', 'registered', 'silver', false],
        ['2026-05-01', 'registered', 'silver', true],
        ['2026-08-29', 'silver', 'registered', true],
      ]);
      expect(rows[1]?.['supersededAt']).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
      expect(rows[0]?.['supersededAt']).toBeNull();
      // The promotion of 2026-05-01 was asked for by the first recompute's events; the
      // departure of 2026-06-01 could not have changed that day.
      const promotion = rows[1] as { triggerEventIds: string[]; laterEventIds: string[] };
      expect([...promotion.triggerEventIds].sort()).toEqual(['crm:d-1', 'crm:p-1', 'lms:c-1', 'lms:c-2']);
      expect(promotion.laterEventIds).toEqual(['lms:x-1']);
      const demotion = rows[2] as { triggerEventIds: string[] };
      expect(demotion.triggerEventIds).toContain('lms:x-1');

      const human = await tierline('decisions', P, '--all');
      const lines = human.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).not.toContain('superseded');
      expect(lines[1]).toMatch(/^2026-05-01 registered → silver .*\[superseded .*: no longer in the history\]$/);
      expect(lines[1]).not.toContain('lms:x-1');
    },
    SLOW,
  );

  it(
    'history: the current effective-tier rows; --all adds the superseded ones with when',
    async () => {
      const current = await tierline('history', P, '--json');
      expect(current.code, current.stderr).toBe(0);
      expect(jsonLines(current.stdout).map((r) => [r['validFrom'], r['validTo'], r['tier'], r['status']])).toEqual([
        ['2026-01-10', '2026-04-01', 'registered', 'qualified'],
        ['2026-04-01', null, 'silver', 'qualified'],
      ]);
      const all = jsonLines((await tierline('history', P, '--json', '--all')).stdout);
      expect(all).toHaveLength(6);
      const superseded = all.filter((r) => r['superseded'] === true);
      expect(superseded.map((r) => [r['validFrom'], r['tier'], r['status']])).toEqual([
        ['2026-01-10', 'registered', 'qualified'],
        ['2026-05-01', 'silver', 'qualified'],
        ['2026-06-01', 'silver', 'grace'],
        ['2026-08-29', 'registered', 'qualified'],
      ]);
      expect(superseded.every((r) => typeof r['supersededAt'] === 'string')).toBe(true);
      const human = await tierline('history', P, '--all');
      expect(human.stdout).toMatch(/2026-06-01 \.\. 2026-08-29 \(exclusive\): silver \(grace, .*\[superseded /);
    },
    SLOW,
  );

  it(
    'reads of a partner no event has named exit 1 naming it; a known partner with nothing yet exits 0',
    async () => {
      for (const command of [['ledger'], ['decisions'], ['history'], ['scorecard'], ['scorecard', '--as-of', AS_OF]]) {
        const [name, ...rest] = command as [string, ...string[]];
        const r = await tierline(name, 'P-42x', ...rest);
        expect(r.code, `${command.join(' ')}: ${r.stdout}`).toBe(1);
        expect(r.stderr).toContain('unknown partner "P-42x": no event has named it');
      }
      const emails = await tierline('emails', 'list', '--partner', 'P-42x');
      expect(emails.code).toBe(1);
      expect(emails.stderr).toContain('unknown partner "P-42x"');

      const ledger = await tierline('ledger', QUIET);
      expect([ledger.code, ledger.stdout.trim()]).toEqual([0, `${QUIET} ledger: no entries`]);
      const decisions = await tierline('decisions', QUIET);
      expect([decisions.code, decisions.stdout.trim()]).toEqual([
        0,
        `no decisions in the current history for ${QUIET}`,
      ]);
      const history = await tierline('history', QUIET, '--json');
      expect([history.code, history.stdout]).toEqual([0, '']);
    },
    SLOW,
  );

  it(
    'emails: old changes are listed as skipped with the reason; show renders one; resend queues it once, audited',
    async () => {
      const list = await tierline('emails', 'list', '--partner', P, '--status', 'skipped', '--json');
      expect(list.code, list.stderr).toBe(0);
      const skipped = jsonLines(list.stdout);
      expect(skipped.length).toBeGreaterThan(0);
      for (const e of skipped) {
        expect(e['status']).toBe('skipped');
        expect(e['reason']).toMatch(/^change of \d{4}-\d\d-\d\d is older than notifyChangesWithinDays \(7 days\)$/);
      }
      const promotion = skipped.find((e) => e['kind'] === 'tier.promoted' && e['day'] === '2026-04-01');
      expect(promotion).toBeDefined();
      const id = String(promotion?.['id']);

      const human = await tierline('emails', 'list', '--partner', P);
      expect(human.stdout).toContain(`#${id} ${P} tier.promoted (2026-04-01) skipped: change of 2026-04-01 is older`);

      const shown = await tierline('emails', 'show', id);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toContain(`Email #${id} (tier.promoted, skipped) to ops@example.com`);
      expect(shown.stdout).toMatch(/Subject: Congratulations: Partner P-READS is now Silver/);

      const bad = await tierline('emails', 'list', '--status', 'lost');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('Allowed choices are pending, claimed, sent, skipped, failed');
      expect((await tierline('emails', 'show', '999999')).stderr).toContain('no email #999999');

      const resent = await tierline('emails', 'resend', id, '--by', 'alice');
      expect(resent.code, resent.stderr).toBe(0);
      const newId = /queued again as #(\d+)/.exec(resent.stdout)?.[1];
      expect(newId).toBeDefined();
      const row = await pipeline.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', newId ?? '0')
        .executeTakeFirstOrThrow();
      const original = await pipeline.database.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({
        status: 'pending',
        kind: 'tier.promoted',
        partner_id: P,
        dedup_key: `${original.dedup_key}|resend:1`,
      });
      expect(row.payload).toEqual({ ...(original.payload as object), resendOf: id });
      // Retrying while it is still owed queues nothing more.
      const again = await tierline('emails', 'resend', id, '--by', 'alice');
      expect([again.code, again.stderr.trim()]).toEqual([
        1,
        `tierline: email #${newId} is still pending: it will be sent; nothing queued`,
      ]);

      const audit = jsonLines((await tierline('audit', '--partner', P, '--json')).stdout);
      expect(audit.map((a) => [a['action'], a['actor'], a['partnerId']])).toEqual([['email.resend', 'alice', P]]);
      expect(audit[0]?.['details']).toMatchObject({ id, resentAs: newId });
    },
    SLOW,
  );

  it('audit: overrides with their author and reason, newest first, --limit', async () => {
    const set = await tierline(
      'overrides',
      'set',
      QUIET,
      'silver',
      '--from',
      '2026-11-01',
      '--until',
      '2027-01-31',
      '--reason',
      'strategic account',
      '--by',
      'bob',
    );
    expect(set.code, set.stderr).toBe(0);
    const mine = jsonLines((await tierline('audit', '--partner', QUIET, '--json')).stdout);
    expect(mine.map((a) => [a['action'], a['actor']])).toEqual([['override.set', 'bob']]);
    expect(mine[0]?.['details']).toMatchObject({ tier: 'silver', reason: 'strategic account', until: '2027-01-31' });
    const human = await tierline('audit', '--limit', '1');
    expect(human.stdout.trim().split('\n')).toHaveLength(1);
    expect(human.stdout).toMatch(/^#\d+ \S+ override\.set by bob for P-QUIET: .*strategic account/);
    const bad = await tierline('audit', '--limit', '0');
    expect(bad.code).toBe(1);
  });
});
