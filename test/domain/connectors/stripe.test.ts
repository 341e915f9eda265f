import { describe, expect, it } from 'vitest';
import { stripeAmount } from '../../../domain/connectors/amounts.ts';
import { convertStripeEvent } from '../../../domain/connectors/stripe.ts';
import { CTX } from './fixtures.ts';

// Shapes from Stripe's API reference (Event, Invoice, Credit Note objects), trimmed.
export const invoicePaid = (over: Record<string, unknown> = {}) => ({
  id: 'evt_1QabcInvoicePaid',
  object: 'event',
  type: 'invoice.paid',
  api_version: '2024-06-20',
  created: 1795183391,
  data: {
    object: {
      id: 'in_1QabcInvoice',
      object: 'invoice',
      amount_paid: 482500,
      currency: 'eur',
      billing_reason: 'subscription_cycle',
      metadata: { partner_id: '0015g00000PrT7kAAB' },
      status: 'paid',
      status_transitions: { finalized_at: 1795100000, paid_at: 1795183391 },
      ...over,
    },
  },
});

const creditNote = (over: Record<string, unknown> = {}) => ({
  id: 'evt_1QabcCredit',
  object: 'event',
  type: 'credit_note.created',
  data: {
    object: {
      id: 'cn_1QabcCredit',
      object: 'credit_note',
      currency: 'eur',
      total: 50000,
      effective_at: 1795800000,
      invoice: 'in_1QabcInvoice',
      metadata: {},
      ...over,
    },
  },
});

const known = (id: string) => (id === 'in_1QabcInvoice' ? 'P-1042' : undefined);

describe('stripe', () => {
  it('invoice.paid → invoice.booked', () => {
    expect(convertStripeEvent(invoicePaid(), CTX, known)).toEqual({
      kind: 'event',
      ref: 'event evt_1QabcInvoicePaid',
      fx: { currency: 'EUR', day: '2026-11-20' },
      event: {
        id: 'stripe-in_1QabcInvoice',
        source: 'erp',
        type: 'invoice.booked',
        occurredAt: '2026-11-20T14:03:11.000Z',
        partnerId: 'P-1042',
        data: {
          invoiceId: 'in_1QabcInvoice',
          amount: '4825.00',
          currency: 'EUR',
          bookedAt: '2026-11-20',
          recurring: true,
        },
      },
    });
  });

  it('credit_note.created → invoice.credited for the credited invoice’s partner', () => {
    expect(convertStripeEvent(creditNote(), CTX, known)).toMatchObject({
      kind: 'event',
      event: {
        id: 'stripe-cn_1QabcCredit',
        type: 'invoice.credited',
        partnerId: 'P-1042',
        data: { invoiceId: 'in_1QabcInvoice', creditId: 'cn_1QabcCredit', amount: '500.00', creditedAt: '2026-11-27' },
      },
    });
  });

  it.each([
    [invoicePaid({ billing_reason: 'manual' }), { kind: 'event', event: { data: { recurring: false } } }],
    [invoicePaid({ metadata: {} }), { kind: 'skipped', reason: 'invoice in_1QabcInvoice has no metadata.partner_id' }],
    [invoicePaid({ amount_paid: 4825.5 }), { kind: 'problem' }],
    [invoicePaid({ amount_paid: -1 }), { kind: 'problem' }],
    [invoicePaid({ currency: 'jpy', amount_paid: 5000 }), { kind: 'event', event: { data: { amount: '5000' } } }],
    [invoicePaid({ currency: 'usd' }), { kind: 'event', event: { data: { amount: '4825.00', currency: 'USD' } } }],
    [invoicePaid({ currency: 'zzz' }), { kind: 'problem', reason: 'unknown currency "ZZZ"' }],
    [invoicePaid({ status_transitions: {} }), { kind: 'problem' }],
    [creditNote({ invoice: 'in_unknown' }), { kind: 'skipped' }],
    [
      creditNote({ invoice: { id: 'in_x', metadata: { partner_id: 'P-7' } } }),
      { kind: 'event', event: { partnerId: 'P-7' } },
    ],
    [{ ...invoicePaid(), type: 'customer.created' }, { kind: 'skipped' }],
    [
      { id: 'evt', type: 'invoice.paid' },
      { kind: 'problem', reason: 'not a Stripe event (no data.object)' },
    ],
    ['not an object', { kind: 'problem' }],
  ])('%#', (event, expected) => {
    expect(convertStripeEvent(event, CTX, known)).toMatchObject(expected);
  });

  it.each([
    [482500, 'EUR', '4825.00'],
    [5000, 'JPY', '5000'],
    [12345, 'KWD', '12.345'],
    [100000, 'ISK', '1000'],
    ['9007199254740993', 'USD', '90071992547409.93'],
  ])('stripeAmount(%j, %s) = %s', (value, currency, expected) => {
    expect(stripeAmount(value, currency, 'amount')).toBe(expected);
  });
});
