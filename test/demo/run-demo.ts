// Runs `tierline demo` as a child process, the way `npm run demo` does, and collects its output.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { repoRoot } from '../setup/paths.ts';

export interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runDemo(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DemoRun> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['bin/tierline.js', 'demo', ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** A port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export interface LiveDemo {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Ctrl-C in a terminal: SIGINT to the demo's whole process group. */
  interrupt(): void;
  /** Resolves once stdout matches `pattern`; rejects if the demo exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit, and kills the demo with SIGKILL after `timeoutMs`. */
  exited(timeoutMs: number): Promise<DemoRun>;
}

/** Starts `tierline demo` and lets the caller watch its output and signal it while it runs. */
export function startDemo(args: string[], env: NodeJS.ProcessEnv): LiveDemo {
  const started = performance.now();
  // Its own process group, as a terminal gives the foreground job, so a signal can reach the group.
  const child = spawn(process.execPath, ['bin/tierline.js', 'demo', ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = (): void => {
    for (const listener of listeners) listener();
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    changed();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise) =>
    child.once('close', (code, signal) => resolvePromise({ code, signal })),
  );
  let isClosed = false;
  void closed.then(() => {
    isClosed = true;
    changed();
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: () => process.kill(-(child.pid as number), 'SIGINT'),
    waitFor: (pattern) =>
      new Promise((resolvePromise, reject) => {
        const check = (): void => {
          const match = pattern.exec(stdout);
          if (match) {
            listeners.delete(check);
            resolvePromise(match);
          } else if (isClosed) {
            listeners.delete(check);
            reject(new Error(`the demo exited before printing ${pattern}:\n${stdout}\n${stderr}`));
          }
        };
        listeners.add(check);
        check();
      }),
    exited: async (timeoutMs) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code, signal } = await closed;
      clearTimeout(timer);
      return { code, signal, stdout, stderr, ms: performance.now() - started };
    },
  };
}
