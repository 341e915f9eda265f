// Running the real `tierline` binary from a CLI test, and addresses where no service answers
// (to show what a command does when Postgres or Redis is down).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../setup/paths.ts';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/tierline.js ...args` with process.env plus `env`, to completion (2 minutes at most). */
export function tierline(args: readonly string[], env: Record<string, string>): Run {
  const r = spawnSync(process.execPath, ['bin/tierline.js', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** A local TCP port nothing listens on: connections to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Writes `text` to a new file in a fresh temporary directory; returns its path. */
export function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tierline-cli-')), name);
  writeFileSync(file, text);
  return file;
}
