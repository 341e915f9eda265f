// What the capacity tool (bench/capacity.ts) measures with: a private Postgres (initdb in a
// temporary directory, pg_stat_statements preloaded) and a private Redis on free ports, so
// that every CPU second, WAL byte and Redis command counted is this run's and not another
// process's on a shared machine; and CPU seconds read from /proc, which stay meaningful when
// other work loads the machine (wall times do not).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const TICKS = ((): number => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, seconds. */
  self: number;
  /** cutime + cstime: its reaped children's, seconds. */
  reaped: number;
}

/** /proc/PID/stat of one process (or /proc/PID/task/TID/stat of one of its threads); undefined once it is gone. */
export function procStat(pid: number, thread?: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces): state ppid ... utime(14) stime cutime cstime.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (i: number): number => Number(f[i] ?? 0);
  return { pid, ppid: n(1), self: (n(11) + n(12)) / TICKS, reaped: (n(13) + n(14)) / TICKS };
}

/** CPU seconds of one process (itself only). */
export const processCpu = (pid: number | undefined): number => (pid === undefined ? 0 : (procStat(pid)?.self ?? 0));

function childrenOf(ppid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s && s.ppid === ppid) out.push(s);
  }
  return out;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** What a postmaster child is, from its process title; `meter`: the capacity tool's own connection. */
export type PostgresRole = 'client' | 'autovacuum' | 'background' | 'meter';

export function postgresRole(title: string): PostgresRole {
  if (/^postgres: meter /.test(title)) return 'meter';
  if (/autovacuum/.test(title)) return 'autovacuum';
  if (/checkpointer|background writer|walwriter|wal writer|logical replication|archiver|stats|startup/.test(title))
    return 'background';
  return 'client';
}

/**
 * All the CPU a Postgres server has used: the postmaster's own, what its exited children left
 * in its cutime/cstime, and its live children's (each with whatever they reaped). Exact, also
 * for backends that came and went between two readings.
 */
export function postgresTreeCpu(postmaster: number): number {
  const root = procStat(postmaster);
  if (!root) return 0;
  return root.self + root.reaped + childrenOf(postmaster).reduce((sum, c) => sum + c.self + c.reaped, 0);
}

/**
 * Splits a Postgres server's CPU between client backends, autovacuum and the other background
 * processes by polling its children (a child that exits between polls loses at most one
 * interval; the total from postgresTreeCpu is exact).
 */
export class PostgresCpuPoller {
  private seen = new Map<number, { role: PostgresRole; first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private readonly postmaster: number,
    private readonly everyMs = 250,
  ) {}

  start(): void {
    this.seen.clear();
    this.poll(true);
    this.timer = setInterval(() => this.poll(false), this.everyMs);
  }

  private poll(baseline: boolean): void {
    for (const c of childrenOf(this.postmaster)) {
      const cpu = c.self + c.reaped;
      const known = this.seen.get(c.pid);
      if (known) known.last = cpu;
      else this.seen.set(c.pid, { role: postgresRole(commandLine(c.pid)), first: baseline ? cpu : 0, last: cpu });
    }
  }

  stop(): Record<PostgresRole, number> {
    if (this.timer) clearInterval(this.timer);
    this.poll(false);
    const out = { client: 0, autovacuum: 0, background: 0, meter: 0 };
    for (const s of this.seen.values()) out[s.role] += s.last - s.first;
    return out;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The directory of initdb/postgres: the newest /usr/lib/postgresql/N/bin, else PATH's. */
export function postgresBin(): string | undefined {
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions)
      if (existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) return `/usr/lib/postgresql/${v}/bin`;
  } catch {
    // none installed there
  }
  const onPath = which('initdb');
  return onPath && which('postgres') ? onPath.replace(/\/initdb$/, '') : undefined;
}

/** Why a private Postgres and Redis cannot be started here, or undefined when they can. */
export function privateServicesUnavailable(): string | undefined {
  if (!postgresBin()) return 'initdb/postgres not found';
  if (!which('redis-server')) return 'redis-server not found';
  if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0)
    return 'running as root without a postgres user to run initdb as';
  return undefined;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** The postmaster's pid. */
  pid: number;
  settings: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * initdb + postgres on a free port in a temporary directory (as the `postgres` user when
 * this runs as root), with pg_stat_statements preloaded and the given settings.
 */
export async function startPrivatePostgres(settings: Record<string, string>): Promise<PrivatePostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('initdb not found');
  const dir = mkdtempSync(join(tmpdir(), 'tierline-capacity-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]): string[] =>
    asRoot ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args];
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const data = join(dir, 'data');
  const [cmd, ...args] = run(`${bin}/initdb`, [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const init = spawnSync(cmd as string, args, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const all: Record<string, string> = {
    port: String(port),
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${dir}'`,
    shared_preload_libraries: "'pg_stat_statements'",
    'pg_stat_statements.track': "'all'",
    max_connections: '200',
    ...settings,
  };
  appendFileSync(
    join(data, 'postgresql.conf'),
    Object.entries(all)
      .map(([k, v]) => `${k} = ${v}\n`)
      .join(''),
  );
  const [pcmd, ...pargs] = run(`${bin}/postgres`, ['-D', data]);
  const child: ChildProcess = spawn(pcmd as string, pargs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => (log = (log + b.toString('utf8')).slice(-4000)));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  // With runuser the postmaster is runuser's child; find it by its data directory's pid file.
  const deadline = Date.now() + 60_000;
  let pid: number | undefined;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      cleanup();
      throw new Error(`postgres exited: ${log}`);
    }
    try {
      const lines = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n');
      if (lines[7]?.trim() === 'ready') pid = Number(lines[0]);
    } catch {
      // not yet
    }
    if (pid) break;
    await sleep(100);
  }
  if (!pid) {
    child.kill('SIGKILL');
    cleanup();
    throw new Error(`postgres did not start: ${log}`);
  }
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(all))
    if (!['unix_socket_directories', 'port'].includes(k)) shown[k] = v.replace(/'/g, '');
  const postmaster = pid;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    pid: postmaster,
    settings: shown,
    async stop() {
      try {
        process.kill(postmaster, 'SIGINT');
      } catch {
        // gone already
      }
      const until = Date.now() + 30_000;
      while (procStat(postmaster) && Date.now() < until) await sleep(100);
      if (procStat(postmaster)) process.kill(postmaster, 'SIGKILL');
      if (child.exitCode === null) child.kill('SIGKILL');
      cleanup();
    },
  };
}

export interface PrivateRedis {
  url: string;
  pid: number;
  client: Redis;
  stop(): Promise<void>;
}

/** redis-server on a free port without persistence (no fork for RDB/AOF in the middle of a measurement). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tierline-capacity-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  // Refused connections while the server starts are expected; the loop below retries.
  client.on('error', () => {});
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error('redis-server did not start');
      }
      client.disconnect();
      await sleep(100);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    client,
    async stop() {
      client.disconnect();
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** INFO commandstats as command → calls. */
export async function redisCommandCalls(client: Redis): Promise<Record<string, number>> {
  const text = await client.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

/** used_cpu_sys + used_cpu_user of the Redis server (all its threads), seconds. */
export async function redisCpu(client: Redis): Promise<number> {
  const text = await client.info('cpu');
  const get = (k: string): number => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1] ?? 0);
  return get('used_cpu_sys') + get('used_cpu_user');
}
