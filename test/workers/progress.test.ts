// A worker process's /healthz must prove progress, not just that Redis answers: a worker with
// jobs waiting that has taken none for a while (BullMQ workers have stopped silently after a
// reconnect) is reported stuck; idle with nothing waiting, or busy, is healthy; a reconnect
// restarts the count of jobs finished since Redis came back.
import { EventEmitter } from 'node:events';
import type { Worker } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { RedisConnection } from '../../queues/connection.ts';
import { ProgressTracker } from '../../workers/progress.ts';

class FakeWorker extends EventEmitter {
  running = true;
  isRunning(): boolean {
    return this.running;
  }
}

function setup() {
  let now = 1_000_000;
  const tracker = new ProgressTracker(() => now, 30_000);
  const worker = new FakeWorker();
  const connection = new EventEmitter();
  tracker.watch(worker as unknown as Worker, 'crm', connection as unknown as RedisConnection);
  return { tracker, worker, connection, advance: (ms: number) => (now += ms) };
}

describe('worker progress for /healthz', () => {
  it('is ok while idle with an empty queue, stuck when jobs wait and none is taken', async () => {
    const { tracker, advance } = setup();
    advance(60_000);
    expect((await tracker.report(async () => 0))[0]).toMatchObject({ state: 'ok', waiting: 0 });
    expect((await tracker.report(async () => 5))[0]).toMatchObject({ state: 'stuck', waiting: 5, active: 0 });
  });

  it('is ok while it takes and finishes jobs, and counts them', async () => {
    const { tracker, worker, advance } = setup();
    advance(60_000);
    worker.emit('active');
    advance(45_000);
    expect((await tracker.report(async () => 5))[0]).toMatchObject({ state: 'ok', active: 1 });
    worker.emit('completed');
    worker.emit('active');
    worker.emit('failed');
    expect((await tracker.report(async () => 5))[0]).toMatchObject({
      state: 'ok',
      active: 0,
      finished: 2,
      finishedSinceReady: 2,
    });
  });

  it('restarts the clock and the count when Redis comes back, then needs progress again', async () => {
    const { tracker, worker, connection, advance } = setup();
    worker.emit('active');
    worker.emit('completed');
    advance(60_000);
    connection.emit('ready');
    expect((await tracker.report(async () => 3))[0]).toMatchObject({ state: 'ok', finished: 1, finishedSinceReady: 0 });
    advance(31_000);
    expect((await tracker.report(async () => 3))[0]).toMatchObject({ state: 'stuck' });
  });

  it('says stopped for a worker that is not running, unknown when the queue cannot be read', async () => {
    const { tracker, worker } = setup();
    expect((await tracker.report(() => Promise.reject(new Error('redis down'))))[0]).toMatchObject({
      state: 'unknown',
    });
    worker.running = false;
    expect((await tracker.report(async () => 0))[0]).toMatchObject({ state: 'stopped' });
  });

  it('says unknown, without waiting, when the queue count never comes (a host cut off from Redis)', async () => {
    const { tracker } = setup();
    const never = new Promise<number>(() => {});
    expect((await tracker.report(() => never, 50))[0]).toMatchObject({ state: 'unknown', active: 0 });
  });
});
