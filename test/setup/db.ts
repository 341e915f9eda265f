// A private database per integration test file, cloned from the migrated template
// built by global-setup.ts, so files run in parallel without seeing each other's rows.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { describe, inject } from 'vitest';
import { createDb, maintenanceClient, withDatabase } from '../../db/connect.ts';
import type { DB } from '../../db/types.ts';
import { track } from './leaks.ts';
import {
  NO_GLOBAL_SETUP,
  TEMPLATE_DATABASE,
  TEMPLATE_LOCK_KEY,
  TEST_DATABASE_PREFIX,
  type ServiceProvision,
} from './provided.ts';

export interface FreshDatabase {
  db: Kysely<DB>;
  url: string;
  name: string;
  /** Closes `db` and drops the database. */
  drop(): Promise<void>;
}

function provision(): ServiceProvision {
  // Undefined when the file runs outside the integration project (no global setup).
  const postgres = inject('postgres') as ServiceProvision | undefined;
  return postgres ?? { available: false, url: '', reason: NO_GLOBAL_SETUP };
}

/** The PostgreSQL server of this run; `available` false (with `reason`) when there is none. */
export const postgres: ServiceProvision = provision();

/**
 * `describe` that skips, saying why, when PostgreSQL is unavailable. Under CI it
 * fails instead: a green run must not hide integration tests that never ran.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (postgres.available) describe(name, fn);
  else if (process.env.CI) {
    describe(name, () => {
      throw new Error(`PostgreSQL unavailable: ${postgres.reason}`);
    });
  } else describe.skip(`${name} [skipped: ${postgres.reason}]`, fn);
}

/** A unique database name; its base-36 timestamp lets a later run sweep it if this one crashes. */
export function testDatabaseName(): string {
  return `${TEST_DATABASE_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function withServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await maintenanceClient(postgres.url);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops a database, disconnecting whoever is still on it. */
export async function dropDatabase(name: string): Promise<void> {
  await withServer((c) => c.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`));
}

/** Creates an empty (unmigrated) database, e.g. to test migrations themselves; returns its name. */
export async function createEmptyDatabase(name = testDatabaseName()): Promise<string> {
  await withServer((c) => c.query(`create database ${pg.escapeIdentifier(name)}`));
  return name;
}

/** Clones the migrated template into a new database, for one test file (beforeAll/afterAll). */
export async function freshDatabase(): Promise<FreshDatabase> {
  if (!postgres.available) throw new Error(`PostgreSQL unavailable: ${postgres.reason}`);
  const name = testDatabaseName();
  await withServer(async (c) => {
    // Shared lock: clones run in parallel, but never while a run rebuilds the template.
    await c.query('select pg_advisory_lock_shared($1)', [TEMPLATE_LOCK_KEY]);
    try {
      await c.query(`create database ${pg.escapeIdentifier(name)} template ${pg.escapeIdentifier(TEMPLATE_DATABASE)}`);
    } finally {
      await c.query('select pg_advisory_unlock_shared($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
  const url = withDatabase(postgres.url, name);
  const db = createDb(url, { max: 4 });
  const drop = async (): Promise<void> => {
    release();
    await db.destroy();
    await dropDatabase(name);
  };
  // Tracked as a whole: a forgotten drop() leaves a database behind, not just a pool.
  const release = track({ kind: 'database', label: name, close: drop });
  return { db, url, name, drop };
}
