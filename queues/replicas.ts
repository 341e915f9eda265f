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

/** The connection that wrote the queue's keys: the queue's own, or in a cluster that of the master owning its slot. */
export async function queueWriter(queue: Queue): Promise<Redis> {
  const client: unknown = await queue.client;
  if (client instanceof Redis) return client;
  if (!(client instanceof Cluster)) throw new ReplicaAckError(`the queue ${queue.name} has no ioredis connection`);
  // Every key of a queue shares its hash tag, so any of them names the slot.
  const slot = calculateSlot(queue.toKey('id'));
  const key = client.slots[slot]?.[0];
  const node = client.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key);
  if (node === undefined) throw new ReplicaAckError(`no known master for the queue ${queue.name}'s slot ${slot}`);
  return node;
}

/**
 * Resolves once `ack.replicas` replicas hold every write made so far through the queue's
 * connection; throws ReplicaAckError (transient: the sender should resend) when fewer
 * answered within `ack.timeoutMs`.
 */
export async function waitForReplicas(queue: Queue, ack: ReplicaAck): Promise<void> {
  if (ack.replicas === 0) return;
  const node = await queueWriter(queue);
  const acked = Number(await node.call('WAIT', String(ack.replicas), String(ack.timeoutMs)));
  if (acked < ack.replicas)
    throw new ReplicaAckError(
      `only ${acked} of ${ack.replicas} Redis replicas (REDIS_ACK_REPLICAS) hold the queued events after ` +
        `${ack.timeoutMs} ms (REDIS_ACK_TIMEOUT_MS); not acknowledged, resend them`,
    );
}
