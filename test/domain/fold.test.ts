// domain/facts/fold.ts: folding valid events into facts (SPEC §3a rules 12–13, 16–17, §4).
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../domain/events/parse.ts';
import { FactFolder, programMinor, type FoldOutcome } from '../../domain/facts/fold.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { credit, day, envelope, invoice, partner, programSet, specProgram } from './fixtures.ts';

function folder(currency = 'USD') {
  const f = new FactFolder(currency);
  const add = (raw: unknown): FoldOutcome => {
    const result = validateEvent(raw, { currency, timezone: 'UTC' });
    if (!result.ok) throw new Error(result.reason);
    return f.add(result.event, result.raw);
  };
  return { f, add };
}

const dealEvt = (id: string, data: Record<string, unknown>) =>
  envelope(
    'crm',
    'deal.upserted',
    'P-1',
    {
      dealId: 'D-1',
      stage: 'closed_won',
      amount: '100.00',
      currency: 'USD',
      closedAt: '2026-03-01',
      version: 1,
      ...data,
    },
    id,
  );

describe('(source, id) claims (rule 17)', () => {
  it('the same event again, keys in another order → duplicate, applied once', () => {
    const { f, add } = folder();
    const first = dealEvt('e-1', {});
    const reordered = {
      partnerId: 'P-1',
      data: {
        version: 1,
        closedAt: '2026-03-01',
        currency: 'USD',
        amount: '100.00',
        stage: 'closed_won',
        dealId: 'D-1',
      },
      occurredAt: first.occurredAt,
      type: 'deal.upserted',
      source: 'crm',
      id: 'e-1',
    };
    expect(add(first)).toBe('accepted');
    expect(add(reordered)).toBe('duplicate');
    expect(f.facts('P-1').deals.size).toBe(1);
  });

  it('same id, different content → conflict, not applied', () => {
    const { f, add } = folder();
    expect(add(dealEvt('e-1', { amount: '100.00' }))).toBe('accepted');
    expect(add(dealEvt('e-1', { amount: '999.00', version: 2 }))).toBe('conflict');
    expect(f.facts('P-1').deals.get('D-1')?.amountMinor).toBe(10000n);
    expect(f.facts('P-1').deals.get('D-1')?.version).toBe(1);
  });

  it('the same id from another source is another event', () => {
    const { f, add } = folder();
    expect(
      add(
        envelope(
          'crm',
          'partner.upserted',
          'P-1',
          { name: 'A', partnerType: 'reseller', contacts: [], version: 1 },
          'x-1',
        ),
      ),
    ).toBe('accepted');
    expect(
      add(
        envelope(
          'erp',
          'invoice.booked',
          'P-1',
          { invoiceId: 'I-1', amount: '5.00', currency: 'USD', bookedAt: '2026-01-01', recurring: true },
          'x-1',
        ),
      ),
    ).toBe('accepted');
    expect(f.facts('P-1').invoices.size).toBe(1);
  });

  it('an invalid delivery does not claim its id: the corrected redelivery is applied', () => {
    const batch = new BatchEvaluation(programSet(specProgram()));
    batch.addObject(dealEvt('e-1', { amount: '5,000.00' }));
    batch.addObject(dealEvt('e-1', { amount: '5000.00' }));
    expect(batch.counts).toMatchObject({ invalid: 1, accepted: 1, conflict: 0, duplicate: 0 });
    expect(batch.folder.facts('P-1').deals.get('D-1')?.amountMinor).toBe(500000n);
    expect(batch.invalid).toEqual([{ line: 1, reason: expect.stringContaining('data.amount') }]);
  });

  it('an invalid event never stops the ones after it', () => {
    const batch = new BatchEvaluation(programSet(specProgram()));
    batch.addLine('not json');
    batch.addLine(JSON.stringify(dealEvt('e-2', {})));
    batch.addLine('');
    batch.addLine(JSON.stringify(dealEvt('e-2', {})));
    expect(batch.counts).toMatchObject({ invalid: 1, accepted: 1, duplicate: 1 });
    expect(batch.partnerIds()).toEqual(['P-1']);
  });
});

describe('deal versions (rule 12)', () => {
  it('out of order: the highest version wins, lower ones are stale', () => {
    const { f, add } = folder();
    expect(add(dealEvt('v3', { version: 3, amount: '300.00' }))).toBe('accepted');
    expect(add(dealEvt('v1', { version: 1, amount: '100.00' }))).toBe('stale');
    expect(add(dealEvt('v2', { version: 2, amount: '200.00' }))).toBe('stale');
    expect(f.facts('P-1').deals.get('D-1')).toMatchObject({ version: 3, amountMinor: 30000n, eventId: 'v3' });
    expect(add(dealEvt('v5', { version: 5, amount: '500.00', stage: 'closed_lost' }))).toBe('accepted');
    expect(f.facts('P-1').deals.get('D-1')).toMatchObject({ version: 5, stage: 'closed_lost', amountMinor: 50000n });
  });

  it('equal versions: the one received last wins', () => {
    const { f, add } = folder();
    expect(add(dealEvt('a', { version: 2, amount: '100.00' }))).toBe('accepted');
    expect(add(dealEvt('b', { version: 2, amount: '200.00' }))).toBe('accepted');
    expect(f.facts('P-1').deals.get('D-1')).toMatchObject({ amountMinor: 20000n, eventId: 'b' });
  });

  it('the latest state replaces every field (a later version without closedAt has none)', () => {
    const { f, add } = folder();
    add(dealEvt('a', { version: 1, customerId: 'C-1', registeredAt: '2026-01-01' }));
    add(dealEvt('b', { version: 2, stage: 'open', closedAt: undefined }));
    const d = f.facts('P-1').deals.get('D-1');
    expect(d?.closedAt).toBeUndefined();
    expect(d?.customerId).toBeUndefined();
    expect(d?.registeredAt).toBeUndefined();
  });

  it('deals are keyed per partner', () => {
    const { f, add } = folder();
    add(dealEvt('a', { version: 5 }));
    add({ ...dealEvt('b', { version: 1, amount: '1.00' }), partnerId: 'P-2' });
    expect(f.facts('P-2').deals.get('D-1')?.amountMinor).toBe(100n);
    expect(f.facts('P-1').deals.get('D-1')?.version).toBe(5);
  });

  it('partner.upserted: the highest version wins', () => {
    const { f, add } = folder();
    expect(add(partner('P-1', 'msp', { version: 3 }))).toBe('accepted');
    expect(add(partner('P-1', 'referral', { version: 2 }))).toBe('stale');
    expect(f.facts('P-1').profile?.partnerType).toBe('msp');
    expect(add(partner('P-1', 'referral', { version: 3 }))).toBe('accepted');
    expect(f.facts('P-1').profile?.partnerType).toBe('referral');
    expect(f.facts('P-1').profile?.status).toBe('active');
  });
});

