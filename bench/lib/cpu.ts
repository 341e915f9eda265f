// CPU seconds spent by each part of a scenario over a phase, read from /proc (Linux; the
// bench runs its services on this machine): the worker processes, this process (the
// producer), the Postgres backends serving each of them (matched by the client's TCP port),
// and redis-server. Unlike wall times these stay meaningful when other work loads the
// machine. Redis is one process: on a Redis shared with other work its figure includes
// theirs (INFO commandstats calls are counted too, with the same caveat).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import type { RedisConnection } from '../../queues/connection.ts';
import { procStat } from './meter.ts';

/** utime + stime of a process (its threads included), in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat === undefined ? undefined : stat.self * 1000;
}

/**
 * Socket inode → local TCP port, for the sockets connected to `remotePort` (a local port may
 * be reused towards another address, so only the connections to Postgres are looked at).
 */
function portsByInode(remotePort: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const remote = cols[2];
      const inode = cols[9];
      if (!local || !remote || !inode) continue;
      if (parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16) !== remotePort) continue;
      out.set(inode, parseInt(local.slice(local.lastIndexOf(':') + 1), 16));
    }
  }
  return out;
}

/** The local ports of a process's TCP sockets. */
function localPorts(pid: number, byInode: Map<string, number>): Set<number> {
  const ports = new Set<number>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return ports;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      const port = m ? byInode.get(m[1] as string) : undefined;
      if (port !== undefined) ports.add(port);
    } catch {
      // closed meanwhile
    }
  }
  return ports;
}

export interface CpuSnapshot {
  at: number;
  /** label → ms of CPU so far. */
  processes: Map<string, number>;
  /** backend pid → { owner label, ms so far }. */
  backends: Map<number, { owner: string; ms: number }>;
  redisCalls: number;
  redisUsec: number;
  redisCommands: Map<string, number>;
}

export interface CpuMeter {
  snapshot(): Promise<CpuSnapshot>;
}

/** `processes`: label → pid; this process is added as 'producer'. */
export function cpuMeter(
  db: Kysely<DB>,
  redis: RedisConnection,
  processes: Record<string, number | undefined>,
): CpuMeter {
  const pids: Record<string, number> = { producer: process.pid };
  for (const [label, pid] of Object.entries(processes)) if (pid !== undefined) pids[label] = pid;
  let redisPid: number | undefined;
  return {
    async snapshot() {
      if (redisPid === undefined) {
        const info = await redis.info('server');
        redisPid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0) || undefined;
      }
      const stats = await redis.info('commandstats');
      const rows = await sql<{ pid: number; client_port: number | null; server_port: number }>`
        select pid, client_port, current_setting('port')::int as server_port from pg_stat_activity
        where datname = current_database() and backend_type = 'client backend'`.execute(db);
      const byInode = portsByInode(rows.rows[0]?.server_port ?? 5432);
      const owners = new Map<number, string>();
      for (const [label, pid] of Object.entries(pids))
        for (const port of localPorts(pid, byInode)) owners.set(port, label);
      const snap: CpuSnapshot = {
        at: performance.now(),
        processes: new Map(),
        backends: new Map(),
        redisCalls: 0,
        redisUsec: 0,
        redisCommands: new Map(),
      };
      for (const [label, pid] of Object.entries(pids)) snap.processes.set(label, processCpuMs(pid) ?? 0);
      if (redisPid !== undefined) snap.processes.set('redis-server', processCpuMs(redisPid) ?? 0);
      for (const r of rows.rows) {
        const ms = processCpuMs(r.pid);
        if (ms === undefined) continue;
        snap.backends.set(r.pid, { owner: owners.get(r.client_port ?? -1) ?? 'other', ms });
      }
      for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
        snap.redisCalls += Number(m[2]);
        snap.redisUsec += Number(m[3]);
        snap.redisCommands.set(m[1] as string, Number(m[2]));
      }
      return snap;
    },
  };
}

export interface CpuUse {
  /** Wall seconds between the snapshots. */
  seconds: number;
  /**
   * label → CPU ms per unit of work (per event or job), 'postgres:LABEL' for the backends
   * serving LABEL ('postgres:producer': the bench's own polling, left out of the total).
   */
  msPerUnit: Record<string, number>;
  totalMsPerUnit: number;
  redisCallsPerUnit: number;
  /** Redis commands per unit, the most called first (those ≥ 0.01 per unit). */
  redisCommandsPerUnit: Record<string, number>;
}

const r3 = (n: number): number => Math.round(n * 1000) / 1000;

/** CPU per unit of work between two snapshots. A backend that was not there at the start counts from zero. */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, units: number): CpuUse {
  const ms: Record<string, number> = {};
  for (const [label, end] of b.processes) ms[label] = end - (a.processes.get(label) ?? end);
  for (const [pid, end] of b.backends) {
    const key = `postgres:${end.owner}`;
    ms[key] = (ms[key] ?? 0) + end.ms - (a.backends.get(pid)?.ms ?? 0);
  }
  const msPerUnit: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of Object.entries(ms)) {
    msPerUnit[k] = r3(v / units);
    // The producer's own backends serve the bench's polling for decisions, not the pipeline.
    if (k !== 'postgres:producer') total += v;
  }
  const commands: Record<string, number> = {};
  const deltas = [...b.redisCommands].map(([c, n]) => [c, n - (a.redisCommands.get(c) ?? 0)] as const);
  for (const [c, n] of deltas.sort((x, y) => y[1] - x[1])) if (n / units >= 0.01) commands[c] = r3(n / units);
  return {
    seconds: r3((b.at - a.at) / 1000),
    msPerUnit,
    totalMsPerUnit: r3(total / units),
    redisCallsPerUnit: r3((b.redisCalls - a.redisCalls) / units),
    redisCommandsPerUnit: commands,
  };
}
