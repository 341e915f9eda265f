// Child servers the demo starts (an embedded Postgres, a private Redis): free ports, waiting
// for them to answer, and stopping them. They run in their own process group (detached), so
// Ctrl-C in the terminal reaches only the demo, which stops them after its summary; an exit
// hook kills them if the demo dies another way.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The last lines of a log file, on one line, for an error message. */
export function logTail(path: string, lines = 3): string {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(-lines)
      .join(' | ');
  } catch {
    return '';
  }
}

export interface ManagedChild {
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  hasExited(): boolean;
  /** `signal`, then SIGKILL after `graceMs`. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

const alive = new Set<{ pid: number; signal: NodeJS.Signals }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: 'exit' handlers cannot wait.
  process.on('exit', () => {
    for (const child of alive) {
      try {
        process.kill(child.pid, child.signal);
      } catch {
        // already gone
      }
    }
  });
}

/** Tracks a spawned child so it is stopped with the demo, whatever happens. */
export function manage(child: ChildProcess, exitSignal: NodeJS.Signals): ManagedChild {
  if (child.pid === undefined) throw new Error('the process did not start');
  const pid = child.pid;
  const entry = { pid, signal: exitSignal };
  alive.add(entry);
  installExitHook();
  let exited = child.exitCode !== null || child.signalCode !== null;
  const done = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      alive.delete(entry);
      resolve();
    });
  });
  return {
    pid,
    exited: done,
    hasExited: () => exited,
    async stop(signal, graceMs) {
      if (exited) return;
      child.kill(signal);
      const exitedInTime = new AbortController();
      const timer = sleep(graceMs, 'timeout' as const, { ref: false, signal: exitedInTime.signal });
      const outcome = await Promise.race([done.then(() => 'done' as const), timer]);
      exitedInTime.abort();
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await done;
      }
    },
  };
}

/** Calls `probe` until it returns true, the child exits, or `timeoutMs` passes. */
export async function waitUntilReady(
  child: ManagedChild,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) return 'exited';
    if (await probe()) return 'ready';
    await sleep(200);
  }
  return 'timeout';
}
