// Redis connections for queues. Every queue name lives under one prefix, hash-tagged by
// default ("{tierline}") so all of a queue's keys land in one Redis Cluster slot.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { readVariable, redact } from '../config/env.ts';
import { redisUrl } from '../config/urls.ts';
import { errorMessage } from '../lib/errors.ts';

export const DEFAULT_QUEUE_PREFIX = readVariable('TIERLINE_QUEUE_PREFIX', {});

export type RedisConnection = Redis | Cluster;

export interface QueueSettings {
  url: string;
  prefix: string;
  /** REDIS_CLUSTER=1: the URL names one node of a Redis Cluster. */
  cluster: boolean;
}

export function queueSettings(env: Record<string, string | undefined> = process.env): QueueSettings {
  return {
    url: redisUrl(env),
    prefix: readVariable('TIERLINE_QUEUE_PREFIX', env),
    cluster: readVariable('REDIS_CLUSTER', env),
  };
}

/**
 * A connection for BullMQ. Workers block on Redis, so requests must never time out on
 * retry count (maxRetriesPerRequest null); producers fail fast instead.
 */
export function openRedis(settings: QueueSettings, role: 'worker' | 'producer'): RedisConnection {
  const options: RedisOptions = {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableOfflineQueue: role === 'worker',
    connectTimeout: 5_000,
    lazyConnect: true,
  };
  if (settings.cluster) {
    const u = new URL(settings.url);
    return new Cluster([{ host: u.hostname, port: Number(u.port || 6379) }], {
      redisOptions: { ...options, password: u.password || undefined },
    });
  }
  return new Redis(settings.url, options);
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
