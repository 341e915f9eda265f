// GET/POST /unsubscribe?token=...: the link and the one-click List-Unsubscribe target of
// every email. GET only shows a confirm button (link scanners fetch GET links); POST — the
// button, or a mail client's RFC 8058 one-click request — records the opt-out, audited.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { recordOptOut } from '../../services/notifications/opt-out.ts';
import { verifyUnsubscribeToken } from '../notifier/unsubscribe.ts';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body ` +
    `style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto">${body}</body></html>`
  );
}

export function registerUnsubscribe(app: FastifyInstance, deps: { db: Kysely<DB>; secret: string }): void {
  // A scope of its own: the form parser must not open the JSON-only event endpoints to forms.
  void app.register(async (scope) => {
    scope.addContentTypeParser(
      ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data'],
      { parseAs: 'string' },
      (_request, body, done) => done(null, body),
    );
    const claimsOf = (query: unknown) => {
      const token = (query as { token?: unknown }).token;
      return typeof token === 'string' ? verifyUnsubscribeToken(token, deps.secret) : undefined;
    };
    scope.get('/unsubscribe', async (request, reply) => {
      const claims = claimsOf(request.query);
      reply.type('text/html; charset=utf-8');
      if (!claims) return reply.code(400).send(page('Invalid link', '<p>This unsubscribe link is not valid.</p>'));
      const what = claims.kind === '*' ? 'all Tierline emails' : `“${claims.kind}” emails`;
      const token = escapeHtml((request.query as { token: string }).token);
      return reply.send(
        page(
          'Unsubscribe',
          `<p>Stop sending ${escapeHtml(what)} to ${escapeHtml(claims.email)}?</p><form method="post" ` +
            `action="/unsubscribe?token=${token}"><button type="submit">Unsubscribe</button></form>`,
        ),
      );
    });
    scope.post('/unsubscribe', async (request, reply) => {
      const claims = claimsOf(request.query);
      reply.type('text/html; charset=utf-8');
      if (!claims) return reply.code(400).send(page('Invalid link', '<p>This unsubscribe link is not valid.</p>'));
      await recordOptOut(deps.db, claims);
      return reply.send(
        page('Unsubscribed', `<p>${escapeHtml(claims.email)} will no longer receive these emails.</p>`),
      );
    });
  });
}
