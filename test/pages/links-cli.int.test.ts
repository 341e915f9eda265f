// `tierline links create ID [--days N]` through the real binary: a URL under
// TIERLINE_PUBLIC_URL whose token names the partner and expires on the last of N days
// (today, from TIERLINE_TODAY, the first); an unknown partner or bad --days exits 1.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyPartnerToken } from '../../services/links.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { repoRoot } from '../setup/paths.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { cliEnv, partnerUpserted, putFacts } from '../recompute/support.ts';

const run = promisify(execFile);
const SECRET = 'links-cli-test-secret-0123456789abcdef';
const SLOW = 120_000;

describeWithPostgres('tierline links create', () => {
  let pipeline: Pipeline;

  const tierline = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, ['bin/tierline.js', ...args], {
        cwd: repoRoot,
        env: {
          ...process.env,
          ...cliEnv(pipeline, '2026-11-23'),
          TIERLINE_LINK_SECRET: SECRET,
          TIERLINE_PUBLIC_URL: 'https://partners.example.com',
          LOG_LEVEL: 'silent',
        },
        timeout: 60_000,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };

  beforeAll(async () => {
    pipeline = await createPipeline();
    await putFacts(pipeline, [partnerUpserted('p-1', 'P-LINK')]);
  }, SLOW);
  afterAll(async () => {
    await pipeline?.stop();
  }, SLOW);

  it(
    'prints a signed URL valid through the last of --days days',
    async () => {
      const out = await tierline('links', 'create', 'P-LINK', '--days', '7', '--json');
      expect(out.code, out.stderr).toBe(0);
      const link = JSON.parse(out.stdout) as { url: string; expiresOn: string };
      expect(link.expiresOn).toBe('2026-11-29');
      expect(link.url).toMatch(/^https:\/\/partners\.example\.com\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const token = link.url.split('/p/')[1] ?? '';
      expect(verifyPartnerToken(token, SECRET, '2026-11-29')).toEqual({ partnerId: 'P-LINK', expiresOn: '2026-11-29' });
      expect(verifyPartnerToken(token, SECRET, '2026-11-30')).toBeUndefined();

      const plain = await tierline('links', 'create', 'P-LINK');
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('(valid through 2026-12-22)');
    },
    SLOW,
  );

  it(
    'refuses an unknown partner and a bad --days with one line, exit 1',
    async () => {
      const unknown = await tierline('links', 'create', 'P-NOBODY');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unknown partner "P-NOBODY"');
      for (const days of ['0', '-3', 'x', '99999']) {
        const bad = await tierline('links', 'create', 'P-LINK', '--days', days);
        expect(bad.code, days).toBe(1);
        expect(bad.stderr).toContain('--days');
      }
    },
    SLOW,
  );
});
