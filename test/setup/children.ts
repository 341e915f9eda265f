// `tierline ...` as a child process of a test: its output kept for assertions and failure
// messages, its exit as a promise, and one way to stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot } from './paths.ts';

export interface ChildWorker {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  /** Resolves with the exit code, or the signal that ended it. */
  exited: Promise<number | string | null>;
}

/** Starts `node bin/tierline.js ...args` in the repository with process.env plus `env`. */
export function spawnTierline(args: readonly string[], env: Record<string, string>): ChildWorker {
  const child = spawn(process.execPath, ['bin/tierline.js', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, output: () => out, exited };
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopChild(worker: ChildWorker | undefined, timeoutMs = 15_000): Promise<void> {
  if (!worker || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), timeoutMs);
  await worker.exited;
  clearTimeout(timer);
}
