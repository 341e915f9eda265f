// COPY FROM STDIN (pg-copy-streams) on one connection, with a Kysely over that very
// connection, so one transaction can mix COPY with ordinary statements: the bulk path of
// `tierline ingest --backfill` writes its inbox rows this way (services/ingest/backfill.ts).
import { once } from 'node:events';
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import { checkOutClient } from './connect.ts';
import type { DB } from './types.ts';

export interface CopySession {
  /** Statements on the session's connection; one at a time (it is a single connection). */
  db: Kysely<DB>;
  /**
   * Runs `statement` (a `COPY … FROM STDIN`) and streams `chunks` to it; returns the rows
   * copied. An error from Postgres rejects with that error (and aborts the transaction).
   */
  copy(statement: string, chunks: Iterable<string | Uint8Array>): Promise<number>;
  /** Gives the connection back to the pool. */
  release(): void;
}

/** A session on one connection of `db`'s pool, or undefined when `db` was not made by createDb. */
export async function openCopySession(db: Kysely<DB>): Promise<CopySession | undefined> {
  const client = await checkOutClient(db);
  if (!client) return undefined;
  // Kysely releases its "pool" connection after each statement or transaction: here that
  // must not hand the connection back to the real pool, which happens once, in release().
  const single: PostgresPool = {
    connect: () =>
      Promise.resolve({
        query: client.query.bind(client) as PostgresPoolClient['query'],
        release: () => {},
      }),
    end: () => Promise.resolve(),
  };
  const session = new Kysely<DB>({ dialect: new PostgresDialect({ pool: single }) });
  return {
    db: session,
    async copy(statement, chunks) {
      const stream = client.query(copyFrom(statement));
      const failed = once(stream, 'error').then(([error]: unknown[]) => {
        throw error;
      });
      // Surfaced by `failed` in the race below, or by `finish` never coming.
      failed.catch(() => {});
      for (const chunk of chunks) {
        if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
      }
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
      return stream.rowCount;
    },
    release: () => client.release(),
  };
}
