// `tierline demo` without services: its options, and the one line it stops with when no Redis
// answers and there is no redis-server to start (issue 6, "Done when"). Needs no services:
// both URLs point at closed ports and PATH holds no redis-server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDemoOptions, parseDuration } from '../../tools/demo/options.ts';
import { closedPort, runDemo } from './run-demo.ts';

const raw = {
  duration: '60s',
  partners: '2000',
  seed: '42',
  rate: '4',
  dayEvery: '10s',
  database: 'tierline_demo',
  queuePrefix: '{tierline-demo}',
  dataDir: '.data',
};

describe('demo options', () => {
  it('reads durations in ms, s, m and h (a bare number is seconds)', () => {
    expect(parseDuration('60s', '--duration')).toBe(60_000);
    expect(parseDuration('2m', '--duration')).toBe(120_000);
    expect(parseDuration('1.5m', '--duration')).toBe(90_000);
    expect(parseDuration('500ms', '--duration')).toBe(500);
    expect(parseDuration('90', '--duration')).toBe(90_000);
    expect(() => parseDuration('soon', '--duration')).toThrow(/--duration: expected a duration/);
  });

  it('defaults to a pinned day, and TIERLINE_TODAY moves it', () => {
    expect(parseDemoOptions(raw, {}).today).toBe('2026-11-23');
    expect(parseDemoOptions(raw, { TIERLINE_TODAY: '2027-01-05' }).today).toBe('2027-01-05');
  });

  it('refuses to drop a database or wipe queues that may hold real data', () => {
    expect(() => parseDemoOptions({ ...raw, database: 'tierline' }, {})).toThrow(/must start with tierline_demo/);
    expect(() => parseDemoOptions({ ...raw, database: 'tierline_demo; drop' }, {})).toThrow(
      /must start with tierline_demo/,
    );
    expect(() => parseDemoOptions({ ...raw, queuePrefix: '{tierline}' }, {})).toThrow(/must contain "demo"/);
    expect(() => parseDemoOptions({ ...raw, partners: '0' }, {})).toThrow(/--partners/);
    expect(() => parseDemoOptions({ ...raw, rate: '-1' }, {})).toThrow(/--rate/);
  });
});

describe('demo without Redis and without redis-server', () => {
  let emptyBin: string;
  beforeAll(async () => {
    emptyBin = await mkdtemp(join(tmpdir(), 'tierline-nobin-'));
  });
  afterAll(async () => {
    await rm(emptyBin, { recursive: true, force: true });
  });

  it('stops at once with one line naming what is missing and the two ways to get it', async () => {
    const [redisPort, pgPort] = [await closedPort(), await closedPort()];
    const run = await runDemo(
      ['--duration', '2s', '--partners', '10'],
      {
        ...process.env,
        PATH: emptyBin,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/tierline`,
        NO_COLOR: '1',
      },
      60_000,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^tierline: demo needs Redis: nothing answers at redis://127\\.0\\.0\\.1:${redisPort} \\(REDIS_URL\\) and there is no redis-server on the PATH`,
      ),
    );
    expect(lines[0]).toContain('`docker compose up -d`');
    expect(lines[0]).toContain('`apt-get install redis-server`');
  });
});
