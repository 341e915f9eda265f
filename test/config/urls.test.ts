import { describe, expect, it } from 'vitest';
import { ConfigError, redact } from '../../config/env.ts';
import { databaseUrl, redisUrl } from '../../config/urls.ts';
import { Cluster } from 'ioredis';
import { CONNECT_TIMEOUT_MS, clusterSeeds, openRedis, queueSettings } from '../../queues/connection.ts';

describe('service URLs', () => {
  it('default to the local services', () => {
    expect(databaseUrl({})).toBe('postgres://postgres@127.0.0.1:5432/tierline');
    expect(redisUrl({})).toBe('redis://127.0.0.1:6379');
  });

  it('treat an empty variable as unset', () => {
    expect(databaseUrl({ DATABASE_URL: '' })).toBe('postgres://postgres@127.0.0.1:5432/tierline');
  });

  it('take DATABASE_URL and REDIS_URL from the environment', () => {
    expect(databaseUrl({ DATABASE_URL: 'postgresql://u@db:5433/x' })).toBe('postgresql://u@db:5433/x');
    expect(redisUrl({ REDIS_URL: 'rediss://cache:6380/2' })).toBe('rediss://cache:6380/2');
  });

  it('refuse other schemes in one line that names the variable and hides the password', () => {
    expect(() => databaseUrl({ DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow(ConfigError);
    expect(() => databaseUrl({ DATABASE_URL: 'mysql://u:hunter2@db/x' })).toThrow(
      'DATABASE_URL is not valid (expected a postgres:// URL): mysql://u:***@db/x',
    );
    expect(() => redisUrl({ REDIS_URL: 'localhost:6379' })).toThrow(/^REDIS_URL is not valid/);
  });

  it('take several Redis Cluster seed nodes, comma-separated, each a whole URL', () => {
    const env = { REDIS_URL: 'redis://h1:7000, redis://h2:7001', REDIS_CLUSTER: '1' };
    expect(redisUrl(env)).toBe('redis://h1:7000,redis://h2:7001');
    expect(queueSettings(env)).toMatchObject({ url: 'redis://h1:7000,redis://h2:7001', cluster: true });
    expect(clusterSeeds('redis://h1:7000,rediss://h2')).toEqual([
      { host: 'h1', port: 7000 },
      { host: 'h2', port: 6379 },
    ]);
  });

  it('refuse a seed that is not a whole URL, naming its position, and several seeds without REDIS_CLUSTER', () => {
    expect(() => redisUrl({ REDIS_URL: 'redis://h1:7000,h2:7001' })).toThrow(
      /^REDIS_URL is not valid \(item 2 of 2 is not a redis:\/\/ or rediss:\/\/ URL/,
    );
    expect(() => queueSettings({ REDIS_URL: 'redis://h1:7000,redis://h2:7001' })).toThrow(
      /REDIS_URL names several nodes, but REDIS_CLUSTER is not set/,
    );
  });

  it('redact passwords', () => {
    expect(redact('redis://:a@h1:7000,redis://:b@h2:7001')).toBe('redis://:***@h1:7000,redis://:***@h2:7001');
    expect(redact('postgres://user:pw@h/db')).toBe('postgres://user:***@h/db');
    expect(redact('postgres://user@h/db')).toBe('postgres://user@h/db');
  });

  it('a cluster connection gives the slots refresh as long as a connection (ioredis would give it 1 s)', () => {
    for (const role of ['worker', 'producer'] as const) {
      const c = openRedis({ url: 'redis://127.0.0.1:7000,redis://127.0.0.1:7001', prefix: '{t}', cluster: true }, role);
      expect(c).toBeInstanceOf(Cluster);
      expect((c as Cluster).options.slotsRefreshTimeout).toBe(CONNECT_TIMEOUT_MS);
      expect((c as Cluster).options.redisOptions?.connectTimeout).toBe(CONNECT_TIMEOUT_MS);
      c.disconnect();
    }
  });
});
