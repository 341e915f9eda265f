// `npm run bench -- --quick --dry-run` (issue #7): the whole harness on a few hundred
// events — fresh databases, worker processes, every scenario — completes and writes JSON
// with the fields others read. Measures nothing; no benchmark runs inside `npm test`.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchOutput } from '../../bench/lib/schema.ts';
import { postgres } from '../setup/db.ts';
import { redisService } from '../setup/redis.ts';

const redis = redisService();
const ready = postgres.available && redis.available;
const why = [postgres.reason, redis.reason].filter(Boolean).join('; ');
const suite = ready || process.env.CI ? describe : describe.skip;

suite(`npm run bench -- --quick --dry-run${ready ? '' : ` [skipped: ${why}]`}`, () => {
  let dir: string;
  beforeAll(async () => {
    if (!ready) throw new Error(`services unavailable: ${why}`);
    dir = await mkdtemp(join(tmpdir(), 'tierline-bench-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs every scenario and writes valid JSON', async () => {
    const out = join(dir, 'latest.json');
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--dry-run', '--out', out], {
      env: { ...process.env, DATABASE_URL: postgres.url, REDIS_URL: redis.url, TIERLINE_TODAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    const json: unknown = JSON.parse(await readFile(out, 'utf8'));
    const parsed = benchOutput.safeParse(json);
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
    expect(parsed.data?.quick).toBe(true);
    expect(parsed.data?.dryRun).toBe(true);
    expect(parsed.data?.e2e.eventsPerSec).toBeGreaterThan(0);
    expect(stdout).toContain('Tierline benchmarks');
    expect(stdout).toMatch(/^nightly\s/m);
  }, 240_000);
});
