// Opening the system of record: a Kysely instance over a pg Pool, and creating
// the database itself when it is missing (README.md#configuration).
import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pg from 'pg';
import { toConnectionError, describeTarget } from './connection-errors.ts';
import { tierlineTypes } from './type-parsers.ts';
import type { DB } from './types.ts';

export interface ConnectOptions {
  /** Largest number of pooled connections. */
  max?: number;
  /** The variable the URL came from, named in error messages. */
  variable?: string;
}

// An unreachable host should fail a command in seconds, not hang on the OS default.
const CONNECT_TIMEOUT_MS = 5_000;

function poolFor(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'tierline',
    types: tierlineTypes,
  });
  // A pooled idle connection that dies (server restart) emits 'error' on the pool;
  // unhandled, that would crash the process. The pool drops the client and the next
  // checkout reconnects, so there is nothing more to do here.
  pool.on('error', () => {});
  // A connection that dies while checked out (pg_terminate_backend, a failover) emits 'error'
  // on its client, where the pool listens no more: unhandled, that crashes the process too.
  // The query in flight fails instead, and its transaction is retried or its job fails.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** A Kysely instance for `url`. Connects lazily; connection failures surface as DatabaseUnreachableError. */
export function createDb(url: string, options: ConnectOptions = {}): Kysely<DB> {
  const pool = poolFor(url, options.max ?? 10);
  const reportingPool: PostgresPool = {
    async connect() {
      try {
        return await pool.connect();
      } catch (err) {
        throw toConnectionError(url, err, options.variable);
      }
    },
    end: () => pool.end(),
  };
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: reportingPool }) });
  pools.set(db, { pool, url, variable: options.variable });
  return db;
}

// The pg Pool under each Kysely made here: db/copy.ts checks out one of its connections to
// mix COPY (which Kysely cannot send) with ordinary statements in one transaction.
const pools = new WeakMap<Kysely<DB>, { pool: pg.Pool; url: string; variable: string | undefined }>();

/** One connection of `db`'s pool (connection failures as DatabaseUnreachableError), or undefined for a Kysely not made by createDb. */
export async function checkOutClient(db: Kysely<DB>): Promise<pg.PoolClient | undefined> {
  const entry = pools.get(db);
  if (!entry) return undefined;
  try {
    return await entry.pool.connect();
  } catch (err) {
    throw toConnectionError(entry.url, err, entry.variable);
  }
}

/** `url` with its database replaced, e.g. to reach the `postgres` maintenance database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

async function openClient(url: string, variable: string | undefined): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // Same reason as the pool: a dropped connection must not crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => {});
    throw toConnectionError(url, err, variable);
  }
}

/** Connects to the server's maintenance database (`postgres`, else `template1`). */
export async function maintenanceClient(url: string, variable?: string): Promise<pg.Client> {
  try {
    return await openClient(withDatabase(url, 'postgres'), variable);
  } catch (err) {
    // Some managed servers drop the `postgres` database; template1 always exists.
    if ((err as { cause?: { code?: string } }).cause?.code !== '3D000') throw err;
    return await openClient(withDatabase(url, 'template1'), variable);
  }
}

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string, variable?: string): Promise<{ database: string; created: boolean }> {
  const { database } = describeTarget(url);
  const client = await maintenanceClient(url, variable);
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (found.rowCount) return { database, created: false };
    try {
      // CREATE DATABASE takes no parameters; the name is quoted as an identifier instead.
      await client.query(`create database ${pg.escapeIdentifier(database)}`);
    } catch (err) {
      // Another process created it between our check and our create: that is success.
      // Postgres says so as duplicate_database, or, when both creates overlap, as a
      // unique violation on pg_database's name index.
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return { database, created: false };
      throw err;
    }
    return { database, created: true };
  } finally {
    await client.end().catch(() => {});
  }
}
