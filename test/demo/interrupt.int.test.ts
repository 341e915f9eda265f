// Ctrl-C during `tierline demo` (issue 6: "Ctrl-C stops everything cleanly"): SIGINT to its
// process group (what a terminal sends) in the live phase stops the stream, prints the summary marked as interrupted and exits 0, with
// nothing left behind: no process it started (the embedded PostgreSQL and the private
// redis-server of its fallbacks) and no queue keys under its prefix on a shared Redis.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, postgres } from '../setup/db.ts';
import { redisService, uniquePrefix } from '../setup/redis.ts';
import { commandOf, descendants, running } from './processes.ts';
import { closedPort, startDemo, type DemoRun } from './run-demo.ts';

const redis = redisService();
const ready = postgres.available && redis.available && process.platform === 'linux';
const why = [postgres.reason, redis.reason, process.platform === 'linux' ? '' : 'reads /proc']
  .filter(Boolean)
  .join('; ');
const suite = ready ? describe : process.env.CI ? describe : describe.skip;

/** The live phase has begun once the demo says it is streaming. */
const LIVE = /streaming live events through the ingest queues/;

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function expectCleanInterrupt(run: DemoRun): void {
  expect(run.stderr).toBe('');
  expect(run.signal).toBeNull();
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('SIGINT: stopping cleanly, then the summary (Ctrl-C again to quit at once)');
  expect(run.stdout).toMatch(/live stream stopped: \d+ events/);
  expect(run.stdout).toContain('Tierline demo: summary');
  expect(run.stdout).toContain('interrupted: stopped cleanly before the end');
}

suite(`tierline demo: Ctrl-C${ready ? '' : ` [skipped: ${why}]`}`, () => {
  let dir: string;
  const database = `tierline_demo_t_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    if (!ready) throw new Error(`services unavailable: ${why}`);
    dir = await mkdtemp(join(tmpdir(), 'tierline-demo-int-'));
    // An embedded Postgres runs as the postgres user when we are root: it must reach its data.
    await chmod(dir, 0o755);
  });
  afterAll(async () => {
    if (ready) await dropDatabase(database);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('on the shared services: exits 0 with the summary and leaves no queue keys behind', async () => {
    const prefix = uniquePrefix('demo');
    const demo = startDemo(
      [
        '--duration',
        '10m',
        '--partners',
        '20',
        '--database',
        database,
        '--queue-prefix',
        prefix,
        '--data-dir',
        join(dir, 'shared'),
      ],
      {
        ...process.env,
        DATABASE_URL: postgres.url,
        REDIS_URL: redis.url,
        MAIL_OUTBOX_DIR: join(dir, 'outbox'),
        NO_COLOR: '1',
        TIERLINE_TODAY: '',
      },
    );
    await demo.waitFor(LIVE);
    const started = descendants(demo.child.pid as number);
    const client = new Redis(redis.url, { lazyConnect: true });
    try {
      await client.connect();
      expect((await client.keys(`${prefix}*`)).length, 'queue keys while the demo runs').toBeGreaterThan(0);
      demo.interrupt();
      const run = await demo.exited(60_000);
      expectCleanInterrupt(run);
      expect(started.filter(running).map(commandOf), 'processes the demo started').toEqual([]);
      expect(await client.keys(`${prefix}*`), 'queue keys under the demo prefix').toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 90_000);

  it('on its fallbacks: stops the embedded PostgreSQL and the private redis-server it started', async () => {
    const [pgPort, redisPort] = [await closedPort(), await closedPort()];
    const demo = startDemo(
      [
        '--duration',
        '10m',
        '--partners',
        '20',
        '--queue-prefix',
        uniquePrefix('demo'),
        '--data-dir',
        join(dir, 'fallbacks'),
      ],
      {
        ...process.env,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/tierline`,
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        MAIL_OUTBOX_DIR: join(dir, 'outbox-fallbacks'),
        NO_COLOR: '1',
        TIERLINE_TODAY: '',
      },
    );
    await demo.waitFor(LIVE);
    const ports = [
      ...demo.stdout().matchAll(/(?:embedded PostgreSQL \d+|private redis-server) on 127\.0\.0\.1:(\d+)/g),
    ].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const port of ports) expect(await answers(port), `port ${port} answers while the demo runs`).toBe(true);
    const started = descendants(demo.child.pid as number);
    const commands = started.map(commandOf).join('\n');
    expect(commands).toMatch(/redis-server/);
    expect(commands).toMatch(/postgres/);

    demo.interrupt();
    const run = await demo.exited(60_000);
    expectCleanInterrupt(run);
    expect(started.filter(running).map(commandOf), 'processes the demo started').toEqual([]);
    for (const port of ports) expect(await answers(port), `port ${port} after the demo`).toBe(false);
  }, 120_000);
});
