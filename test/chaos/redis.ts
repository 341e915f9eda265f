// The chaos harness's private redis-server: its own free port and directory, AOF with
// appendfsync always (an acknowledged write survives a SIGKILL), noeviction. It can be
// frozen (SIGSTOP: connections stay open and nothing answers), crashed and restarted on the
// same port with its AOF, or restarted empty (its data directory wiped: the queues are gone).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../tools/demo/processes.ts';
import { redisAnswers } from '../../tools/demo/redis-server.ts';
import { adopt } from './processes.ts';

export class ChaosRedis {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  frozen = false;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(baseDir: string): Promise<ChaosRedis> {
    const redis = new ChaosRedis(await freePort(), join(baseDir, 'redis'));
    await redis.launch();
    return redis;
  }

  private async launch(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ];
    args.push('--maxmemory-policy', 'noeviction', '--logfile', join(this.dir, 'redis.log'));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    child.on('error', () => {});
    adopt(child);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 20_000;
    while (!(await redisAnswers(this.url, 500)).ok) {
      if (Date.now() > deadline)
        throw new Error(
          `redis-server on port ${this.port} did not answer within 20 s (log: ${join(this.dir, 'redis.log')})`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops answering without closing anything: clients wait on open sockets. */
  freeze(): void {
    this.child?.kill('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
    this.frozen = false;
  }

  private async crash(): Promise<void> {
    if (this.frozen) this.thaw();
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGKILL, `downMs` with nothing listening, then the same port and directory: the AOF brings every acknowledged write back. */
  async restartWithAof(downMs: number): Promise<void> {
    await this.crash();
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  /** SIGKILL, then a server with an empty directory: every queue, job and schedule is gone. */
  async restartEmpty(downMs: number): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
