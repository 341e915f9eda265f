// A private Redis Cluster for tests: 3 masters + 3 replicas on free local ports, in a temporary
// directory, with a short cluster-node-timeout so a killed master's replica is promoted within
// seconds. Never touches the shared Redis at 6379. `stop()` kills every node it started.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ClusterNode {
  port: number;
  process: ChildProcess;
}

export interface LocalCluster {
  nodes: ClusterNode[];
  /** REDIS_URL naming every node as a seed, in the documented comma-separated form. */
  url: string;
  /** The port of the master that holds `key`'s slot. */
  masterFor(key: string): number;
  /** SIGKILLs a node's process and resolves once it has exited. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again (same config file): it rejoins as a replica of its old slots' new master. Resolves once it is a synced replica. */
  restart(port: number): Promise<void>;
  /** Resolves once the cluster reports cluster_state:ok with `port` no longer a master (after a kill). */
  waitForFailover(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Whether redis-server and redis-cli are on PATH (a cluster test skips without them). */
export function clusterToolsAvailable(): boolean {
  const ok = (cmd: string): boolean => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
  return ok('redis-server') && ok('redis-cli');
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Cluster bus ports are port + 10000, so node ports stay below 55535. */
async function nodePort(taken: Set<number>, host: string): Promise<number> {
  for (;;) {
    const port = await freePort(host);
    if (port < 55_000 && !taken.has(port) && !taken.has(port + 10_000)) {
      const busFree = await new Promise<boolean>((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(false));
        s.listen(port + 10_000, host, () => s.close(() => resolve(true)));
      });
      if (busFree) return port;
    }
  }
}

function cliAt(host: string, port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', host, '-p', String(port), ...args], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.stdout ?? '';
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`local cluster: ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export async function startLocalCluster(
  options: {
    nodeTimeoutMs?: number;
    /** The address every node binds and announces (default 127.0.0.1), e.g. one reachable from other network namespaces. */
    host?: string;
  } = {},
): Promise<LocalCluster> {
  const host = options.host ?? '127.0.0.1';
  const cli = (port: number, ...args: string[]): string => cliAt(host, port, ...args);
  const dir = mkdtempSync(join(tmpdir(), 'tierline-cluster-'));
  const taken = new Set<number>();
  const nodes: ClusterNode[] = [];
  const startNode = (port: number): ChildProcess =>
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        host,
        ...(host === '127.0.0.1' ? [] : ['--cluster-announce-ip', host, '--protected-mode', 'no']),
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(options.nodeTimeoutMs ?? 2_000),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        `redis-${port}.log`,
      ],
      { stdio: 'ignore' },
    );
  const stop = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.process.exitCode !== null || n.process.signalCode !== null) return;
        const exited = new Promise((resolve) => n.process.once('exit', resolve));
        n.process.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 6; i++) {
      const port = await nodePort(taken, host);
      taken.add(port);
      nodes.push({ port, process: startNode(port) });
    }
    for (const n of nodes) await until(`node ${n.port} answering`, 10_000, () => cli(n.port, 'ping').trim() === 'PONG');
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `${host}:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    await until('cluster_state:ok on every node', 30_000, () =>
      nodes.every((n) => cli(n.port, 'cluster', 'info').includes('cluster_state:ok')),
    );
    // Every replica attached and synced, so a failover has somewhere to go.
    await until('every replica in sync', 30_000, () =>
      nodes.every((n) => {
        const info = cli(n.port, 'info', 'replication');
        return info.includes('role:master') ? /connected_slaves:1/.test(info) : info.includes('master_link_status:up');
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const alive = (): ClusterNode[] => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  return {
    nodes,
    url: nodes.map((n) => `redis://${host}:${n.port}`).join(','),
    masterFor(key) {
      const any = alive()[0];
      if (!any) throw new Error('local cluster: no node alive');
      const slot = Number(cli(any.port, 'cluster', 'keyslot', key).trim());
      for (const line of cli(any.port, 'cluster', 'nodes').split('\n')) {
        const fields = line.split(' ');
        if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
        for (const range of fields.slice(8)) {
          const [from, to] = range.split('-').map(Number);
          if (from !== undefined && slot >= from && slot <= (to ?? from))
            return Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
        }
      }
      throw new Error(`local cluster: no master for slot ${slot}`);
    },
    async kill(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`local cluster: no node on ${port}`);
      const exited = new Promise((resolve) => node.process.once('exit', resolve));
      node.process.kill('SIGKILL');
      await exited;
    },
    async restart(port) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`local cluster: no node on ${port}`);
      node.process = startNode(port);
      await until(`node ${port} back as a synced replica`, 30_000, () => {
        const info = cli(port, 'info', 'replication');
        return info.includes('role:slave') && info.includes('master_link_status:up');
      });
      await until('cluster_state:ok on every node', 30_000, () =>
        nodes.every((n) => cli(n.port, 'cluster', 'info').includes('cluster_state:ok')),
      );
    },
    async waitForFailover(port, timeoutMs = 30_000) {
      await until(`a replica promoted in place of ${port}`, timeoutMs, () =>
        alive().every((n) => {
          if (!cli(n.port, 'cluster', 'info').includes('cluster_state:ok')) return false;
          const self = cli(n.port, 'cluster', 'nodes')
            .split('\n')
            .find((l) => l.includes(`:${port}@`));
          return self === undefined || !/\bmaster\b/.test(self.split(' ')[2] ?? '') || self.includes('fail');
        }),
      );
    },
    stop,
  };
}
