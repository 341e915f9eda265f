// Where the demo's Postgres and Redis come from. DATABASE_URL / REDIS_URL when set, else the
// local defaults. When no Postgres answers there: an embedded one. When no Redis answers and
// a redis-server is on the PATH: a private one. Otherwise one line naming what is missing and
// the two ways to get it. Both are probed before anything is started, so a missing Redis
// fails in a second without first setting up a database.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, redact } from '../../config/env.ts';
import { databaseUrl, redisUrl } from '../../config/urls.ts';
import { maintenanceClient } from '../../db/connect.ts';
import { describeTarget } from '../../db/connection-errors.ts';
import { CliError } from '../../scripts/lib/errors.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { findRedisServer, redisAnswers, startPrivateRedis } from './redis-server.ts';
import { errorMessage } from '../../lib/errors.ts';

export interface DemoServices {
  /** A Postgres server URL; the demo swaps in its own database name. */
  postgresUrl: string;
  postgresLabel: string;
  redisUrl: string;
  redisLabel: string;
  /** Whether Redis is private to this run (nothing to clean up in it at the end). */
  privateRedis: boolean;
  stop(): Promise<void>;
}

type Env = Record<string, string | undefined>;

/** The one line for a missing service (docs/cli.md: name what and where; here also how to get it). */
export function missingService(what: 'Redis' | 'PostgreSQL', why: string): CliError {
  const packages =
    what === 'Redis'
      ? '`apt-get install redis-server` (Debian/Ubuntu), `dnf install redis`, `brew install redis`'
      : '`apt-get install postgresql` (Debian/Ubuntu), `dnf install postgresql-server`, `brew install postgresql`';
  return new CliError(
    `demo needs ${what}: ${why}. Get it with \`docker compose up -d\` (from this folder), or install the distribution package: ${packages}`,
  );
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT',
]);

/** Whether a connection failure means nothing answered (as opposed to a server refusing us). */
function nothingAnswered(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some(nothingAnswered)) return true;
    if (e instanceof Error && /connection timeout|Connection terminated unexpectedly|timeout expired/i.test(e.message))
      return true;
  }
  return false;
}

function oneLine(error: unknown): string {
  return errorMessage(error).replace(/\s*\n\s*/g, ' ');
}

async function probePostgres(url: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  try {
    const client = await maintenanceClient(url, 'DATABASE_URL');
    await client.end().catch(() => {});
    return { ok: true };
  } catch (error) {
    if (nothingAnswered(error)) return { ok: false, reason: oneLine(error) };
    // A server that answers but refuses us is a configuration problem, not a missing service.
    throw new CliError(oneLine(error), 1, { cause: error });
  }
}

function where(url: string, variable: string, env: Env): string {
  return `${redact(url)} (${env[variable]?.trim() ? variable : `default; set ${variable} to use another`})`;
}

export async function provideServices(options: {
  dataDir: string;
  env?: Env;
  say: (line: string) => void;
}): Promise<DemoServices> {
  const env = options.env ?? process.env;
  let pgUrl: string;
  let rdUrl: string;
  try {
    pgUrl = databaseUrl(env);
    rdUrl = redisUrl(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
  const [pgProbe, redisProbe] = await Promise.all([probePostgres(pgUrl), redisAnswers(rdUrl)]);
  const redisServer = redisProbe.ok ? undefined : findRedisServer(env);
  if (!redisProbe.ok && !redisServer) {
    throw missingService(
      'Redis',
      `nothing answers at ${where(rdUrl, 'REDIS_URL', env)} and there is no redis-server on the PATH to start a private one`,
    );
  }

  const dataDir = resolve(options.dataDir);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    let postgresUrl = pgUrl;
    let postgresLabel: string;
    if (pgProbe.ok) {
      const t = describeTarget(pgUrl);
      postgresLabel = `PostgreSQL at ${t.host}:${t.port} (${env.DATABASE_URL?.trim() ? 'DATABASE_URL' : 'local default'})`;
    } else {
      options.say(
        `no PostgreSQL answers at ${where(pgUrl, 'DATABASE_URL', env)}: starting an embedded one (data in ${join(options.dataDir, 'pg')})`,
      );
      mkdirSync(dataDir, { recursive: true });
      try {
        const embedded = await startEmbeddedPostgres({
          dataDir: join(dataDir, 'pg'),
          logPath: join(dataDir, 'pg.log'),
        });
        stops.push(embedded.stop);
        postgresUrl = embedded.url;
        postgresLabel = `embedded PostgreSQL ${embedded.version} on 127.0.0.1:${embedded.port} (data in ${join(options.dataDir, 'pg')})`;
      } catch (error) {
        throw missingService(
          'PostgreSQL',
          `nothing answers at ${where(pgUrl, 'DATABASE_URL', env)} and the embedded PostgreSQL did not start: ${oneLine(error)}`,
        );
      }
    }
    let redisLabel: string;
    let redisFinal = rdUrl;
    if (redisProbe.ok) {
      redisLabel = `Redis at ${redact(rdUrl)} (${env.REDIS_URL?.trim() ? 'REDIS_URL' : 'local default'})`;
    } else {
      options.say(`no Redis answers at ${where(rdUrl, 'REDIS_URL', env)}: starting a private ${redisServer}`);
      mkdirSync(dataDir, { recursive: true });
      try {
        const redis = await startPrivateRedis(redisServer as string, dataDir);
        stops.push(redis.stop);
        redisFinal = redis.url;
        redisLabel = `private redis-server on 127.0.0.1:${redis.port} (stopped at the end)`;
      } catch (error) {
        throw missingService(
          'Redis',
          `nothing answers at ${where(rdUrl, 'REDIS_URL', env)} and a private redis-server did not start: ${oneLine(error)}`,
        );
      }
    }
    return {
      postgresUrl,
      postgresLabel,
      redisUrl: redisFinal,
      redisLabel,
      privateRedis: !redisProbe.ok,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
