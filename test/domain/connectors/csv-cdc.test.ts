import { describe, expect, it } from 'vitest';
import { convertCsv } from '../../../domain/connectors/csv-events.ts';
import { applyChangeEvent, type RecordState } from '../../../domain/connectors/salesforce-cdc.ts';
import { parseRatesCsv } from '../../../domain/connectors/fx.ts';
import { CTX } from './fixtures.ts';

describe('csv:TYPE', () => {
  const text = [
    'partnerId,dealId,stage,amount,currency,closedAt,version',
    '0015g00000PrT7kAAB,D-1,closed_won,"48,250.00",USD,2026-11-20,3',
    'P-2,D-2,closed_won,100.00,EUR,2026-11-20,1',
    ',D-3,open,1.00,USD,,1',
    '',
  ].join('\r\n');

  it('one event per row; ids stable; foreign amounts wait for a rate', () => {
    const outcomes = convertCsv(text, 'deal.upserted', CTX);
    expect(outcomes).toHaveLength(3);
    expect(outcomes[0]).toMatchObject({
      kind: 'event',
      ref: '2',
      event: {
        source: 'crm',
        type: 'deal.upserted',
        partnerId: 'P-1042',
        occurredAt: '2026-11-20T00:00:00Z',
        data: { dealId: 'D-1', amount: '48,250.00', version: 3 },
      },
    });
    expect(outcomes[1]).toMatchObject({ fx: { currency: 'EUR', day: '2026-11-20' } });
    expect(outcomes[2]).toEqual({ kind: 'problem', ref: '4', reason: 'no partnerId' });
    expect(convertCsv(text, 'deal.upserted', CTX)).toEqual(outcomes);
  });

  it.each([
    [
      'partnerId,invoiceId,amount,currency,bookedAt,recurring\nP-1,I-1,5.00,USD,2026-01-01,TRUE\n',
      'invoice.booked',
      { kind: 'event', event: { source: 'erp', data: { recurring: true } } },
    ],
    ['dealId\nD-1\n', 'deal.upserted', { kind: 'problem', reason: 'the header has no partnerId column' }],
    ['partnerId\nP\n', 'deal.exploded', { kind: 'problem' }],
    [
      'id,partnerId,personId,certificationId,earnedAt\nmy-1,P,x,c,2026-01-01\n',
      'certification.earned',
      { event: { id: 'my-1' } },
    ],
  ])('%#', (csv, type, expected) => {
    expect(convertCsv(csv, type, CTX)[0]).toMatchObject(expected);
  });
});

describe('salesforce-cdc', () => {
  const header = (changeType: string, changedFields: string[] = []) => ({
    entityName: 'Opportunity',
    recordIds: ['006A'],
    changeType,
    changedFields,
    commitTimestamp: 1795183391000,
  });
  const create = {
    id: 'e1',
    schemaId: 's',
    replayId: 1,
    payload: {
      ChangeEventHeader: header('CREATE'),
      Name: 'Deal',
      Amount: 48250,
      CurrencyIsoCode: 'USD',
      PartnerAccountId: 'P-1',
      IsWon: false,
      IsClosed: false,
      CloseDate: 1797292800000,
      LastModifiedDate: 1795183391000,
    },
  };
  const update = {
    id: 'e2',
    replayId: 2,
    payload: {
      ChangeEventHeader: header('UPDATE', ['IsWon', 'IsClosed', 'LastModifiedDate']),
      Name: null,
      Amount: null,
      IsWon: true,
      IsClosed: true,
      LastModifiedDate: 1795269791000,
    },
  };

  it('CREATE then UPDATE merge onto the last known state', () => {
    const states = new Map<string, RecordState | undefined>();
    const first = applyChangeEvent(create, (id) => states.get(id), CTX);
    first.states.forEach((s, id) => states.set(id, s));
    expect(first.outcomes[0]).toMatchObject({ event: { data: { stage: 'open', amount: '48250.00' } } });
    const second = applyChangeEvent(update, (id) => states.get(id), CTX);
    expect(second.outcomes[0]).toMatchObject({
      event: {
        id: 'salesforce-006A-1795269791000',
        data: { stage: 'closed_won', amount: '48250.00', closedAt: '2026-12-15', version: 1795269791000 },
      },
    });
  });

  it('an UPDATE of an unknown record and GAP events need a fetch', () => {
    expect(applyChangeEvent(update, () => undefined, CTX).outcomes[0]).toMatchObject({
      kind: 'problem',
      reason: 'an update of a record with no known state: needs a fetch of 006A',
    });
    const gap = { ...update, payload: { ChangeEventHeader: header('GAP_UPDATE') } };
    expect(applyChangeEvent(gap, () => undefined, CTX).outcomes[0]).toMatchObject({
      kind: 'problem',
      reason: 'GAP_UPDATE: needs a fetch of 006A',
    });
  });
});

describe('rates file', () => {
  it('reads date,currency,rate and names bad lines', () => {
    const parsed = parseRatesCsv(
      'date,currency,rate\n2026-11-19,eur,1.0842\n2026-11-20,EUR,-1\nx,EUR,1\n2026-11-20,ZZZ,1\n',
    );
    expect(parsed.rates).toEqual([{ day: '2026-11-19', currency: 'EUR', rate: '1.0842' }]);
    expect(parsed.problems).toEqual([
      '3: rate "-1" is not a positive decimal',
      '4: date "x" is not YYYY-MM-DD',
      '5: currency "ZZZ" is not an ISO 4217 code',
    ]);
  });
});
