// "Hosts" on this machine for tests: one Linux network namespace per host, each joined by a
// veth pair to a bridge in the root namespace. The bridge carries two addresses: `serviceIp`
// (a TCP proxy to the shared Postgres, an SMTP server: whatever the test listens on) and
// `redisIp` (a private Redis Cluster bound there), so a host can be cut off from Redis alone
// by a blackhole route to `redisIp` inside its namespace, while Postgres stays reachable.
// Needs root (CAP_NET_ADMIN) and `ip` (iproute2); `netnsSupport()` says why not otherwise.
// Every name carries a random run id, and the bridge's alias names the creating pid: a run
// that died without cleaning up is swept by the next one (`sweepLeftovers`), and never
// collides with it meanwhile.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { repoRoot } from './paths.ts';

const ALIAS = 'tierline-test-netns';

function ip(...args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function ipOrThrow(...args: string[]): string {
  const r = ip(...args);
  if (!r.ok) throw new Error(`ip ${args.join(' ')}: ${r.out.trim()}`);
  return r.out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Deletes namespaces and bridges an earlier run left behind (its process gone): namespaces
 * named `tierline-<pid>-...`, bridges whose alias is `tierline-test-netns pid=<pid>`.
 * Their veths go with them.
 */
export function sweepLeftovers(): void {
  for (const line of ip('netns', 'list').out.split('\n')) {
    const m = /^(tierline-(\d+)-\S+)/.exec(line.trim());
    if (!m?.[1] || alive(Number(m[2]))) continue;
    // Workers a crashed run started there would hold on to its (gone) services.
    for (const pid of ip('netns', 'pids', m[1])
      .out.split(/\s+/)
      .filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ip('netns', 'del', m[1]);
  }
  const links = ip('-o', 'link', 'show', 'type', 'bridge').out;
  for (const line of links.split('\n')) {
    const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
    const pid = new RegExp(`alias ${ALIAS} pid=(\\d+)`).exec(line)?.[1];
    if (name && pid && !alive(Number(pid))) ip('link', 'del', name);
  }
}

/** Whether this process may create namespaces, veths and bridges: undefined if so, else why not. */
export function netnsUnsupported(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (spawnSync('ip', ['-V'], { encoding: 'utf8' }).status !== 0) return '`ip` (iproute2) is not on PATH';
  const probe = `tierline-${process.pid}-probe-${randomBytes(3).toString('hex')}`;
  const made = ip('netns', 'add', probe);
  if (!made.ok) return `\`ip netns add\` is not permitted here (needs root/CAP_NET_ADMIN): ${made.out.trim()}`;
  ip('netns', 'del', probe);
  const bridge = `tlp${randomBytes(3).toString('hex')}`;
  const br = ip('link', 'add', bridge, 'type', 'bridge');
  if (!br.ok) return `cannot create a bridge: ${br.out.trim()}`;
  ip('link', 'del', bridge);
  return undefined;
}

export interface Host {
  /** host1, host2, ... */
  name: string;
  /** The network namespace. */
  netns: string;
  /** Its address on the bridge. */
  ip: string;
}

export interface HostNetwork {
  hosts: Host[];
  bridge: string;
  /** On the bridge, for the test's own listeners (Postgres proxy, SMTP). */
  serviceIp: string;
  /** On the bridge, for the Redis nodes: the address a cut-off host loses. */
  redisIp: string;
  /** Drops every packet `host` sends to `redisIp` (a blackhole route): connects fail, open connections hang. */
  cutRedis(host: Host): void;
  restoreRedis(host: Host): void;
  /** `node bin/tierline.js ...args` inside `host`'s namespace. */
  spawnTierline(host: Host, args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess;
  /** Deletes the namespaces and the bridge (veths go with them). Processes must be stopped first. */
  destroy(): void;
}

function freeSubnet(): string {
  const used = ip('-4', '-o', 'addr', 'show').out + ip('-4', 'route', 'show', 'table', 'all').out;
  for (let i = 0; i < 50; i++) {
    const subnet = `10.${randomInt(64, 254)}.${randomInt(0, 255)}`;
    if (!used.includes(`${subnet}.`)) return subnet;
  }
  throw new Error('no free 10.x.y.0/24 subnet for the test hosts');
}

/** `count` hosts on a fresh bridge. Cleans up what it made if any step fails. */
export function createHostNetwork(count: number): HostNetwork {
  sweepLeftovers();
  const id = randomBytes(3).toString('hex');
  const subnet = freeSubnet();
  const bridge = `tlb${id}`;
  const hosts: Host[] = Array.from({ length: count }, (_, i) => ({
    name: `host${i + 1}`,
    netns: `tierline-${process.pid}-${id}-h${i + 1}`,
    ip: `${subnet}.${11 + i}`,
  }));
  const network: HostNetwork = {
    hosts,
    bridge,
    serviceIp: `${subnet}.1`,
    redisIp: `${subnet}.2`,
    cutRedis(host) {
      ipOrThrow('-n', host.netns, 'route', 'add', 'blackhole', `${network.redisIp}/32`);
    },
    restoreRedis(host) {
      ipOrThrow('-n', host.netns, 'route', 'del', 'blackhole', `${network.redisIp}/32`);
    },
    spawnTierline(host, args, env) {
      return spawn('ip', ['netns', 'exec', host.netns, process.execPath, 'bin/tierline.js', ...args], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    },
    destroy() {
      for (const h of hosts) ip('netns', 'del', h.netns);
      ip('link', 'del', bridge);
    },
  };
  try {
    ipOrThrow('link', 'add', bridge, 'type', 'bridge');
    ipOrThrow('link', 'set', 'dev', bridge, 'alias', `${ALIAS} pid=${process.pid}`);
    ipOrThrow('addr', 'add', `${network.serviceIp}/24`, 'dev', bridge);
    ipOrThrow('addr', 'add', `${network.redisIp}/24`, 'dev', bridge);
    ipOrThrow('link', 'set', bridge, 'up');
    for (const [i, h] of hosts.entries()) {
      const outer = `tl${id}h${i + 1}`;
      const inner = `${outer}p`;
      ipOrThrow('netns', 'add', h.netns);
      ipOrThrow('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      ipOrThrow('link', 'set', outer, 'master', bridge, 'up');
      ipOrThrow('link', 'set', inner, 'netns', h.netns);
      ipOrThrow('-n', h.netns, 'addr', 'add', `${h.ip}/24`, 'dev', inner);
      ipOrThrow('-n', h.netns, 'link', 'set', inner, 'up');
      ipOrThrow('-n', h.netns, 'link', 'set', 'lo', 'up');
    }
  } catch (error) {
    network.destroy();
    throw error;
  }
  return network;
}

export interface TcpProxy {
  port: number;
  close(): Promise<void>;
}

/** Forwards connections on `listenHost` (a free port) to `target`: the shared Postgres on 127.0.0.1, seen from the hosts. */
export async function tcpProxy(listenHost: string, target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const keep = (s: Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  const server: Server = createServer((client) => {
    const upstream = createConnection(target.port, target.host);
    keep(client);
    keep(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
