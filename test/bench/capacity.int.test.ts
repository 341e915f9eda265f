// `npm run bench:capacity -- --dry-run` (issue #20): the capacity tool on a few hundred events —
// its private Postgres and Redis, every worker kind as its own process — completes, writes
// JSON of the promised shape with a cost for every phase, and leaves no server or directory
// behind. Measures nothing; no timing is asserted.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capacityOutput, PHASES } from '../../bench/lib/capacity-schema.ts';
import { privateServicesUnavailable } from '../../bench/lib/meter.ts';

const why = privateServicesUnavailable();
const suite = why === undefined || process.env.CI ? describe : describe.skip;

suite(`npm run bench:capacity -- --dry-run${why === undefined ? '' : ` [skipped: ${why}]`}`, () => {
  let dir: string;
  beforeAll(async () => {
    if (why !== undefined) throw new Error(`cannot start a private Postgres and Redis: ${why}`);
    dir = await mkdtemp(join(tmpdir(), 'tierline-capacity-test-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('measures every worker kind and writes valid JSON', async () => {
    const out = join(dir, 'capacity.json');
    const leftBefore = (await readdir(tmpdir())).filter((f) => f.startsWith('tierline-capacity-pg-')).length;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/capacity.ts', '--dry-run', '--out', out], {
      env: { ...process.env, TIERLINE_TODAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);

    const parsed = capacityOutput.safeParse(JSON.parse(await readFile(out, 'utf8')));
    expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
    const o = parsed.data;
    if (!o) return;
    expect(o.dryRun).toBe(true);
    expect(o.population.partners).toBe(40);
    // Each worker kind was its own process and did the work it is charged for.
    expect(Object.keys(o.phases).sort()).toEqual([...PHASES].sort());
    expect(Object.keys(o.phases.ingestHttp.workerCpuSeconds)).toEqual(['workers ingest #1']);
    expect(Object.keys(o.phases.wakes.workerCpuSeconds)).toEqual(['workers recompute #1']);
    expect(Object.keys(o.phases.notifier.workerCpuSeconds)).toEqual(['workers notifier #1']);
    expect(o.phases.nightlyFull.units.recomputed).toBe(40);
    expect(o.phases.nightlyFirst.perUnit.partners?.workerCpuMs).toBeGreaterThan(0);
    expect(o.phases.ingestHttp.units.events).toBe(o.population.httpEvents);
    expect(o.phases.ingestBatch.units.events).toBe(o.population.batchEvents);
    expect(o.phases.wakes.units.partners).toBeGreaterThan(0);
    // Costs come from the private servers: WAL was written, Redis ran commands, Postgres used CPU.
    expect(o.phases.ingestHttp.walBytes).toBeGreaterThan(0);
    expect(o.phases.ingestHttp.redisCommands).not.toEqual({});
    expect(o.phases.nightlyFirst.statementCalls).toBeGreaterThan(0);
    expect(o.sizes.afterLoad.deals?.rows).toBe(400);
    expect(o.indexes.deals_pkey?.levels).toBeGreaterThanOrEqual(1);
    expect(stdout).toMatch(/^recompute wake-ups \| partner \|/m);
    // The private Postgres' directory is gone.
    const leftAfter = (await readdir(tmpdir())).filter((f) => f.startsWith('tierline-capacity-pg-')).length;
    expect(leftAfter).toBeLessThanOrEqual(leftBefore);
  }, 600_000);
});
