// Who may see the console: `Authorization: Bearer <TIERLINE_ADMIN_TOKEN>` (scripts), or the
// session cookie set by signing in at /console/login. The cookie holds a hash of the token
// under a label of its own (never the token; rotating the token signs everyone out), is
// HttpOnly, SameSite=Strict and scoped to /console. Both are compared in constant time.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { bearerMatches, sameSecret } from '../../metrics.ts';

export const CONSOLE_PATH = '/console';
export const CONSOLE_COOKIE = 'tierline_console';

export function consoleSession(token: string): string {
  return createHash('sha256').update(`tierline-console-session\u0000${token}`).digest('base64url');
}

export type Credential = 'bearer' | 'cookie' | undefined;

export function credentialOf(request: FastifyRequest, token: string): Credential {
  if (request.headers.authorization !== undefined)
    return bearerMatches(request.headers.authorization, [token]) ? 'bearer' : undefined;
  const cookie = (request.cookies as Record<string, string | undefined> | undefined)?.[CONSOLE_COOKIE];
  return cookie !== undefined && sameSecret(cookie, consoleSession(token)) ? 'cookie' : undefined;
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${CONSOLE_COOKIE}=${consoleSession(token)}; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedCookie(): string {
  return `${CONSOLE_COOKIE}=; Path=${CONSOLE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0`;
}
