// Stripe events (SPEC §13): `invoice.paid` → invoice.booked, `credit_note.created` →
// invoice.credited. Amounts are integer minor units; timestamps unix seconds.
import { isoInstant } from './instants.ts';
import { formatDay } from '../dates.ts';
import { dayInZone } from '../timestamps.ts';
import { stripeAmount } from './amounts.ts';
import { partnerFor } from './mapping.ts';
import { converted, ConvertProblem, problem, skipped, type ConvertContext, type Outcome } from './outcome.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The partner an earlier invoice was booked for (credit notes name only the invoice). */
export type InvoicePartner = (invoiceId: string) => string | undefined;

function unixDay(value: unknown, field: string, timezone: string): { day: string; iso: string } {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
    throw new ConvertProblem(`${field} ${JSON.stringify(value)} is not a unix timestamp`);
  return { day: formatDay(dayInZone(value * 1000, timezone)), iso: isoInstant(value * 1000) };
}

function currencyOf(value: unknown): string {
  const c = str(value);
  if (!c) throw new ConvertProblem('no currency');
  return c.toUpperCase();
}

export function convertStripeEvent(event: unknown, ctx: ConvertContext, invoicePartner: InvoicePartner): Outcome {
  const ref = isObj(event) && str(event.id) ? `event ${str(event.id)}` : 'event';
  const key = ctx.mapping.stripe?.partnerMetadataKey;
  if (!key) return problem(ref, 'the mapping has no stripe section');
  if (!isObj(event) || !isObj(event.data) || !isObj(event.data.object))
    return problem(ref, 'not a Stripe event (no data.object)');
  const object = event.data.object;
  try {
    if (event.type === 'invoice.paid') return invoicePaid(object, key, ref, ctx);
    if (event.type === 'credit_note.created') return creditNote(object, key, ref, ctx, invoicePartner);
    return skipped(ref, `event type ${JSON.stringify(event.type)} is not converted`);
  } catch (error) {
    if (error instanceof ConvertProblem) return problem(ref, error.message);
    throw error;
  }
}

function metadataPartner(object: Obj, key: string): string | undefined {
  return isObj(object.metadata) ? str(object.metadata[key]) : undefined;
}

function invoicePaid(invoice: Obj, key: string, ref: string, ctx: ConvertContext): Outcome {
  const id = str(invoice.id);
  if (!id) throw new ConvertProblem('the invoice has no id');
  const account = metadataPartner(invoice, key);
  if (!account) return skipped(ref, `invoice ${id} has no metadata.${key}`);
  const currency = currencyOf(invoice.currency);
  const amount = stripeAmount(invoice.amount_paid, currency, `invoice ${id}: amount_paid`);
  const transitions = isObj(invoice.status_transitions) ? invoice.status_transitions : {};
  const paid = unixDay(transitions.paid_at, `invoice ${id}: status_transitions.paid_at`, ctx.timezone);
  const reason = str(invoice.billing_reason) ?? '';
  const out = {
    id: `stripe-${id}`,
    source: 'erp' as const,
    type: 'invoice.booked',
    occurredAt: paid.iso,
    partnerId: partnerFor(ctx.mapping, account),
    data: { invoiceId: id, amount, currency, bookedAt: paid.day, recurring: reason.startsWith('subscription') },
  };
  return converted(ref, out, currency, paid.day, ctx);
}

function creditNote(note: Obj, key: string, ref: string, ctx: ConvertContext, invoicePartner: InvoicePartner): Outcome {
  const id = str(note.id);
  if (!id) throw new ConvertProblem('the credit note has no id');
  const invoice = note.invoice;
  const invoiceId = isObj(invoice) ? str(invoice.id) : str(invoice);
  if (!invoiceId) throw new ConvertProblem(`credit note ${id} names no invoice`);
  const account =
    (isObj(invoice) ? metadataPartner(invoice, key) : undefined) ?? metadataPartner(note, key) ?? undefined;
  const partnerId = account ? partnerFor(ctx.mapping, account) : invoicePartner(invoiceId);
  if (!partnerId) return skipped(ref, `credit note ${id}: invoice ${invoiceId} is not a partner's invoice`);
  const currency = currencyOf(note.currency);
  const amount = stripeAmount(note.total, currency, `credit note ${id}: total`);
  const effective = unixDay(note.effective_at ?? note.created, `credit note ${id}: effective_at`, ctx.timezone);
  const out = {
    id: `stripe-${id}`,
    source: 'erp' as const,
    type: 'invoice.credited',
    occurredAt: effective.iso,
    partnerId,
    data: { invoiceId, creditId: id, amount, currency, creditedAt: effective.day },
  };
  return converted(ref, out, currency, effective.day, ctx);
}
