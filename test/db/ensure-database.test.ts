// ensureDatabase() creates the database named in DATABASE_URL when it is missing
// (SPEC §8), quoting the name safely.
import { afterEach, expect, it } from 'vitest';
import { ensureDatabase, maintenanceClient, withDatabase } from '../../db/connect.ts';
import { describeWithPostgres, dropDatabase, postgres, testDatabaseName } from '../setup/db.ts';

async function exists(name: string): Promise<boolean> {
  const client = await maintenanceClient(postgres.url);
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describeWithPostgres('ensureDatabase', () => {
  const created: string[] = [];
  afterEach(async () => {
    for (const name of created.splice(0)) await dropDatabase(name);
  });

  it('creates a missing database, then finds it', async () => {
    const name = testDatabaseName();
    created.push(name);
    const url = withDatabase(postgres.url, name);
    expect(await ensureDatabase(url)).toEqual({ database: name, created: true });
    expect(await exists(name)).toBe(true);
    expect(await ensureDatabase(url)).toEqual({ database: name, created: false });
  });

  it('quotes names that are not plain identifiers', async () => {
    const name = `${testDatabaseName()} "Tier"; drop database postgres; --`;
    created.push(name);
    expect(await ensureDatabase(withDatabase(postgres.url, name))).toEqual({ database: name, created: true });
    expect(await exists(name)).toBe(true);
    expect(await exists('postgres')).toBe(true);
  });

  it('succeeds when several processes create the same database at once', async () => {
    const name = testDatabaseName();
    created.push(name);
    const url = withDatabase(postgres.url, name);
    const results = await Promise.all([ensureDatabase(url), ensureDatabase(url), ensureDatabase(url)]);
    expect(results.filter((r) => r.created).length).toBeLessThanOrEqual(1);
    expect(await exists(name)).toBe(true);
  });
});
