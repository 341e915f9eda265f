// The chaos harness's Redis in cluster mode (`npm run test:chaos -- --cluster`, or
// CHAOS_REDIS=cluster): the private 3 masters + 3 replicas of test/setup/cluster.ts
// (cluster-node-timeout 2 s, no persistence: a node's copy is its replica). Its faults act on
// the master that holds the queue prefix's one slot (every queue key is hash-tagged there):
// SIGSTOP beyond the node timeout (the replica is promoted while it is frozen; thawed, it
// finds itself demoted and resyncs as a replica), and SIGKILL (the replica is promoted; the
// killed node is started again later and rejoins as a replica).
import { spawnSync } from 'node:child_process';
import { startLocalCluster, type LocalCluster } from '../setup/cluster.ts';
import { adopt } from './processes.ts';

export interface ClusterFaultCounts {
  masterKills: number;
  masterFreezes: number;
  /** The queue slot's master changed: one entry per fault, seconds until the cluster was ok with a new master. */
  failovers: string[];
  restartedAsReplica: number;
}

export const emptyClusterCounts = (): ClusterFaultCounts => ({
  masterKills: 0,
  masterFreezes: 0,
  failovers: [],
  restartedAsReplica: 0,
});

function cli(port: number, ...args: string[]): string {
  const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    encoding: 'utf8',
    timeout: 5_000,
  });
  return r.stdout ?? '';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ChaosCluster {
  readonly counts = emptyClusterCounts();
  private readonly frozen = new Set<number>();

  private constructor(
    private readonly cluster: LocalCluster,
    /** A key in the queue prefix's slot (`{chaos}`). */
    private readonly slotKey: string,
  ) {
    for (const n of cluster.nodes) adopt(n.process);
  }

  static async start(prefix: string): Promise<ChaosCluster> {
    return new ChaosCluster(await startLocalCluster({ nodeTimeoutMs: 2_000 }), `${prefix}:crm`);
  }

  get url(): string {
    return this.cluster.url;
  }

  /** The port of the master that holds every queue key now. */
  queueMaster(): number {
    // Asked of a node that answers (a frozen one would not), like test/setup/cluster.ts's masterFor.
    const any = this.cluster.nodes.find(
      (n) => !this.frozen.has(n.port) && n.process.exitCode === null && n.process.signalCode === null,
    );
    if (!any) throw new Error('chaos cluster: no node up');
    const slot = Number(cli(any.port, 'cluster', 'keyslot', this.slotKey).trim());
    for (const line of cli(any.port, 'cluster', 'nodes').split('\n')) {
      const fields = line.split(' ');
      if (!fields[2]?.includes('master') || fields[2].includes('fail')) continue;
      for (const range of fields.slice(8)) {
        const [from, to] = range.split('-').map(Number);
        if (from !== undefined && slot >= from && slot <= (to ?? from))
          return Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]);
      }
    }
    throw new Error(`chaos cluster: no master for slot ${slot}`);
  }

  private node(port: number) {
    const node = this.cluster.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`chaos cluster: no node on ${port}`);
    return node;
  }

  /** Every node answers and says cluster_state:ok, and the queue slot has a master that is not `old`. */
  private async waitNewMaster(old: number, started: number, timeoutMs = 60_000): Promise<number> {
    for (;;) {
      const up = this.cluster.nodes.filter(
        (n) => !this.frozen.has(n.port) && n.process.exitCode === null && n.process.signalCode === null,
      );
      const ok = up.every((n) => cli(n.port, 'cluster', 'info').includes('cluster_state:ok'));
      let master: number | undefined;
      try {
        master = ok ? this.queueMaster() : undefined;
      } catch {
        master = undefined;
      }
      if (master !== undefined && master !== old) {
        this.counts.failovers.push(`${((Date.now() - started) / 1000).toFixed(1)} s`);
        return master;
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`chaos cluster: no new master for the queue slot within ${timeoutMs / 1000} s`);
      await sleep(100);
    }
  }

  /**
   * SIGSTOPs the queues' master for `ms` (longer than the node timeout: its replica is
   * promoted meanwhile), then SIGCONT; resolves once the thawed node is a synced replica.
   * Returns the ports of the frozen node and of the new master.
   */
  async freezeMaster(ms: number): Promise<{ frozen: number; master: number }> {
    const port = this.queueMaster();
    const node = this.node(port);
    const started = Date.now();
    node.process.kill('SIGSTOP');
    this.frozen.add(port);
    this.counts.masterFreezes++;
    const master = await this.waitNewMaster(port, started, ms + 60_000);
    await sleep(Math.max(0, started + ms - Date.now()));
    node.process.kill('SIGCONT');
    this.frozen.delete(port);
    await this.waitReplica(port);
    return { frozen: port, master };
  }

  /** SIGKILLs the queues' master; resolves once its replica is promoted (cluster ok). */
  async killMaster(): Promise<{ killed: number; master: number }> {
    const port = this.queueMaster();
    const started = Date.now();
    await this.cluster.kill(port);
    this.counts.masterKills++;
    const master = await this.waitNewMaster(port, started);
    return { killed: port, master };
  }

  /** Starts a killed node again: it rejoins as a replica of its old slots' new master. */
  async restart(port: number): Promise<void> {
    try {
      await this.cluster.restart(port);
    } catch {
      // test/setup/cluster.ts gives the full sync 30 s; with the chaos run's queues on a busy
      // host (load 30 on 2 cores) it took longer: the node is started, give it more time.
      await this.waitReplica(port, 180_000);
    }
    adopt(this.node(port).process);
    this.counts.restartedAsReplica++;
  }

  private async waitReplica(port: number, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = cli(port, 'info', 'replication');
      if (info.includes('role:slave') && info.includes('master_link_status:up')) return;
      if (Date.now() > deadline)
        throw new Error(`chaos cluster: node ${port} not a synced replica within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    for (const port of this.frozen) this.node(port).process.kill('SIGCONT');
    await this.cluster.stop();
  }
}
