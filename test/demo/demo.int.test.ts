// `tierline demo` end to end, as a child process like `npm run demo`: a short run on the
// test services (its own database and queue prefix) exits 0 with a summary; and with no
// PostgreSQL answering it runs on an embedded one (issue 6, "Done when").
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, postgres } from '../setup/db.ts';
import { redisService, uniquePrefix } from '../setup/redis.ts';
import { closedPort, runDemo } from './run-demo.ts';

const redis = redisService();
const ready = postgres.available && redis.available;
const why = [postgres.reason, redis.reason].filter(Boolean).join('; ');
const suite = ready ? describe : process.env.CI ? describe : describe.skip;

/** The summary's row for a label: its numbers, in order. */
function row(stdout: string, label: string): number[] {
  const line = stdout.split('\n').find((l) => l.trimStart().startsWith(label));
  return line
    ? [...line.slice(line.indexOf(label) + label.length).matchAll(/-?[\d,]+(?:\.\d+)?/g)].map((m) =>
        Number(m[0].replaceAll(',', '')),
      )
    : [];
}

suite(`tierline demo${ready ? '' : ` [skipped: ${why}]`}`, () => {
  let dir: string;
  const database = `tierline_demo_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    if (!ready) throw new Error(`services unavailable: ${why}`);
    dir = await mkdtemp(join(tmpdir(), 'tierline-demo-'));
    // An embedded Postgres runs as the postgres user when we are root: it must reach its data.
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    if (ready) await dropDatabase(database);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs 5 s of live events on 50 partners, prints a non-empty summary and exits 0', async () => {
    const outbox = join(dir, 'outbox');
    const run = await runDemo(
      [
        '--duration',
        '5s',
        '--partners',
        '50',
        '--database',
        database,
        '--queue-prefix',
        uniquePrefix('demo'),
        '--data-dir',
        join(dir, 'data'),
      ],
      {
        ...process.env,
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        MAIL_OUTBOX_DIR: outbox,
        NO_COLOR: '1',
        TIERLINE_TODAY: '',
      },
      150_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Tierline demo: summary');
    expect(run.stdout).toMatch(/Before: effective tiers on 2026-11-23 \(50 partners/);
    expect(row(run.stdout, 'partners')).toEqual([50, 50]);
    // Every partner has a tier on both sides, and the program's five tiers are all listed.
    const tiers = ['resell · Registered', 'resell · Silver', 'resell · Gold', 'refer · Member', 'refer · Elite'].map(
      (t) => row(run.stdout, t),
    );
    expect(tiers.every((r) => r.length >= 2)).toBe(true);
    expect(tiers.reduce((n, r) => n + (r[0] ?? 0), 0)).toBe(50);
    expect(tiers.reduce((n, r) => n + (r[1] ?? 0), 0)).toBe(50);
    const [commissionBefore = 0, commissionAfter = 0] = row(run.stdout, 'commission');
    expect(commissionBefore).toBeGreaterThan(0);
    expect(commissionAfter).toBeGreaterThanOrEqual(commissionBefore);
    // Live events flowed through the queues: some were sent, the invalid ones were dead-lettered.
    expect(run.stdout).toMatch(/live stream done: [1-9]\d* events/);
    // Issue 19: last quarter's payouts are recorded, and the summary ends with finance's totals.
    expect(run.stdout).toMatch(/payouts: [1-9][\d,]* recorded for 2026-Q3/);
    expect(run.stdout).toMatch(
      /finance {5}2026-Q3: entitled \d+\.\d\d, paid \d+\.\d\d, overpaid \d+\.\d\d to [\d,]+ partners, underpaid \d+\.\d\d/,
    );
    // sent, skipped, pending, failed, withdrawn
    expect(row(run.stdout, 'tier.promoted').length).toBe(5);
    const sent = ['tier.promoted', 'tier.demoted', 'tier.at-risk', 'tier.near-promotion'].reduce(
      (n, k) => n + (row(run.stdout, k)[0] ?? 0),
      0,
    );
    const files = await readdir(outbox).catch(() => [] as string[]);
    expect(files.filter((f) => f.endsWith('.eml')).length).toBeGreaterThanOrEqual(sent > 0 ? 1 : 0);
    expect(run.stdout).toContain(`.eml files in ${outbox}`);
  }, 180_000);

  it('falls back to an embedded PostgreSQL when none answers at DATABASE_URL', async () => {
    const port = await closedPort();
    const run = await runDemo(
      [
        '--duration',
        '2s',
        '--partners',
        '20',
        '--queue-prefix',
        uniquePrefix('demo'),
        '--data-dir',
        join(dir, 'embedded'),
      ],
      {
        ...process.env,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/tierline`,
        REDIS_URL: redis.url,
        MAIL_OUTBOX_DIR: join(dir, 'outbox-embedded'),
        NO_COLOR: '1',
        TIERLINE_TODAY: '',
      },
      150_000,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `no PostgreSQL answers at postgres://postgres@127.0.0.1:${port}/tierline (DATABASE_URL): starting an embedded one`,
    );
    expect(run.stdout).toMatch(/postgres {2}embedded PostgreSQL \d+ on 127\.0\.0\.1:\d+/);
    expect(run.stdout).toContain('Tierline demo: summary');
    expect(row(run.stdout, 'partners')).toEqual([20, 20]);
  }, 180_000);
});
