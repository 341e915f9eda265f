// Service URLs from the environment (SPEC §8). Parsed with zod so a typo in
// DATABASE_URL / REDIS_URL fails with one line naming the variable, instead of a
// driver error deep inside the first query.
import { z } from 'zod';

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/tierline';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Thrown when an environment variable holds something that is not a usable URL. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// URL' });
const redisUrlSchema = z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' });

type Env = Record<string, string | undefined>;

function fromEnv(env: Env, name: string, schema: z.ZodType<string>, fallback: string): string {
  // An empty value counts as unset: compose files and CI often export `VAR=`.
  const raw = env[name]?.trim() || fallback;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues[0]?.message ?? 'invalid';
    throw new ConfigError(`${name} is not valid (${why}): ${redact(raw)}`);
  }
  return parsed.data;
}

/** PostgreSQL URL of the system of record. */
export function databaseUrl(env: Env = process.env): string {
  return fromEnv(env, 'DATABASE_URL', postgresUrl, DEFAULT_DATABASE_URL);
}

/** Redis URL for the queues. */
export function redisUrl(env: Env = process.env): string {
  return fromEnv(env, 'REDIS_URL', redisUrlSchema, DEFAULT_REDIS_URL);
}

/** Hides a password so URLs can be echoed in error messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
