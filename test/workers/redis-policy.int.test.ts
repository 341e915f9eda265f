// Start-up refuses a Redis that may evict keys (queues would lose jobs silently), saying how
// to fix it. A private redis-server on a free port: the shared one is never reconfigured.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRedis, openRedis, type QueueSettings } from '../../queues/connection.ts';
import { track } from '../setup/leaks.ts';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('Redis eviction policy check', () => {
  let redis: ChildProcess;
  let port: number;
  let release: () => void;

  beforeAll(async () => {
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'tierline-redis-'));
    redis = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      { stdio: 'ignore' },
    );
    release = track({ kind: 'redis-server', label: String(port), close: async () => void redis.kill('SIGKILL') });
  });

  afterAll(async () => {
    release?.();
    redis?.kill('SIGKILL');
  });

  it('refuses allkeys-lru with a message saying how to fix it', async () => {
    const settings: QueueSettings = { url: `redis://127.0.0.1:${port}`, prefix: '{t}', cluster: false };
    let error: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      const connection = openRedis(settings, 'producer');
      connection.on('error', () => {});
      try {
        await checkRedis(connection, settings);
        error = undefined;
      } catch (e) {
        error = e;
      } finally {
        connection.disconnect();
      }
      if (!(error instanceof Error && error.message.startsWith('cannot reach'))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('maxmemory-policy allkeys-lru');
    expect((error as Error).message).toContain('config set maxmemory-policy noeviction');
  });
});
