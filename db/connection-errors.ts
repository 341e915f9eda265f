// Turns driver-level connection failures into one-line messages that name the
// service, where it was looked for and which variable configures it (docs/cli.md:
// "unreachable Redis or Postgres — naming which and where").

import { errorMessage } from '../lib/errors.ts';

/** Where a postgres:// URL points, without credentials. */
export interface PgTarget {
  host: string;
  port: number;
  database: string;
}

/** The database could not be reached or refused us; `message` is fit for a terminal. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

export function describeTarget(url: string): PgTarget {
  const u = new URL(url);
  // `?host=/var/run/postgresql` is how libpq-style URLs select a unix socket.
  const host = u.searchParams.get('host') ?? (u.hostname || 'localhost');
  const port = Number(u.searchParams.get('port') ?? (u.port || 5432));
  const user = decodeURIComponent(u.username);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || user || 'postgres';
  return { host, port, database };
}

/** Error codes of the socket layer: the server was not reached at all. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOENT', // unix socket path missing
]);

interface ErrorShape {
  code?: unknown;
  message?: unknown;
  errors?: unknown;
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ErrorShape;
  if (typeof e.code === 'string') return e.code;
  // Node 20 tries IPv6 and IPv4 for 'localhost' and reports an AggregateError.
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errorCode(inner);
      if (code) return code;
    }
  }
  return undefined;
}

/**
 * Maps a failure to connect into a DatabaseUnreachableError (original kept as
 * `cause`); any other error is returned unchanged.
 */
export function toConnectionError(url: string, err: unknown, variable = 'DATABASE_URL'): unknown {
  if (err instanceof DatabaseUnreachableError) return err;
  const { host, port, database } = describeTarget(url);
  const where = `PostgreSQL at ${host}:${port} (${variable})`;
  const code = errorCode(err);
  const message = errorMessage(err);
  if (code && NETWORK_CODES.has(code)) {
    return new DatabaseUnreachableError(`cannot reach ${where}: ${code}`, { cause: err });
  }
  if (/connection timeout|Connection terminated unexpectedly/.test(message)) {
    return new DatabaseUnreachableError(`cannot reach ${where}: ${message}`, { cause: err });
  }
  switch (code ?? '') {
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification
      return new DatabaseUnreachableError(`${where} refused the login: ${message}`, { cause: err });
    case '3D000': // invalid_catalog_name
      return new DatabaseUnreachableError(
        `database "${database}" does not exist on ${where}; run \`tierline migrate\` to create it`,
        { cause: err },
      );
    case '57P03': // cannot_connect_now: starting up or shutting down
      return new DatabaseUnreachableError(`${where} is not accepting connections yet: ${message}`, { cause: err });
    default:
      return err;
  }
}
