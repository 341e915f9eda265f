// POST /connectors/salesforce?token=… (SPEC §13): Salesforce Outbound Messages. They cannot
// sign, so the request must carry the secret token in its URL and the mapping's organization
// id in its body. The SOAP <Ack>true</Ack> is sent only once the events are queued: anything
// else makes Salesforce deliver the message again (the event ids make that harmless).
import type { FastifyInstance } from 'fastify';
import {
  convertOutboundMessage,
  OUTBOUND_ACK,
  parseOutboundMessage,
} from '../../../domain/connectors/salesforce-outbound.ts';
import { contextFor, deliver, notFound, sameSecret, unavailable, type ConnectorDeps } from './common.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

export function registerSalesforce(app: FastifyInstance, deps: ConnectorDeps): void {
  app.post('/connectors/salesforce', async (request, reply) => {
    const { mapping, salesforceToken } = deps.settings;
    const sf = mapping?.salesforce;
    if (!mapping || !sf || !salesforceToken) return notFound(reply);
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string' || !sameSecret(token, salesforceToken)) {
      request.log.warn({ connector: 'salesforce' }, 'refused: wrong or missing token');
      return reply.code(401).send({ error: 'Unauthorized', message: 'wrong or missing token' });
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    let xml: string;
    try {
      xml = decoder.decode(raw);
    } catch {
      return reply.code(400).send({ error: 'Bad Request', message: 'body is not valid UTF-8' });
    }
    const parsed = parseOutboundMessage(xml);
    if (!parsed.ok) {
      request.log.warn({ connector: 'salesforce', reason: parsed.reason }, 'refused Outbound Message');
      return reply.code(400).send({ error: 'Bad Request', message: parsed.reason });
    }
    if (parsed.value.organizationId !== sf.organizationId) {
      request.log.warn({ connector: 'salesforce', org: parsed.value.organizationId }, 'refused: another org');
      return reply.code(403).send({ error: 'Forbidden', message: 'this organization is not the mapping’s' });
    }
    try {
      const ctx = await contextFor(deps, mapping);
      const outcomes = convertOutboundMessage(parsed.value, ctx);
      await deliver(deps, request, 'salesforce', 'crm', raw, outcomes, (_o, i) =>
        JSON.stringify(parsed.value.notifications[i] ?? {}),
      );
    } catch (error) {
      return unavailable(reply, request, error);
    }
    return reply.code(200).header('content-type', 'text/xml; charset=utf-8').send(OUTBOUND_ACK);
  });
}
