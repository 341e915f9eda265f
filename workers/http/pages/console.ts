// The program manager's console under /console (SPEC §12): sign-in, then the read pages
// (console-reads.ts) and the forms that change something (console-actions.ts), which go
// through the same services as the CLI and are audited with who and why.
//
//  - TIERLINE_ADMIN_TOKEN unset: the console is not mounted (404), like the queue dashboard.
//  - Without a credential (console-auth.ts) a GET is redirected to /console/login and any
//    other method answers 401; nothing else runs, so no data is shown.
//  - Every form carries a CSRF token (@fastify/csrf-protection, its secret in an HttpOnly
//    SameSite=Strict cookie scoped to /console); a POST without a valid one is 403. Requests
//    signed in with `Authorization: Bearer` carry no ambient credential and need none.
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../../db/types.ts';
import type { Day } from '../../../domain/dates.ts';
import type { ProgramSet } from '../../../domain/program/load.ts';
import type { Queues } from '../../../queues/queues.ts';
import { sameSecret } from '../../metrics.ts';
import { registerConsoleActions } from './console-actions.ts';
import { registerConsoleEconomics } from './console-economics.ts';
import { clearedCookie, CONSOLE_PATH, credentialOf, sessionCookie } from './console-auth.ts';
import { registerConsoleReads } from './console-reads.ts';
import { LOGIN } from './console-templates.ts';
import { sendHtml } from './headers.ts';

export interface ConsoleOptions {
  db: Kysely<DB>;
  queues: Queues;
  /** The admin token; undefined: no console. */
  token: string | undefined;
  linkSecret: string;
  publicUrl: string;
  today(timezone: string): Day;
  /** The stored program, cached. */
  program(): Promise<ProgramSet | undefined>;
}

export interface ConsoleContext extends ConsoleOptions {
  token: string;
  /** Sends a console page with a fresh CSRF token in its view. */
  page(
    request: FastifyRequest,
    reply: FastifyReply,
    render: (view: object) => string,
    view: object,
    status?: number,
  ): FastifyReply;
  /** For the preHandler of every POST: CSRF unless signed in by bearer. */
  protect(request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void;
}

const formBody = (body: string): Record<string, string | string[]> => {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
};

export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  const { token } = options;
  if (!token) return;
  void app.register(async (scope) => {
    // Forms in this scope only: the event endpoints stay JSON-only.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      // Postgres text cannot hold NUL: refused here rather than failing a query later.
      (_r, body, done) =>
        (body as string).includes('\u0000') || /%00/i.test(body as string)
          ? done(Object.assign(new Error('NUL characters are not accepted'), { statusCode: 400 }))
          : done(null, formBody(body as string)),
    );
    await scope.register(fastifyCookie);
    await scope.register(fastifyCsrf, {
      cookieKey: 'tierline_csrf',
      cookieOpts: { path: CONSOLE_PATH, httpOnly: true, sameSite: 'strict', secure: 'auto' },
    });

    scope.addHook('onRequest', async (request, reply) => {
      if (/%00/i.test(request.url))
        return reply.code(400).send({ error: 'Bad Request', message: 'NUL characters are not accepted' });
      const path = request.url.split('?')[0];
      if (path === `${CONSOLE_PATH}/login`) return;
      if (credentialOf(request, token)) return;
      request.log.warn('console: refused without a valid admin token');
      if (request.method === 'GET' && request.headers.authorization === undefined)
        return reply.code(303).header('cache-control', 'no-store').header('location', `${CONSOLE_PATH}/login`).send();
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="tierline-console"')
        .send({
          error: 'Unauthorized',
          message: `sign in at ${CONSOLE_PATH}/login or send Authorization: Bearer <TIERLINE_ADMIN_TOKEN>`,
        });
    });

    const context: ConsoleContext = {
      ...options,
      token,
      page: (_request, reply, render, view, status = 200) =>
        sendHtml(reply, status, render({ ...view, csrf: reply.generateCsrf() })),
      // Callback style: on a bad token the plugin answers 403 itself and never calls done.
      protect: (request, reply, done) => {
        if (credentialOf(request, token) === 'bearer') return done();
        scope.csrfProtection(request, reply, done);
      },
    };

    scope.get(`${CONSOLE_PATH}/login`, async (request, reply) =>
      credentialOf(request, token)
        ? reply.code(303).header('location', CONSOLE_PATH).send()
        : context.page(request, reply, LOGIN, { title: 'Sign in' }),
    );
    scope.post(`${CONSOLE_PATH}/login`, { preHandler: context.protect }, async (request, reply) => {
      const presented = (request.body as Record<string, unknown> | undefined)?.token;
      if (typeof presented !== 'string' || !sameSecret(presented, token)) {
        request.log.warn('console: wrong admin token at sign-in');
        return context.page(request, reply, LOGIN, { title: 'Sign in', error: 'That is not the admin token.' }, 401);
      }
      return reply
        .code(303)
        .header('set-cookie', sessionCookie(token, request.protocol === 'https'))
        .header('cache-control', 'no-store')
        .header('location', CONSOLE_PATH)
        .send();
    });
    scope.post(`${CONSOLE_PATH}/logout`, { preHandler: context.protect }, async (_request, reply) =>
      reply.code(303).header('set-cookie', clearedCookie()).header('location', `${CONSOLE_PATH}/login`).send(),
    );

    registerConsoleReads(scope, context);
    registerConsoleActions(scope, context);
    registerConsoleEconomics(scope, context);
  });
}
