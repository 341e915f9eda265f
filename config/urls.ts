// Service URLs from the environment (README.md#configuration), parsed by the one environment schema
// (config/env.ts) so a typo in DATABASE_URL / REDIS_URL fails with one line naming the
// variable, instead of a driver error deep inside the first query.
import { readVariable, type Env } from './env.ts';

export const DEFAULT_DATABASE_URL = readVariable('DATABASE_URL', {});
export const DEFAULT_REDIS_URL = readVariable('REDIS_URL', {});

/** PostgreSQL URL of the system of record. */
export function databaseUrl(env: Env = process.env): string {
  return readVariable('DATABASE_URL', env);
}

/** Redis URL for the queues. */
export function redisUrl(env: Env = process.env): string {
  return readVariable('REDIS_URL', env);
}
