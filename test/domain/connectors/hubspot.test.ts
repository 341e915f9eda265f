import { describe, expect, it } from 'vitest';
import { convertHubspotDeal } from '../../../domain/connectors/hubspot.ts';
import { CTX } from './fixtures.ts';

// A CRM v3 deal as GET /crm/v3/objects/deals/{id}?associations=companies returns it.
export const hubspotDeal = (properties: Record<string, string | null> = {}) => ({
  id: '9876543210',
  properties: {
    amount: '48250',
    closedate: '2026-11-21T03:30:00.000Z',
    createdate: '2026-08-02T10:00:00.000Z',
    dealname: 'Acme renewal',
    dealstage: 'closedwon',
    deal_currency_code: 'USD',
    hs_is_closed: 'true',
    hs_is_closed_won: 'true',
    hs_lastmodifieddate: '2026-11-21T03:31:00.000Z',
    hs_object_id: '9876543210',
    tierline_partner_id: 'P-1042',
    ...properties,
  },
  associations: { companies: { results: [{ id: '5550001', type: 'deal_to_company' }] } },
  createdAt: '2026-08-02T10:00:00.000Z',
  updatedAt: '2026-11-21T03:31:00.000Z',
  archived: false,
});

describe('hubspot-deal', () => {
  it('a closed-won deal; closedate taken in the program’s timezone', () => {
    expect(convertHubspotDeal(hubspotDeal(), CTX)).toEqual({
      kind: 'event',
      ref: 'deal 9876543210',
      event: {
        id: 'hubspot-9876543210-1795231860000',
        source: 'crm',
        type: 'deal.upserted',
        occurredAt: '2026-11-21T03:31:00.000Z',
        partnerId: 'P-1042',
        data: {
          dealId: '9876543210',
          stage: 'closed_won',
          amount: '48250.00',
          currency: 'USD',
          customerId: '5550001',
          closedAt: '2026-11-20',
          version: 1795231860000,
        },
      },
    });
  });

  it.each([
    [
      { hs_is_closed_won: 'false', dealstage: 'closedlost' },
      { event: { data: { stage: 'closed_lost', closedAt: '2026-11-20' } } },
    ],
    [
      { hs_is_closed_won: 'false', hs_is_closed: 'false', dealstage: 'appointmentscheduled' },
      { event: { data: { stage: 'open' } } },
    ],
    [{ amount: '48250.5' }, { event: { data: { amount: '48250.50' } } }],
    [{ amount: null }, { kind: 'problem', reason: 'deal 9876543210 has no amount' }],
    [{ amount: '48,250' }, { kind: 'problem' }],
    [{ deal_currency_code: null }, { event: { data: { currency: 'USD' } } }],
    [{ deal_currency_code: 'EUR' }, { fx: { currency: 'EUR', day: '2026-11-20' } }],
    [{ tierline_partner_id: null }, { kind: 'skipped', reason: 'deal 9876543210 has no tierline_partner_id' }],
    [{ tierline_partner_id: '  ' }, { kind: 'skipped' }],
    [{ hs_lastmodifieddate: '1795231860000' }, { event: { data: { version: 1795231860000 } } }],
  ])('%j', (props, expected) => {
    expect(convertHubspotDeal(hubspotDeal(props), CTX)).toMatchObject(expected);
  });

  it('not a deal object is a problem', () => {
    expect(convertHubspotDeal({ id: 1 }, CTX)).toMatchObject({ kind: 'problem' });
  });
});