describe('fx conversion stored in program minor units (rule 16)', () => {
  it('"100.00" EUR × "1.08425" → 108.42 USD (half-even), the rate kept', () => {
    const { f, add } = folder();
    add(dealEvt('e', { currency: 'EUR', amount: '100.00', fxRate: '1.08425' }));
    expect(f.facts('P-1').deals.get('D-1')).toMatchObject({
      amountMinor: 10842n,
      fxRate: '1.08425',
      currency: 'EUR',
      amount: '100.00',
    });
  });

  it('JPY (0 digits) → USD; USD → JPY program', () => {
    const usd = folder();
    usd.add(dealEvt('e', { currency: 'JPY', amount: '1234', fxRate: '0.00675' }));
    expect(usd.f.facts('P-1').deals.get('D-1')?.amountMinor).toBe(833n); // 8.3295 → 8.33
    const jpy = folder('JPY');
    jpy.add(dealEvt('e', { currency: 'USD', amount: '1.00', fxRate: '150.5' }));
    expect(jpy.f.facts('P-1').deals.get('D-1')?.amountMinor).toBe(150n); // 150.5 → 150
    jpy.add(dealEvt('f', { dealId: 'D-2', currency: 'USD', amount: '3.00', fxRate: '150.5' }));
    expect(jpy.f.facts('P-1').deals.get('D-2')?.amountMinor).toBe(452n); // 451.5 → 452
  });

  it('BHD (3 digits) → USD', () => {
    const { f, add } = folder();
    add(dealEvt('e', { currency: 'BHD', amount: '1.005', fxRate: '2.65' }));
    expect(f.facts('P-1').deals.get('D-1')?.amountMinor).toBe(266n); // 2.66325 → 2.66
  });

  it('an fxRate on a program-currency event is ignored', () => {
    const { f, add } = folder();
    add(dealEvt('e', { amount: '100.00', fxRate: '1.5' }));
    expect(f.facts('P-1').deals.get('D-1')).toMatchObject({ amountMinor: 10000n, fxRate: undefined });
  });

  it('invoices and credits convert at their own rates', () => {
    const { f, add } = folder();
    add(invoice('P-1', 'I-1', '100.00', '2026-11-02', true, { currency: 'EUR', fxRate: '1.10' }));
    add(credit('P-1', 'I-1', 'C-1', '100.00', '2026-11-10', { currency: 'EUR', fxRate: '1.20' }));
    const facts = f.facts('P-1');
    expect(facts.invoices.get('I-1')).toMatchObject({
      amountMinor: 11000n,
      fxRate: '1.10',
      bookedAt: day('2026-11-02'),
      recurring: true,
    });
    expect([...facts.credits.values()][0]).toMatchObject({
      amountMinor: 12000n,
      fxRate: '1.20',
      creditedAt: day('2026-11-10'),
    });
  });

  it('programMinor', () => {
    expect(programMinor('100.00', 'USD', undefined, 'USD')).toBe(10000n);
    expect(programMinor('100.00', 'EUR', '1.08435', 'USD')).toBe(10844n);
    expect(programMinor('0.01', 'EUR', '0.5', 'USD')).toBe(0n); // 0.005 → 0.00
    expect(programMinor('0.03', 'EUR', '0.5', 'USD')).toBe(2n); // 0.015 → 0.02
    expect(() => programMinor('1.00', 'EUR', undefined, 'USD')).toThrow();
  });
});

describe('other facts', () => {
  it('certifications, revocations, departures are recorded with their days', () => {
    const { f, add } = folder();
    add(
      envelope('lms', 'certification.earned', 'P-1', {
        personId: 'u1',
        certificationId: 'sales-expert',
        earnedAt: '2026-01-10',
        expiresAt: '2027-01-10',
      }),
    );
    add(
      envelope('lms', 'certification.revoked', 'P-1', {
        personId: 'u1',
        certificationId: 'sales-expert',
        revokedAt: '2026-03-01',
      }),
    );
    add(envelope('lms', 'person.departed', 'P-1', { personId: 'u1', departedAt: '2026-04-01' }));
    const facts = f.facts('P-1');
    expect(facts.certifications).toMatchObject([
      { personId: 'u1', earnedAt: day('2026-01-10'), expiresAt: day('2027-01-10') },
    ]);
    expect(facts.revocations).toMatchObject([{ revokedAt: day('2026-03-01') }]);
    expect(facts.departures).toMatchObject([{ departedAt: day('2026-04-01') }]);
  });
});
