// Found by the cluster chaos suite: a worker process restarted while the queues' master was
// failing over never became ready (the connect promise BullMQ waits on never settled) and never
// exited, so no supervisor restarted it. Here the workers' connections go to a Redis that
// accepts them and then says nothing (a proxy that passes only the first connection, the
// start-up check's, to the real Redis): the process must exit 1 after TIERLINE_START_TIMEOUT_MS.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnTierline, stopChild, type ChildWorker } from '../setup/children.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';
import { redisService } from '../setup/redis.ts';

describeWithPostgres('workers whose queue connections never get ready', () => {
  let database: FreshDatabase;
  let proxy: net.Server;
  const sockets = new Set<net.Socket>();
  let port = 0;

  beforeAll(async () => {
    database = await freshDatabase();
    const target = new URL(redisService().url);
    let connections = 0;
    proxy = net.createServer((client) => {
      sockets.add(client);
      client.on('error', () => {});
      // The first connection (the start-up check and the producer queues) reaches Redis.
      if (++connections > 1) return;
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    port = (proxy.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await database.drop();
  });

  it('exits 1 naming the start-up timeout', async () => {
    let run: ChildWorker | undefined;
    try {
      run = spawnTierline(['workers', '--only', 'ingest'], {
        DATABASE_URL: database.url,
        REDIS_URL: `redis://127.0.0.1:${port}`,
        TIERLINE_START_TIMEOUT_MS: '3000',
        TIERLINE_METRICS_PORT: '',
      });
      const code = await run.exited;
      expect(run.output()).toMatch(/cannot start the workers: .*did not connect to Redis within 3000 ms/);
      expect(code).toBe(1);
    } finally {
      await stopChild(run, 1_000);
    }
  }, 60_000);
});
