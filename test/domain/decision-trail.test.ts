// Issue 21 item 5: which decisions are still part of the current effective history, and
// which triggers could have changed a decision's day.
import { describe, expect, it } from 'vitest';
import { earliestAffectedDay, supersession, triggersOf } from '../../domain/decision-trail.ts';

const T0 = '2026-11-20T10:00:00.000Z';
const T1 = '2026-11-21T10:00:00.000Z';
const row = (validFrom: string, validTo: string | null, tierId: string | null, recordedAt = T1) => ({
  validFrom,
  validTo,
  tierId,
  recordedAt,
});
// The history after a late correction: silver from 2026-04-01.
const current = [row('2026-01-10', '2026-04-01', 'registered'), row('2026-04-01', null, 'silver')];

describe('supersession', () => {
  it.each([
    { day: '2026-04-01', from: 'registered', to: 'silver', superseded: false, why: 'the history still changes then' },
    { day: '2026-05-01', from: 'registered', to: 'silver', superseded: true, why: 'silver already the day before' },
    { day: '2026-08-29', from: 'silver', to: 'registered', superseded: true, why: 'still silver that day' },
    { day: '2026-01-10', from: null, to: 'registered', superseded: false, why: 'the first day of the history' },
  ])('$why', ({ day, from, to, superseded }) => {
    const s = supersession({ day, previousTier: from, newTier: to, recordedAt: T0 }, current);
    expect(s.superseded).toBe(superseded);
    expect(s.supersededAt).toBe(superseded ? T1 : null);
  });
});

describe('triggers of a decision', () => {
  const deal = (closedAt: string, registeredAt?: string) => ({
    type: 'deal.upserted',
    data: { dealId: 'D1', closedAt, ...(registeredAt ? { registeredAt } : {}) },
  });
  it('dates each kind of event, a deal by every version it had', () => {
    expect(earliestAffectedDay({ type: 'person.departed', data: { departedAt: '2026-06-01' } }, [])).toBe('2026-06-01');
    expect(earliestAffectedDay({ type: 'partner.upserted', data: {} }, [])).toBeNull();
    // Version 2 moved the deal to December: it changed March too.
    expect(earliestAffectedDay(deal('2026-12-01'), [deal('2026-03-01'), deal('2026-12-01')])).toBe('2026-03-01');
    expect(earliestAffectedDay(deal('2026-12-01', '2026-02-01'), [])).toBe('2026-02-01');
    expect(
      earliestAffectedDay({ type: 'invoice.booked', data: { invoiceId: 'I1', bookedAt: '2026-09-01' } }, [
        { type: 'invoice.credited', data: { invoiceId: 'I1', creditedAt: '2026-07-01' } },
      ]),
    ).toBe('2026-07-01');
  });

  it('keeps events on or before the day, undated ones and non-events; drops later ones', () => {
    const affected = new Map<string, string | null>([
      ['crm:p-1', null],
      ['lms:c-2', '2026-05-01'],
      ['lms:x-1', '2026-06-01'],
    ]);
    expect(triggersOf('2026-05-01', ['crm:p-1', 'lms:c-2', 'lms:x-1', 'override:7'], affected)).toEqual([
      'crm:p-1',
      'lms:c-2',
      'override:7',
    ]);
  });
});
