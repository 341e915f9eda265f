// The fallback when no Redis answers: a private `redis-server` from the PATH, on a free port,
// with its own directory under <data-dir>, no persistence (the demo's queues are throwaway:
// Postgres is the system of record), killed at the end of the demo.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { freePort, logTail, manage, waitUntilReady } from './processes.ts';

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** The first executable `redis-server` on the PATH, if any. */
export function findRedisServer(env: Record<string, string | undefined> = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Whether something answers PING at `url`: any reply counts (a NOAUTH error too: a Redis is
 * there). A bare socket, so nothing lingers after a refusal; the real client checks the rest.
 */
export function redisAnswers(url: string, timeoutMs = 2_000): Promise<{ ok: true } | { ok: false; reason: string }> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(u.port || 6379);
  return new Promise((resolve) => {
    // Only PING is sent, so the probe need not verify a TLS certificate; the client does.
    const socket =
      u.protocol === 'rediss:'
        ? tls.connect({ host, port, servername: host, rejectUnauthorized: false })
        : net.connect({ host, port });
    const done = (result: { ok: true } | { ok: false; reason: string }): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, reason: 'timed out' }));
    socket.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, reason: error.code ?? error.message }));
    socket.on(u.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', () => done({ ok: true }));
  });
}

export async function startPrivateRedis(binary: string, dataDir: string): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = resolve(dataDir, `redis-${port}`);
  mkdirSync(dir, { recursive: true });
  const logfile = join(dir, 'redis.log');
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
      '--logfile',
      logfile,
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.on('error', () => {});
  const managed = manage(child, 'SIGTERM');
  const url = `redis://127.0.0.1:${port}`;
  const outcome = await waitUntilReady(managed, async () => (await redisAnswers(url, 500)).ok, 15_000);
  const stop = async (): Promise<void> => {
    await managed.stop('SIGTERM', 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  if (outcome !== 'ready') {
    const tail = logTail(logfile);
    await stop();
    throw new Error(
      `${binary} ${outcome === 'exited' ? 'exited' : 'did not answer within 15 s'}${tail ? `: ${tail}` : ''}`,
    );
  }
  return { url, port, stop };
}
