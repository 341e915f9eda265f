// POST /connectors/hubspot (SPEC §13): HubSpot webhooks, verified with X-HubSpot-Signature-v3
// (base64 HMAC-SHA256 with the app's client secret over method + URI + body + timestamp,
// refused when the timestamp is more than 5 minutes away), then each deal named is fetched
// from the CRM API with the private-app token (the webhook carries only ids).
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { convertHubspotDeal } from '../../../domain/connectors/hubspot.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { contextFor, deliver, notFound, Unavailable, unavailable, type ConnectorDeps } from './common.ts';
import { fetchDeals } from './hubspot-client.ts';

const WINDOW_MS = 5 * 60 * 1000;
const MAX_EVENTS = 1_000;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The documented v3 signature of a request, base64. */
export function hubspotSignature(secret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(`${method}${uri}${body}${timestamp}`, 'utf8').digest('base64');
}

function verified(request: FastifyRequest, secret: string, body: string, now: number): string | undefined {
  const signature = request.headers['x-hubspot-signature-v3'];
  const timestamp = request.headers['x-hubspot-request-timestamp'];
  if (typeof signature !== 'string' || typeof timestamp !== 'string' || !/^\d{1,15}$/.test(timestamp))
    return 'missing X-HubSpot-Signature-v3 or X-HubSpot-Request-Timestamp';
  if (Math.abs(now - Number(timestamp)) > WINDOW_MS) return 'the timestamp is more than 5 minutes away';
  const given = Buffer.from(signature, 'base64');
  // The URI HubSpot signed is the public one: behind a TLS proxy the scheme seen here is http.
  const host = request.headers.host ?? '';
  const matches = ['https', 'http'].map((scheme) => {
    const expected = Buffer.from(
      hubspotSignature(secret, request.method, `${scheme}://${host}${request.url}`, body, timestamp),
      'base64',
    );
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  return matches.some(Boolean) ? undefined : 'the signature does not match';
}

export function registerHubspot(app: FastifyInstance, deps: ConnectorDeps): void {
  app.post('/connectors/hubspot', async (request, reply) => {
    const { mapping, hubspot } = deps.settings;
    if (!mapping?.hubspot || !hubspot) return notFound(reply);
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const body = raw.toString('utf8');
    const refusal = verified(request, hubspot.clientSecret, body, deps.now());
    if (refusal) {
      request.log.warn({ connector: 'hubspot', reason: refusal }, 'refused HubSpot webhook');
      return reply.code(401).send({ error: 'Unauthorized', message: refusal });
    }
    let events: unknown;
    try {
      events = JSON.parse(body);
    } catch {
      return reply.code(400).send({ error: 'Bad Request', message: 'body is not JSON' });
    }
    if (!Array.isArray(events)) return reply.code(400).send({ error: 'Bad Request', message: 'expected a JSON array' });
    if (events.length > MAX_EVENTS)
      return reply.code(413).send({ error: 'Payload Too Large', message: `over ${MAX_EVENTS} events` });
    const ids = (events as unknown[]).flatMap((e) =>
      isObj(e) &&
      typeof e.subscriptionType === 'string' &&
      e.subscriptionType.startsWith('deal.') &&
      e.subscriptionType !== 'deal.deletion' &&
      (typeof e.objectId === 'number' || typeof e.objectId === 'string')
        ? [String(e.objectId)]
        : [],
    );
    if (ids.length === 0) return reply.code(204).send();
    try {
      const ctx = await contextFor(deps, mapping);
      let deals;
      try {
        deals = await fetchDeals(
          { apiUrl: hubspot.apiUrl, accessToken: hubspot.accessToken, ...(deps.fetch ? { fetch: deps.fetch } : {}) },
          ids,
          mapping.hubspot.partnerProperty,
        );
      } catch (error) {
        throw new Unavailable(`cannot fetch the deals from HubSpot: ${errorMessage(error)}`, { cause: error });
      }
      const outcomes = deals.map((d) => convertHubspotDeal(d, ctx));
      await deliver(deps, request, 'hubspot', 'crm', JSON.stringify(deals), outcomes, (_o, i) =>
        JSON.stringify(deals[i] ?? {}),
      );
    } catch (error) {
      return unavailable(reply, request, error);
    }
    return reply.code(204).send();
  });
}
