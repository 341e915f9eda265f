// The queue dashboard (bull-board) at /admin/queues, behind an admin token.
//
//  - TIERLINE_ADMIN_TOKEN unset: the dashboard is not mounted (404).
//  - `Authorization: Bearer <token>` opens any /admin/queues URL (scripts, curl).
//  - A browser opens /admin/queues?token=<token> once: the answer is a redirect to the same
//    URL without the token, setting an HttpOnly, SameSite=Strict cookie scoped to
//    /admin/queues that holds a hash of the token, never the token itself. The cookie lasts
//    for the browser session; rotating the token invalidates it.
//  - Anything else: 401.
// The dashboard can retry, promote, clean and remove jobs: give the token to operators only.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { readVariable } from '../../config/env.ts';
import type { Queues } from '../../queues/queues.ts';
import { bearerMatches, sameSecret } from '../metrics.ts';

export const DASHBOARD_PATH = '/admin/queues';
export const ADMIN_COOKIE = 'tierline_admin';

/** TIERLINE_ADMIN_TOKEN, or undefined when unset or empty (the dashboard is then disabled). */
export function adminTokenFromEnv(env: Record<string, string | undefined> = process.env): string | undefined {
  return readVariable('TIERLINE_ADMIN_TOKEN', env);
}

/** The cookie's value: a hash of the token under a fixed label, so the cookie never holds the token. */
export function sessionValue(token: string): string {
  return createHash('sha256').update(`tierline-admin-session\u0000${token}`).digest('base64url');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function queryToken(url: string): { token: string | undefined; rest: string } {
  const q = url.indexOf('?');
  if (q < 0) return { token: undefined, rest: url };
  const params = new URLSearchParams(url.slice(q + 1));
  const token = params.get('token') ?? undefined;
  params.delete('token');
  const search = params.toString();
  return { token, rest: `${url.slice(0, q)}${search ? `?${search}` : ''}` };
}

/**
 * The request serializer for the server's logs: the URL with every `token` query value
 * (admin, unsubscribe) replaced, so "incoming request" lines carry no secrets.
 */
export function redactedRequest(request: FastifyRequest | IncomingMessage): Record<string, unknown> {
  const raw = request.url ?? '';
  const url = raw.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
  const r = request as FastifyRequest;
  return { method: request.method, url, host: r.host, remoteAddress: r.ip, remotePort: request.socket?.remotePort };
}

export interface DashboardOptions {
  queues: Queues;
  /** The admin token; undefined = no dashboard. */
  token: string | undefined;
}

/** Mounts bull-board at /admin/queues when a token is configured. */
export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  const { token } = options;
  if (!token) return;
  const session = sessionValue(token);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(options.queues).map((queue) => new BullMQAdapter(queue)),
    // @bull-board/fastify 9.10.1 brings its own @bull-board/api 9.10.1 next to our 9.10.2: the
    // adapter's types name the other copy's classes (a private field differs); at run time it
    // only forwards routes and queues.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Tierline queues' } },
  });

  void app.register(async (scope) => {
    // The receiver keeps application/json as raw bytes (for signatures); the dashboard's
    // API wants parsed JSON, in this scope only.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, scope.getDefaultJsonParser('error', 'error'));

    scope.addHook('onRequest', async (request, reply) => {
      const { token: presented, rest } = queryToken(request.url);
      if (presented !== undefined) {
        if (!sameSecret(presented, token)) {
          request.log.warn('dashboard: wrong admin token in the query');
          return reply.code(401).send({ error: 'Unauthorized', message: 'wrong admin token' });
        }
        const secure = request.protocol === 'https' ? '; Secure' : '';
        return reply
          .code(302)
          .header(
            'set-cookie',
            `${ADMIN_COOKIE}=${session}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict${secure}`,
          )
          .header('cache-control', 'no-store')
          .header('location', rest)
          .send();
      }
      const cookie = cookieValue(request.headers.cookie, ADMIN_COOKIE);
      if (
        bearerMatches(request.headers.authorization, [token]) ||
        (cookie !== undefined && sameSecret(cookie, session))
      )
        return;
      request.log.warn('dashboard: refused without a valid admin token');
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="tierline-admin"')
        .send({
          error: 'Unauthorized',
          message: `send Authorization: Bearer <TIERLINE_ADMIN_TOKEN>, or open ${DASHBOARD_PATH}?token=<TIERLINE_ADMIN_TOKEN> once`,
        });
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: DASHBOARD_PATH });
  });
}
