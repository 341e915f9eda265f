// The processes under test: the HTTP receiver (`tierline serve`) and several `tierline
// workers` processes, each with its own metrics/health port and a log file. A process that
// dies (killed by the harness, or by its own after-commit crash hook) is started again at
// once, the way a supervisor would; its log is appended to.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../tools/demo/processes.ts';
import { repoRoot } from '../setup/paths.ts';

// Whatever happens to the harness, nothing it started outlives it.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
});

/** Kills `child` when the harness exits, if it is still running. */
export function adopt(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

export interface QueueHealth {
  queue: string;
  state: string;
  active: number;
  finished: number;
  finishedSinceReady: number;
  waiting?: number;
  sinceJobMs?: number;
}

export interface Health {
  status: number;
  workers?: string;
  queues?: QueueHealth[];
}

export class Slot {
  child: ChildProcess | undefined;
  /** When this incarnation logged that it is ready (workers started / listening). */
  readyAt: number | undefined;
  starts = 0;
  /** SIGSTOPped by the harness: not to be killed or health-checked meanwhile. */
  frozen = false;
  exitSignals: string[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly args: string[],
    readonly port: number,
    readonly kind: 'receiver' | 'worker',
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ready for a while: its signal handlers are installed. */
  settled(now = Date.now()): boolean {
    return this.running && !this.frozen && this.readyAt !== undefined && now - this.readyAt > 2_000;
  }

  launch(env: NodeJS.ProcessEnv, log: WriteStream, onExit: (slot: Slot, signal: string | null) => void): void {
    const child = spawn(process.execPath, ['bin/tierline.js', ...this.args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    adopt(child);
    this.child = child;
    this.readyAt = undefined;
    this.frozen = false;
    this.starts++;
    const onData = (b: Buffer): void => {
      log.write(b);
      if (this.readyAt === undefined && /workers started|listening on/.test(b.toString())) this.readyAt = Date.now();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        log.write(`\n[chaos] ${this.name} pid ${child.pid} exited (${signal ?? code})\n`);
        if (signal) this.exitSignals.push(signal);
        resolve();
        onExit(this, signal);
      }),
    );
  }

  /** Resolves when the current incarnation has exited, or after `ms` with false. */
  async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
    clearTimeout(timer);
    return done;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child?.kill(sig);
  }

  async health(timeoutMs = 2_000): Promise<Health | undefined> {
    if (!this.running || this.frozen) return undefined;
    try {
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json()) as Omit<Health, 'status'>;
      return { ...body, status: res.status };
    } catch {
      return undefined;
    }
  }
}

export class Fleet {
  readonly slots: Slot[] = [];
  private readonly logs = new Map<Slot, WriteStream>();
  private stopping = false;
  private stopped: Promise<void> | undefined;
  restarts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly logDir: string,
  ) {}

  async add(name: string, kind: 'receiver' | 'worker', args: (port: number) => string[]): Promise<Slot> {
    const port = await freePort();
    const slot = new Slot(name, args(port), port, kind);
    this.slots.push(slot);
    this.logs.set(slot, createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' }));
    this.start(slot);
    return slot;
  }

  private start(slot: Slot): void {
    slot.launch(this.env, this.logs.get(slot) as WriteStream, () => {
      if (this.stopping) return;
      this.restarts++;
      setTimeout(() => {
        if (!this.stopping) this.start(slot);
      }, 200);
    });
  }

  get workers(): Slot[] {
    return this.slots.filter((s) => s.kind === 'worker');
  }

  async waitReady(timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.slots.some((s) => s.readyAt === undefined)) {
      if (Date.now() > deadline)
        throw new Error(
          `not ready after ${timeoutMs} ms: ${this.slots
            .filter((s) => s.readyAt === undefined)
            .map((s) => s.name)
            .join(', ')} (logs in ${this.logDir})`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(): Promise<void> {
    this.stopped ??= this.stopAll();
    return this.stopped;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    for (const s of this.slots) {
      if (s.frozen) s.signal('SIGCONT');
      s.signal('SIGTERM');
    }
    await Promise.all(
      this.slots.map(async (s) => {
        if (!(await s.waitExit(15_000))) {
          s.signal('SIGKILL');
          await s.waitExit(5_000);
        }
      }),
    );
    await Promise.all([...this.logs.values()].map((l) => new Promise<void>((r) => l.end(() => r()))));
  }
}
