// `tierline ingest`, `dlq` and `recompute` as an operator meets them (issue #21 items 1, 4, 6):
// the real binary against the real services. Arguments are checked before Postgres or Redis
// are touched (so a missing file fails fast, and never hangs with --wait); a bad file does not
// "succeed": --wait lists the first reasons (file:line) and exits 1 unless --allow-invalid; a
// file that is not JSON Lines is refused whole; events for partners nobody upserted are
// named in a warning; `dlq list` says where each dead letter came from and `dlq purge`
// removes what is not worth replaying, audited.
import { chmodSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, dealEvent, partnerEvent } from '../ingest/support.ts';
import { spawnTierline } from '../setup/children.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const dir = mkdtempSync(join(tmpdir(), 'tierline-ingest-cli-'));
const file = (name: string, lines: readonly string[]): string => {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
};
const json = (value: unknown): string => JSON.stringify(value);

/** Services nobody listens on: a command that touches them fails with another message. */
const unreachable = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere',
  REDIS_URL: 'redis://127.0.0.1:1',
};

interface Run {
  status: number | string | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; a run still going after `timeoutMs` is killed and reported as 'hung'. */
async function tierline(args: readonly string[], env: Record<string, string>, timeoutMs = 40_000): Promise<Run> {
  const child = spawnTierline(args, { LOG_LEVEL: 'warn', ...env });
  let stdout = '';
  let stderr = '';
  child.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.child.kill('SIGKILL');
  }, timeoutMs);
  const status = await child.exited;
  clearTimeout(timer);
  return { status: hung ? 'hung' : status, stdout, stderr };
}

const noStack = (text: string): void => expect(text).not.toMatch(/\n\s+at /);

describe('arguments are checked before any service is touched', { timeout: 60_000 }, () => {
  const missing = join(dir, 'nope.jsonl');
  const folder = join(dir, 'a-directory');
  mkdirSync(folder);

  it.each([
    ['missing, --wait', [missing, '--wait'], /cannot read events file .*nope\.jsonl: .*ENOENT/],
    ['missing, no --wait', [missing], /ENOENT/],
    ['missing, --backfill', [missing, '--backfill'], /ENOENT/],
    ['a directory, --wait', [folder, '--wait'], /cannot read events file .*a-directory: it is a directory/],
  ])('ingest: %s is one line and exit 1, naming the file', async (_, args, message) => {
    const run = await tierline(['ingest', ...args], unreachable);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    noStack(run.stderr);
  });

  it.skipIf(process.getuid?.() === 0)('ingest: an unreadable file is one line and exit 1', async () => {
    const path = file('secret.jsonl', [json(partnerEvent('p', 'P-1'))]);
    chmodSync(path, 0o000);
    const run = await tierline(['ingest', path, '--wait'], unreachable);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/cannot read events file .*EACCES/);
  });

  it('ingest: a file that is plainly not JSON Lines (a CSV) is refused whole, naming the line', async () => {
    const csv = file('deals.csv', ['dealId,partnerId,amount', 'D-1,P-1,100.00', 'D-2,P-1,250.00', 'D-3,P-2,75.00']);
    const run = await tierline(['ingest', csv, '--wait'], unreachable);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      `tierline: ${csv} does not look like JSON Lines (line 1 is not a JSON object): one event per line, see docs/events.md`,
    );
  });

  it.each([
    [['ingest', file('ok.jsonl', [json(partnerEvent('p', 'P-1'))]), '--run-id', ''], /--run-id/],
    [['dlq', 'replay', '--id', 'abc'], /--id: expected dead-letter ids .*"abc"/],
    [['dlq', 'purge', '--id', '0'], /--id: expected dead-letter ids/],
    [['dlq', 'purge'], /say what to purge: --id, --before or --source .* or --all/],
    [['dlq', 'purge', '--before', '2026-02-30'], /--before: expected a date YYYY-MM-DD, got "2026-02-30"/],
    [['dlq', 'purge', '--source', ''], /--source: expected a source/],
    [['dlq', 'purge', '--all', '--source', 'crm'], /--all or filters .*not both/],
    [['recompute', '--partner', ''], /--partner: expected a partner id, got ""/],
    [['recompute', '--all', '--as-of', 'tomorrow'], /--as-of: expected a date YYYY-MM-DD/],
  ])('%j is refused in one line before connecting', async (args, message) => {
    const run = await tierline(args, unreachable);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    noStack(run.stderr);
  });
});

