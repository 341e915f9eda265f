// Issue 15 / 20: the ingest backlog the notifier waits for. Real Redis, a queue prefix of this
// file's own; no worker runs, so queued jobs stay unfinished.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { ingestBacklogSince } from '../../queues/backlog.ts';
import { openRedis, type RedisConnection } from '../../queues/connection.ts';
import { closeQueues, enqueueMany, openQueues, type Queues } from '../../queues/queues.ts';
import { redisService, uniquePrefix } from '../setup/redis.ts';

const redis = redisService();
const describeRedis = redis.available ? describe : describe.skip;

const payload = (n: number) => ({
  events: [{ raw: JSON.stringify({ n }), receivedAt: new Date().toISOString() }],
  origin: 'file',
  runId: 'backlog-test',
});

describeRedis('ingest backlog: when the oldest unfinished ingest job was queued', () => {
  let connection: RedisConnection;
  let queues: Queues;
  const prefix = `{${uniquePrefix('backlog')}}`;

  beforeAll(async () => {
    connection = openRedis({ url: redis.url, prefix, cluster: false }, 'producer');
    await connection.connect();
    queues = openQueues(connection, prefix);
  });

  afterAll(async () => {
    await closeQueues(queues);
    // Every queue of the set left keys (at least its meta) in the shared Redis.
    const keys = await connection.keys(`${prefix}:*`);
    if (keys.length > 0) await connection.del(...keys);
    await connection.quit();
  });

  it('is undefined with nothing queued, then the oldest job over every source queue and state', async () => {
    expect(await ingestBacklogSince(queues)).toBeUndefined();
    const before = Date.now();
    const [first] = await enqueueMany(queues, JOBS.ingestEvents, QUEUES.erp, [payload(1)]);
    // Later jobs, one of them delayed (a retry's backoff looks the same), on another queue.
    await enqueueMany(queues, JOBS.ingestEvents, QUEUES.crm, [payload(2)]);
    await enqueueMany(queues, JOBS.ingestEvents, QUEUES.crm, [payload(3)], { delay: 60_000 });
    const since = await ingestBacklogSince(queues);
    expect(since?.getTime()).toBe(first?.timestamp);
    expect(since?.getTime()).toBeGreaterThanOrEqual(before);
    // Once it is finished, the next oldest counts.
    await first?.remove();
    const next = await ingestBacklogSince(queues);
    expect(next?.getTime()).toBeGreaterThanOrEqual(first?.timestamp ?? Infinity);
  });
});
