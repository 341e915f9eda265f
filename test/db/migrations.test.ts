// The migrations apply from an empty database, are idempotent, and revert
// completely (every down() undoes its up()).
import { sql, type Kysely } from 'kysely';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, withDatabase } from '../../db/connect.ts';
import { MigrationError, migrateDown, migrateToLatest, migrationStatus } from '../../db/migrate.ts';
import type { DB } from '../../db/types.ts';
import { createEmptyDatabase, describeWithPostgres, dropDatabase, postgres } from '../setup/db.ts';
import { trackKysely } from '../setup/leaks.ts';

const EXPECTED_TABLES = [
  'audit_log',
  'certification_revocations',
  'certifications_earned',
  'connector_records',
  'console_reports',
  'dead_letters',
  'deals',
  'decisions',
  'effective_tier_history',
  'fx_rates',
  'inbox',
  'inbox_conflicts',
  'invoice_credits',
  'invoices',
  'ledger_entries',
  'notification_preferences',
  'outbox',
  'outbox_digests',
  'overrides',
  'partners',
  'payouts',
  'person_departures',
  'program_versions',
  'recompute_requests',
  'review_decisions',
  'scorecard_count_deltas',
  'scorecard_counts',
  'scorecards',
  'timeline_checkpoints',
];

async function publicObjects(db: Kysely<DB>): Promise<{ tables: string[]; others: string[] }> {
  const tables = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%' order by 1`.execute(db);
  // Sequences, functions and types must go too, or a second `up` would fail.
  const others = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind = 'S' and c.relname not like 'kysely_%'
    union all
    select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public'
    order by 1`.execute(db);
  return { tables: tables.rows.map((r) => r.name), others: others.rows.map((r) => r.name) };
}

describeWithPostgres('migrations', () => {
  // An empty database, not a template clone: this is the path `tierline migrate` takes.
  let name: string;
  let db: Kysely<DB>;

  beforeAll(async () => {
    name = await createEmptyDatabase();
    db = trackKysely(createDb(withDatabase(postgres.url, name), { max: 2 }), name);
  });

  afterAll(async () => {
    await db.destroy();
    await dropDatabase(name);
  });

  it('apply from an empty database, oldest first', async () => {
    const applied = await migrateToLatest(db);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied).toEqual([...applied].sort());
    expect((await publicObjects(db)).tables).toEqual(EXPECTED_TABLES);
    expect((await migrationStatus(db)).every((m) => m.applied)).toBe(true);
  });

  it('are idempotent: a second run applies nothing', async () => {
    expect(await migrateToLatest(db)).toEqual([]);
  });

  it('revert one step at a time, newest first', async () => {
    const status = await migrationStatus(db);
    const newest = status.at(-1)?.name;
    expect(await migrateDown(db)).toEqual([newest]);
    expect(await migrateToLatest(db)).toEqual([newest]);
  });

  it('revert completely, leaving no table, sequence or function behind, and apply again', async () => {
    const all = (await migrationStatus(db)).map((m) => m.name);
    expect(await migrateDown(db, { all: true })).toEqual([...all].reverse());
    expect(await publicObjects(db)).toEqual({ tables: [], others: [] });
    expect(await migrateToLatest(db)).toEqual(all);
  });
});

describeWithPostgres('a failing migration', () => {
  const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}/`, import.meta.url));
  let name: string;
  let db: Kysely<DB>;

  beforeAll(async () => {
    name = await createEmptyDatabase();
    db = trackKysely(createDb(withDatabase(postgres.url, name), { max: 2 }), name);
  });

  afterAll(async () => {
    await db.destroy();
    await dropDatabase(name);
  });

  it('throws naming the migration, with the database error as cause, and applies nothing of the batch', async () => {
    const error: unknown = await migrateToLatest(db, { folder: fixture('broken-migrations') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(
      /^migration 2026_01_01_0002_fails failed to apply: relation "no_such_table" does not exist$/,
    );
    expect(((error as Error).cause as { code?: string }).code).toBe('42P01');
    // Kysely runs the pending batch in one transaction on PostgreSQL.
    expect((await publicObjects(db)).tables).toEqual([]);
  });

  it('refuses a misnamed migration file instead of skipping it', async () => {
    await expect(migrateToLatest(db, { folder: fixture('misnamed-migrations') })).rejects.toThrow(
      /add_column\.ts is not named YYYY_MM_DD_NNNN_name\.ts/,
    );
  });
});