// Each run of the binary starts Node and tsx: a few seconds on a busy machine.
describe('ingest and dlq against the pipeline', { timeout: 180_000 }, () => {
  let pipeline: Pipeline;
  let env: Record<string, string>;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
    env = cliEnv(pipeline);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const db = () => pipeline.database.db;

  it('a failure after the queues are open still exits (the --wait listeners are closed)', async () => {
    const path = file('fine.jsonl', [json(partnerEvent('crm-fine-1', 'P-FINE'))]);
    const run = await tierline(['ingest', path, '--wait', '--run-id', 'x'.repeat(300)], env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--run-id');
  });

  it('--wait lists the first reasons (file:line) and exits 1 when 6 of 7 events are dead-lettered; --allow-invalid exits 0', async () => {
    const lines = [
      json(partnerEvent('crm-bad-p', 'P-BAD')),
      'not json at all',
      json(dealEvent('crm-bad-1', 'P-BAD', { dealId: 'D-1', amount: '-5.00' })),
      '',
      json(dealEvent('crm-bad-2', 'P-BAD', { dealId: 'D-2', closedAt: null })),
      json({ ...dealEvent('crm-bad-3', 'P-BAD'), source: 'hr' }),
      json(dealEvent('crm-bad-4', 'P-BAD', { dealId: 'D-4', currency: 'EUR' })),
      json(dealEvent('crm-bad-5', 'P-BAD', { dealId: 'D-5', amount: '5,000.00' })),
    ];
    const path = file('mostly-bad.jsonl', lines);
    const run = await tierline(['ingest', path, '--wait'], env);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('accepted 1, duplicate 0, stale 0, conflict 0, dead-lettered 6');
    expect(run.stderr).toContain(`${path}:2: not JSON`);
    expect(run.stderr).toContain(`${path}:3: data.amount:`);
    expect(run.stderr).toContain(`${path}:5: data.closedAt: required when stage is closed_won`);
    expect(run.stderr).toContain(`${path}:6: source: expected one of crm, lms, erp`);
    expect(run.stderr).toContain(`${path}:7: data.fxRate: required`);
    expect(run.stderr).toContain(`${path}:8: data.amount:`);
    expect(run.stderr).toMatch(/6 events dead-lettered: .*--allow-invalid/);
    noStack(run.stderr);
    // Reasons in line order.
    const order = [2, 3, 5, 6, 7, 8].map((n) => run.stderr.indexOf(`${path}:${n}:`));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    const allowed = await tierline(['ingest', path, '--wait', '--allow-invalid'], env);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('accepted 0, duplicate 1, stale 0, conflict 0, dead-lettered 6');
    expect(allowed.stderr).toContain(`${path}:2: not JSON`);

    const backfill = await tierline(['ingest', path, '--backfill'], env);
    expect(backfill.status).toBe(1);
    expect(backfill.stderr).toContain(`${path}:5: data.closedAt`);
  });

  it('a clean file exits 0 with no report', async () => {
    const path = file('clean.jsonl', [
      json(partnerEvent('crm-clean-p', 'P-CLEAN')),
      json(dealEvent('crm-clean-1', 'P-CLEAN', { dealId: 'D-1' })),
    ]);
    const run = await tierline(['ingest', path, '--wait'], env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('accepted 2, duplicate 0, stale 0, conflict 0, dead-lettered 0');
    expect(run.stderr).toBe('');
  });

  it('--wait and --backfill warn about events for partners no partner.upserted describes', async () => {
    const path = file('typo.jsonl', [
      json(partnerEvent('crm-known-p', 'P-KNOWN')),
      json(dealEvent('crm-known-1', 'P-KNOWN', { dealId: 'D-1' })),
      json(dealEvent('crm-typo-1', 'P-KNWON', { dealId: 'D-1' })),
      json(dealEvent('crm-typo-2', 'P-KNWON', { dealId: 'D-2' })),
      json(dealEvent('crm-typo-3', 'P-OTHER', { dealId: 'D-3' })),
    ]);
    const run = await tierline(['ingest', path, '--wait'], env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('accepted 5');
    expect(run.stderr).toMatch(/^warning: 3 events for 2 partners with no partner\.upserted yet \(P-KNWON, P-OTHER\)/m);
    expect(run.stderr).not.toContain('P-KNOWN,');

    const backfill = await tierline(['ingest', path, '--backfill'], env);
    expect(backfill.status).toBe(0);
    expect(backfill.stderr).toContain('warning: 3 events for 2 partners with no partner.upserted yet');

    // Once the partner is upserted, the warning is gone.
    const fix = file('fix.jsonl', [
      json(partnerEvent('crm-fix-p', 'P-KNWON')),
      json(partnerEvent('crm-fix-o', 'P-OTHER')),
    ]);
    expect((await tierline(['ingest', fix, '--wait'], env)).status).toBe(0);
    const again = await tierline(['ingest', path, '--wait'], env);
    expect(again.stderr).not.toContain('warning');
  });

  it('`dlq list` shows the file and line each dead letter came from; --json too', async () => {
    const path = join(dir, 'mostly-bad.jsonl');
    const run = await tierline(['dlq', 'list'], env);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${path}:2 seen`);
    expect(run.stdout).toMatch(new RegExp(`${path.replaceAll('.', '\\.')}:5 crm:crm-bad-2 seen`));
    expect(run.stdout).not.toContain('?:?');
    const listed = (await tierline(['dlq', 'list', '--json'], env)).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventId: string | null; origin: string; line: number });
    expect(listed.find((l) => l.eventId === 'crm-bad-4')).toMatchObject({ origin: path, line: 7 });
  });

  it('`dlq purge` removes what the filters match (all of them), audited, and says how many', async () => {
    const before = await db().selectFrom('dead_letters').select(['id', 'source']).execute();
    const hr = before.filter((r) => r.source === 'hr');
    expect(hr.length).toBeGreaterThan(0);

    const bySource = await tierline(['dlq', 'purge', '--source', 'hr', '--by', 'ops-test'], env);
    expect(bySource.status).toBe(0);
    expect(bySource.stdout.trim()).toBe(`removed ${hr.length} dead letter${hr.length === 1 ? '' : 's'}`);
    const audit = await db().selectFrom('audit_log').selectAll().where('action', '=', 'dead-letters.purge').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'ops-test', partner_id: null });
    expect(audit[0]?.details).toMatchObject({ removed: hr.length, filter: { source: 'hr' } });

    // Filters combine: nothing is both of source crm and last seen before 2000.
    const none = await tierline(['dlq', 'purge', '--source', 'crm', '--before', '2000-01-01'], env);
    expect(none.stdout.trim()).toBe('removed 0 dead letters');

    const [one] = await db().selectFrom('dead_letters').select('id').orderBy('id').limit(1).execute();
    const byId = await tierline(['dlq', 'purge', '--id', one?.id as string], env);
    expect(byId.stdout.trim()).toBe('removed 1 dead letter');

    const rest = await db().selectFrom('dead_letters').select('id').execute();
    const all = await tierline(['dlq', 'purge', '--all'], env);
    expect(all.stdout.trim()).toBe(`removed ${rest.length} dead letter${rest.length === 1 ? '' : 's'}`);
    expect(await db().selectFrom('dead_letters').select('id').execute()).toEqual([]);
    expect(
      await db().selectFrom('audit_log').select('id').where('action', '=', 'dead-letters.purge').execute(),
    ).toHaveLength(4);
  });
});
