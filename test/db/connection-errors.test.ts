// An unreachable PostgreSQL gives one line naming the service, where it was
// looked for and the variable to change (SPEC §7). Needs no running server.
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatabaseUnreachableError, describeTarget, toConnectionError } from '../../db/connection-errors.ts';
import { createDb, ensureDatabase } from '../../db/connect.ts';
import { migrate } from '../../scripts/commands/migrate.ts';
import { CliError } from '../../scripts/lib/errors.ts';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('an unreachable PostgreSQL', () => {
  let port: number;
  let url: string;
  let expected: string;
  beforeAll(async () => {
    port = await closedPort();
    url = `postgres://postgres@127.0.0.1:${port}/tierline`;
    expected = `cannot reach PostgreSQL at 127.0.0.1:${port} (DATABASE_URL): ECONNREFUSED`;
  });

  it('fails queries with a one-line DatabaseUnreachableError', async () => {
    const db = createDb(url);
    try {
      const error: unknown = await db
        .selectFrom('partners')
        .selectAll()
        .execute()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnreachableError);
      expect((error as Error).message).toBe(expected);
      expect((error as Error).cause).toBeDefined();
    } finally {
      await db.destroy();
    }
  });

  it('fails ensureDatabase with the same message', async () => {
    await expect(ensureDatabase(url)).rejects.toThrow(expected);
  });

  it('makes `tierline migrate` fail with that one line (a CliError: exit 1, no stack)', async () => {
    const out: string[] = [];
    const error: unknown = await migrate({ DATABASE_URL: url }, (l) => out.push(l)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).message).toBe(expected);
    expect((error as CliError).exitCode).toBe(1);
    expect(out).toEqual([]);
  });
});

describe('connection error mapping', () => {
  const url = 'postgres://user:secret@db.internal:6543/tierline';

  it('names host and port, never the password', () => {
    const error = toConnectionError(
      url,
      Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), { code: 'ENOTFOUND' }),
    );
    expect((error as Error).message).toBe('cannot reach PostgreSQL at db.internal:6543 (DATABASE_URL): ENOTFOUND');
  });

  it('finds the code inside an AggregateError (IPv6 and IPv4 both refused)', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    const error = toConnectionError(url, new AggregateError([inner], ''));
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
  });

  it('explains a missing database and a refused login', () => {
    const missing = toConnectionError(
      url,
      Object.assign(new Error('database "tierline" does not exist'), { code: '3D000' }),
    );
    expect((missing as Error).message).toMatch(/^database "tierline" does not exist on PostgreSQL at db.internal:6543/);
    const login = toConnectionError(url, Object.assign(new Error('password authentication failed'), { code: '28P01' }));
    expect((login as Error).message).toBe(
      'PostgreSQL at db.internal:6543 (DATABASE_URL) refused the login: password authentication failed',
    );
  });

  it('leaves query errors alone', () => {
    const error = Object.assign(new Error('syntax error'), { code: '42601' });
    expect(toConnectionError(url, error)).toBe(error);
  });

  it('reads unix-socket URLs', () => {
    expect(describeTarget('postgresql:///tierline?host=/var/run/postgresql')).toEqual({
      host: '/var/run/postgresql',
      port: 5432,
      database: 'tierline',
    });
  });
});
