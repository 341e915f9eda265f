// A connection killed while a transaction holds it between two queries (pg_terminate_backend,
// a failover) must fail that transaction, not crash the process: the pool stops listening for
// errors on a client once it is checked out (found by `npm run test:chaos`).
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb } from '../../db/connect.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';

describeWithPostgres('a connection terminated mid-transaction', () => {
  let fresh: FreshDatabase;

  beforeAll(async () => {
    fresh = await freshDatabase();
  });
  afterAll(() => fresh.drop());

  it('fails the transaction and leaves the pool usable', async () => {
    const db = createDb(fresh.url, { max: 2 });
    try {
      const transaction = db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        // Killed from another session while this one is idle in the transaction.
        await sql`select pg_terminate_backend(${rows[0]?.pid})`.execute(fresh.db);
        await expect
          .poll(
            async () =>
              (
                await sql<{
                  n: string;
                }>`select count(*)::text as n from pg_stat_activity where pid = ${rows[0]?.pid}`.execute(fresh.db)
              ).rows[0]?.n,
          )
          .toBe('0');
        await sql`select 1`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      const { rows } = await sql<{ ok: number }>`select 1 as ok`.execute(db);
      expect(rows).toEqual([{ ok: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
