// The migrated template database that every integration test file clones.
// Cloning a template (CREATE DATABASE ... TEMPLATE) takes milliseconds; migrating
// a fresh database per file would take far longer.
import pg from 'pg';
import { createDb, maintenanceClient, withDatabase } from '../../db/connect.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { TEMPLATE_DATABASE, TEMPLATE_LOCK_KEY, TEST_DATABASE_PREFIX } from './provided.ts';

/** Databases left by crashed runs older than this are dropped; younger ones may belong to a run in progress. */
const STALE_AFTER_MS = 2 * 60 * 60 * 1000;
const TEST_DATABASE_NAME = new RegExp(`^${TEST_DATABASE_PREFIX}([0-9a-z]+)_[0-9a-z]+$`);

async function dropStaleTestDatabases(client: pg.Client, now: number): Promise<void> {
  const { rows } = await client.query<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [TEST_DATABASE_PREFIX],
  );
  for (const { datname } of rows) {
    const stamp = TEST_DATABASE_NAME.exec(datname)?.[1];
    if (stamp === undefined || now - parseInt(stamp, 36) < STALE_AFTER_MS) continue;
    await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
  }
}

/**
 * Drops and recreates the template from the current migrations, so a changed
 * migration is always picked up. Other vitest runs on the same server (another
 * developer, CI) are serialised by an advisory lock: they clone under a shared lock.
 */
export async function rebuildTemplate(serverUrl: string): Promise<void> {
  const client = await maintenanceClient(serverUrl);
  try {
    await client.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    await dropStaleTestDatabases(client, Date.now());
    const template = pg.escapeIdentifier(TEMPLATE_DATABASE);
    await client.query(`drop database if exists ${template} with (force)`);
    await client.query(`create database ${template}`);
    const db = createDb(withDatabase(serverUrl, TEMPLATE_DATABASE), { max: 1 });
    try {
      await migrateToLatest(db);
    } finally {
      // A template with open connections cannot be cloned.
      await db.destroy();
    }
  } finally {
    await client.end().catch(() => {});
  }
}
