// POST /connectors/stripe (SPEC §13): Stripe webhooks, verified by the `stripe` package's
// webhooks.constructEvent over the raw body (Stripe-Signature, 5-minute tolerance). A
// credit note names only its invoice: the invoice's partner is remembered when it is booked.
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import type { Outcome } from '../../../domain/connectors/outcome.ts';
import { convertStripeEvent } from '../../../domain/connectors/stripe.ts';
import { errorMessage } from '../../../lib/errors.ts';
import { recall, remember } from '../../../services/connectors/records.ts';
import { contextFor, deliver, notFound, unavailable, type ConnectorDeps } from './common.ts';

const TOLERANCE_SECONDS = 300;
const INVOICE_PARTNERS = 'stripe-invoice';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function creditedInvoice(event: unknown): string | undefined {
  if (!isObj(event) || event.type !== 'credit_note.created' || !isObj(event.data) || !isObj(event.data.object))
    return undefined;
  const invoice = event.data.object.invoice;
  return typeof invoice === 'string'
    ? invoice
    : isObj(invoice) && typeof invoice.id === 'string'
      ? invoice.id
      : undefined;
}

export function registerStripe(app: FastifyInstance, deps: ConnectorDeps): void {
  app.post('/connectors/stripe', async (request, reply) => {
    const { mapping, stripeSecret } = deps.settings;
    if (!mapping?.stripe || !stripeSecret) return notFound(reply);
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const header = request.headers['stripe-signature'];
    let event: unknown;
    try {
      if (typeof header !== 'string') throw new Error('no Stripe-Signature header');
      event = Stripe.webhooks.constructEvent(raw, header, stripeSecret, TOLERANCE_SECONDS, undefined, deps.now());
    } catch (error) {
      request.log.warn({ connector: 'stripe', reason: errorMessage(error) }, 'refused Stripe webhook');
      return reply.code(400).send({ error: 'Bad Request', message: 'signature verification failed' });
    }
    try {
      const ctx = await contextFor(deps, mapping);
      const invoiceId = creditedInvoice(event);
      const known = invoiceId ? await recall(deps.db, INVOICE_PARTNERS, [invoiceId]) : new Map<string, unknown>();
      const outcome: Outcome = convertStripeEvent(event, ctx, (id) => {
        const state = known.get(id);
        return isObj(state) && typeof state.partnerId === 'string' ? state.partnerId : undefined;
      });
      if (outcome.kind === 'event' && outcome.event.type === 'invoice.booked')
        await remember(deps.db, INVOICE_PARTNERS, [
          { id: String(outcome.event.data.invoiceId), state: { partnerId: outcome.event.partnerId } },
        ]);
      const delivered = await deliver(deps, request, 'stripe', 'erp', raw, [outcome], () => raw.toString('utf8'));
      return reply.code(200).send({
        received: true,
        accepted: delivered.accepted,
        skipped: delivered.skipped,
        deadLettered: delivered.deadLettered,
      });
    } catch (error) {
      return unavailable(reply, request, error);
    }
  });
}
