// Acknowledged enqueues wait for replicas. A Redis master answers a write before its replicas
// have it; if the master dies in that window its replica is promoted without the write, and a
// sender that was told "accepted" never resends. `WAIT n timeout` on the connection that wrote
// blocks until n replicas hold everything that connection wrote, so a failover of a master with
// a replica loses nothing that was acknowledged (Redis's WAIT caveats aside: a replica that
// acknowledged can still lose the write if it too fails before it is promoted).
import type { Queue } from 'bullmq';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import type { ReplicaAck } from './connection.ts';

export class ReplicaAckError extends Error {
  override name = 'ReplicaAckError';
}

/**
 * The connection that wrote the queue's keys (the queue's own, or in a cluster that of the
 * master owning its slot) and how many replicas it has, when known: in a cluster, those the
 * slot map lists (after a failover the promoted master has none until a replica joins it).
 */
export async function queueWriter(queue: Queue): Promise<{ node: Redis; replicas: number | undefined }> {
  const client: unknown = await queue.client;
  if (client instanceof Redis) return { node: client, replicas: undefined };
  if (!(client instanceof Cluster)) throw new ReplicaAckError(`the queue ${queue.name} has no ioredis connection`);
  // Every key of a queue shares its hash tag, so any of them names the slot.
  const slot = calculateSlot(queue.toKey('id'));
  const [key, ...replicas] = client.slots[slot] ?? [];
  const node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key);
  if (node === undefined) throw new ReplicaAckError(`no known master for the queue ${queue.name}'s slot ${slot}`);
  return { node, replicas: replicas.length };
}

/**
 * Resolves once `ack.replicas` replicas (at most as many as a cluster's slot map lists for
 * the queue's master) hold every write made so far through the queue's connection; throws
 * ReplicaAckError (transient: the sender should resend) when fewer answered within
 * `ack.timeoutMs`. A master without a replica is not waited on: if it dies there is no
 * failover to lose writes in (its slots are down until it is back).
 */
export async function waitForReplicas(queue: Queue, ack: ReplicaAck): Promise<void> {
  if (ack.replicas === 0) return;
  const { node, replicas } = await queueWriter(queue);
  const wanted = Math.min(ack.replicas, replicas ?? ack.replicas);
  if (wanted === 0) return;
  const acked = Number(await node.call('WAIT', String(wanted), String(ack.timeoutMs)));
  if (acked < wanted)
    throw new ReplicaAckError(
      `only ${acked} of ${wanted} Redis replicas (REDIS_ACK_REPLICAS) hold the queued events after ` +
        `${ack.timeoutMs} ms (REDIS_ACK_TIMEOUT_MS); not acknowledged, resend them`,
    );
}
