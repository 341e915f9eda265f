// Redis connections for queues. Every queue name lives under one prefix, hash-tagged by
// default ("{tierline}") so all of a queue's keys land in one Redis Cluster slot.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, readVariable, redact } from '../config/env.ts';
import { redisUrl } from '../config/urls.ts';
import { errorMessage } from '../lib/errors.ts';

export const DEFAULT_QUEUE_PREFIX = readVariable('TIERLINE_QUEUE_PREFIX', {});

export type RedisConnection = Redis | Cluster;

/** How often a cluster connection re-reads the slot map (CLUSTER SLOTS). */
export const SLOTS_REFRESH_MS = 5_000;

/** How long a connection to a Redis node (and, for a cluster, the slots refresh) may take. */
export const CONNECT_TIMEOUT_MS = 5_000;

export interface QueueSettings {
  /** One redis:// URL, or (with `cluster`) several seed nodes separated by commas. */
  url: string;
  prefix: string;
  /** REDIS_CLUSTER=1: the URL names seed nodes of a Redis Cluster. */
  cluster: boolean;
  /** What an acknowledged enqueue waits for (REDIS_ACK_REPLICAS / REDIS_ACK_TIMEOUT_MS). */
  ack?: ReplicaAck;
}

/** Replicas that must hold a job before its enqueue is acknowledged to a sender, and how long to wait. */
export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
}

export function queueSettings(env: Record<string, string | undefined> = process.env): QueueSettings {
  const cluster = readVariable('REDIS_CLUSTER', env);
  const settings = {
    url: redisUrl(env),
    prefix: readVariable('TIERLINE_QUEUE_PREFIX', env),
    cluster,
    ack: {
      // A cluster's masters are waited on only while they have replicas (queues/replicas.ts), so
      // 1 is safe there by default; a single Redis without replicas would refuse everything.
      replicas: readVariable('REDIS_ACK_REPLICAS', env) ?? (cluster ? 1 : 0),
      timeoutMs: readVariable('REDIS_ACK_TIMEOUT_MS', env),
    },
  };
  if (!settings.cluster && settings.url.includes(','))
    throw new ConfigError(
      'REDIS_URL names several nodes, but REDIS_CLUSTER is not set: several seed nodes are for a Redis Cluster ' +
        '(set REDIS_CLUSTER=1), a single Redis takes one URL',
    );
  return settings;
}

/** The seed nodes of a cluster URL list (`redis://h1:7000,redis://h2:7001`). */
export function clusterSeeds(url: string): { host: string; port: number }[] {
  return url.split(',').map((item) => {
    const u = new URL(item.trim());
    return { host: u.hostname, port: Number(u.port || 6379) };
  });
}

/**
 * A connection for BullMQ. Workers block on Redis, so requests must never time out on
 * retry count (maxRetriesPerRequest null); producers fail fast instead.
 */
export function openRedis(settings: QueueSettings, role: 'worker' | 'producer'): RedisConnection {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: role === 'worker',
    connectTimeout: CONNECT_TIMEOUT_MS,
    lazyConnect: true,
  };
  if (settings.cluster) {
    // Credentials and TLS from the first seed; a cluster's nodes share them.
    const first = new URL(settings.url.split(',')[0]!.trim());
    return new Cluster(clusterSeeds(settings.url), {
      // Cluster-level options: lazyConnect here too, or the Cluster connects at once and a
      // connection nobody uses keeps the process alive. The offline queue holds commands
      // while slots are refreshed after a failover (a producer still fails fast per node).
      lazyConnect: true,
      enableOfflineQueue: true,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 300,
      // ioredis's default (1 s) for CLUSTER SLOTS through a fresh connection to each seed is
      // shorter than the connect timeout: on a busy host every seed timed out and a worker
      // process failed to start ("None of startup nodes is available", seen in the cluster
      // chaos suite at load 25 on 2 cores). The connect timeout bounds it instead.
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      // ioredis refreshes its slot map only on redirections and errors by default; the map
      // also tells which replicas a master has (queues/replicas.ts waits for them), and a
      // replica that joins after a failover causes neither.
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      redisOptions: {
        ...options,
        username: first.username || undefined,
        password: decodeURIComponent(first.password) || undefined,
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    });
  }
  return new Redis(settings.url, options);
}

/**
 * A fresh, not yet connected copy of `connection` for a blocking reader (QueueEvents): its
 * requests retry forever. The caller owns it and must disconnect it: BullMQ duplicates the
 * instance it is given and closes only its own copy. `Cluster.duplicate` takes the startup
 * nodes first and options second, unlike `Redis.duplicate`.
 */
export function blockingCopy(connection: RedisConnection): RedisConnection {
  if (connection instanceof Cluster) {
    return connection.duplicate([], {
      lazyConnect: true,
      redisOptions: { ...connection.options.redisOptions, maxRetriesPerRequest: null, enableOfflineQueue: true },
    });
  }
  return connection.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: true });
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * Connects and refuses a Redis that may evict keys: with any policy but noeviction, BullMQ
 * loses jobs silently under memory pressure.
 */
export async function checkRedis(connection: RedisConnection, settings: QueueSettings): Promise<void> {
  const where = redact(settings.url);
  try {
    if (connection.status === 'wait') await connection.connect();
    await connection.ping();
  } catch (error) {
    throw new RedisUnavailableError(`cannot reach Redis at ${where} (REDIS_URL): ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const policy = await evictionPolicy(connection);
  if (policy !== undefined && policy !== 'noeviction') {
    throw new RedisUnavailableError(
      `Redis at ${where} has maxmemory-policy ${policy}; queues need noeviction or jobs are lost ` +
        `silently. Fix: redis-cli config set maxmemory-policy noeviction (and set it in redis.conf)`,
    );
  }
}

async function evictionPolicy(connection: RedisConnection): Promise<string | undefined> {
  try {
    const reply = (await connection.config('GET', 'maxmemory-policy')) as unknown as string[];
    if (reply[1]) return reply[1];
  } catch {
    // Managed Redis often disables CONFIG; INFO still tells.
  }
  const info = await connection.info('memory');
  return /maxmemory_policy:(\S+)/.exec(info)?.[1];
}
