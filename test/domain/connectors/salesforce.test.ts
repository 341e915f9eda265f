import { describe, expect, it } from 'vitest';
import { applyFx, fxTable } from '../../../domain/connectors/fx.ts';
import { convertOpportunity } from '../../../domain/connectors/opportunity.ts';
import {
  convertOutboundMessage,
  MAX_NOTIFICATIONS,
  parseOutboundMessage,
} from '../../../domain/connectors/salesforce-outbound.ts';
import { CTX, fixture } from './fixtures.ts';

describe('salesforce-outbound', () => {
  it('reads the WSDL-shaped notifications message', () => {
    const parsed = parseOutboundMessage(fixture('outbound-message.xml'));
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.organizationId).toBe('00D5g000004XyzQEAS');
    expect(parsed.value.notifications).toHaveLength(3);
    expect(parsed.value.notifications[0]?.fields.Name).toBe('Acme & Co renewal');
    expect(parsed.value.notifications[2]?.fields.PartnerAccountId).toBeUndefined();
    const outcomes = convertOutboundMessage(parsed.value, CTX);
    expect(outcomes[0]).toEqual({
      kind: 'event',
      ref: 'Notification 04l5g00000AbCdEAAV',
      fx: { currency: 'EUR', day: '2026-11-20' },
      event: {
        id: 'salesforce-0065g00000XyZ1aAAF-1795183391000',
        source: 'crm',
        type: 'deal.upserted',
        occurredAt: '2026-11-20T14:03:11.000Z',
        partnerId: 'P-1042',
        data: {
          dealId: '0065g00000XyZ1aAAF',
          stage: 'closed_won',
          amount: '48250.00',
          currency: 'EUR',
          customerId: '0015g00000Cust01AAA',
          registeredAt: '2026-08-02',
          closedAt: '2026-11-20',
          version: 1795183391000,
        },
      },
    });
    // 1.2E7 (how a double is written past 10^7) is exact; defaultCurrency USD needs no rate.
    expect(outcomes[1]).toMatchObject({
      kind: 'event',
      event: { partnerId: '0015g00000Other9AAA', data: { stage: 'open', amount: '12000000.00', currency: 'USD' } },
    });
    expect(outcomes[1]).not.toHaveProperty('fx');
    expect(outcomes[2]).toEqual({
      kind: 'skipped',
      ref: 'Notification 04l5g00000AbCdGAAV',
      reason: 'Opportunity 0065g00000XyZ3aAAF has no PartnerAccountId',
    });
  });

  const base = {
    Id: '006A',
    PartnerAccountId: 'acc',
    Amount: '10.5',
    IsWon: 'false',
    IsClosed: 'false',
    LastModifiedDate: '2026-01-02T03:04:05Z',
    CurrencyIsoCode: 'USD',
  };
  it.each([
    [{}, { kind: 'event', event: { data: { stage: 'open', amount: '10.50' } } }],
    [
      { IsClosed: 'true', CloseDate: '2026-02-01' },
      { kind: 'event', event: { data: { stage: 'closed_lost', closedAt: '2026-02-01' } } },
    ],
    [{ Amount: undefined }, { kind: 'problem', reason: 'Opportunity 006A has no Amount' }],
    [
      { Amount: '10.555' },
      { kind: 'problem', reason: 'Opportunity 006A: Amount 10.555 has more decimals than USD allows (2)' },
    ],
    [{ Amount: '1e-3' }, { kind: 'problem' }],
    [{ Amount: '-5' }, { kind: 'problem', reason: 'Opportunity 006A: Amount "-5" is not a non-negative decimal' }],
    [
      { CurrencyIsoCode: 'JPY', Amount: '5000.0' },
      { kind: 'event', event: { data: { amount: '5000' } }, fx: { currency: 'JPY', day: '2026-01-01' } },
    ],
    [{ CurrencyIsoCode: 'XXY' }, { kind: 'problem', reason: 'unknown currency "XXY"' }],
    [{ LastModifiedDate: 'yesterday' }, { kind: 'problem' }],
    [{ PartnerAccountId: undefined }, { kind: 'skipped' }],
  ])('Opportunity %j', (change, expected) => {
    expect(convertOpportunity({ ...base, ...change }, CTX, 'r')).toMatchObject(expected);
  });

  it('a foreign amount takes the latest rate on or before its business date, or is a problem', () => {
    const parsed = parseOutboundMessage(fixture('outbound-message.xml'));
    if (!parsed.ok) throw new Error(parsed.reason);
    const [won] = convertOutboundMessage(parsed.value, CTX);
    const rates = fxTable([
      { day: '2026-11-19', currency: 'EUR', rate: '1.0842' },
      { day: '2026-11-23', currency: 'EUR', rate: '1.1' },
    ]);
    expect(applyFx(won!, rates)).toMatchObject({ kind: 'event', event: { data: { fxRate: '1.0842' } } });
    expect(applyFx(won!, fxTable([]))).toEqual({
      kind: 'problem',
      ref: 'Notification 04l5g00000AbCdEAAV',
      reason: 'no FX rate for EUR on or before 2026-11-20',
    });
  });

  it.each([
    ['<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', 'a DTD or entity declaration is not allowed'],
    [
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>',
      'a DTD',
    ],
    ['not xml at all', 'not well-formed XML'],
    ['<a><b></a>', 'not well-formed XML'],
    ['{"json": true}', 'not well-formed XML'],
    ['<a><b/></a>', 'not a SOAP Outbound Message'],
  ])('refuses %s', (xml, reason) => {
    const parsed = parseOutboundMessage(xml);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it(`refuses more than ${MAX_NOTIFICATIONS} Notifications`, () => {
    const one = fixture('outbound-message.xml').match(/<Notification>[\s\S]*?<\/Notification>/)?.[0] ?? '';
    const xml = fixture('outbound-message.xml').replace(one, one.repeat(MAX_NOTIFICATIONS + 1));
    const parsed = parseOutboundMessage(xml);
    expect(parsed.ok).toBe(false);
  });
});
