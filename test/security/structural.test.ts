// What the event validator refuses before any schema (domain/events/parse.ts): nesting deeper
// than MAX_EVENT_DEPTH, NUL characters and lone surrogates, in values and keys, known fields
// or not. Each would otherwise reach code that cannot take it (recursive canonical JSON and
// JSON.stringify overflow the stack; Postgres text and jsonb refuse NUL and lone surrogates,
// failing the whole batch's transaction).
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_DEPTH, structuralProblem, validateEvent } from '../../domain/events/parse.ts';

/** `depth` arrays, one inside the other, around a number. */
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const ctx = { currency: 'USD', timezone: 'UTC' };
const deal = (data: Record<string, unknown> = {}) => ({
  id: 'e-1',
  source: 'crm',
  type: 'deal.upserted',
  occurredAt: '2026-11-20T10:00:00Z',
  partnerId: 'P-1',
  data: { dealId: 'D-1', stage: 'open', amount: '1.00', currency: 'USD', version: 1, ...data },
});

describe('structural problems of an event', () => {
  it('allows nesting up to the limit and refuses one level more, at any depth without recursion', () => {
    expect(structuralProblem(nested(MAX_EVENT_DEPTH))).toBeUndefined();
    expect(structuralProblem(nested(MAX_EVENT_DEPTH + 1))).toBe(
      `event is nested more than ${MAX_EVENT_DEPTH} levels deep`,
    );
    expect(structuralProblem(nested(1_000_000))).toMatch(/nested more than/);
  });

  it('names the field holding a NUL or a lone surrogate, and keys too', () => {
    expect(structuralProblem(deal({ customerId: 'a\u0000b' }))).toBe(
      'data.customerId: contains a NUL character (\\u0000), which cannot be stored',
    );
    expect(structuralProblem({ data: { contacts: [{ name: 'x' }, { name: 'y\udc00' }] } })).toBe(
      'data.contacts[1].name: contains a lone UTF-16 surrogate, which is not Unicode text',
    );
    expect(structuralProblem({ data: { 'k\u0000': 1 } })).toMatch(/^data: a key contains a NUL/);
    expect(structuralProblem({ note: 'emoji \ud83d\ude00 is a whole pair' })).toBeUndefined();
  });

  it('dead-letters such events before the schema, and validates the rest as before', () => {
    expect(validateEvent(deal({ note: nested(100) }), ctx)).toMatchObject({ ok: false, reason: /nested more than/ });
    expect(validateEvent(deal({ note: 'NUL \u0000' }), ctx)).toMatchObject({
      ok: false,
      reason: /^data\.note: contains a NUL/,
    });
    expect(validateEvent(deal({ note: nested(10) }), ctx).ok).toBe(true);
  });
});
