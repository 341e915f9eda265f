// domain/events/parse.ts: event validation, one row per case of SPEC §3a rule 17 (and §4).
import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, parseEventLine, validateEvent, type EventResult } from '../../domain/events/parse.ts';
import type { EventContext } from '../../domain/events/schema.ts';

const ctx: EventContext = { currency: 'USD', timezone: 'UTC' };

type Json = Record<string, unknown>;

const base = (type: string, source: string, data: Json): Json => ({
  id: 'evt-1',
  source,
  type,
  occurredAt: '2026-11-20T14:03:11Z',
  partnerId: 'P-00042',
  data,
});

const DEAL: Json = {
  dealId: 'D-991',
  stage: 'closed_won',
  amount: '48000.00',
  currency: 'USD',
  customerId: 'C-77',
  registeredAt: '2026-08-02',
  closedAt: '2026-11-20',
  version: 4,
};

const dealEvent = (data: Json = {}): Json => base('deal.upserted', 'crm', { ...DEAL, ...data });
const without = (obj: Json, key: string): Json => Object.fromEntries(Object.entries(obj).filter(([k]) => k !== key));

const VALID: Record<string, Json> = {
  'partner.upserted': base('partner.upserted', 'crm', {
    name: 'Northwind',
    partnerType: 'reseller',
    region: 'EMEA',
    contacts: [{ email: 'ops@northwind.example', name: 'Ops', role: 'primary' }],
    status: 'active',
    version: 1,
  }),
  'deal.upserted': dealEvent(),
  'certification.earned': base('certification.earned', 'lms', {
    personId: 'u1',
    certificationId: 'sales-expert',
    earnedAt: '2026-01-10',
    expiresAt: '2027-01-10',
  }),
  'certification.revoked': base('certification.revoked', 'lms', {
    personId: 'u1',
    certificationId: 'sales-expert',
    revokedAt: '2026-03-01',
  }),
  'person.departed': base('person.departed', 'lms', { personId: 'u1', departedAt: '2026-04-01' }),
  'invoice.booked': base('invoice.booked', 'erp', {
    invoiceId: 'I-1',
    amount: '1000.00',
    currency: 'USD',
    bookedAt: '2026-11-02',
    recurring: true,
  }),
  'invoice.credited': base('invoice.credited', 'erp', {
    invoiceId: 'I-1',
    creditId: 'C-1',
    amount: '200.00',
    currency: 'USD',
    creditedAt: '2026-11-10',
  }),
};

function accepted(raw: unknown, c: EventContext = ctx): Extract<EventResult, { ok: true }> {
  const result = validateEvent(raw, c);
  if (!result.ok) throw new Error(`expected valid, got: ${result.reason}`);
  return result;
}

function rejected(raw: unknown, c: EventContext = ctx): string {
  const result = validateEvent(raw, c);
  if (result.ok) throw new Error(`expected invalid: ${JSON.stringify(raw)}`);
  return result.reason;
}

describe('valid events of every type (SPEC §4 table)', () => {
  it.each(Object.keys(VALID))('%s is accepted', (type) => {
    const result = accepted(VALID[type]);
    expect(result.event.type).toBe(type);
    expect(result.event.partnerId).toBe('P-00042');
  });

  it('partner.upserted: contacts may be empty; optional fields may be left out', () => {
    accepted(base('partner.upserted', 'crm', { name: 'N', partnerType: 'msp', contacts: [], version: 0 }));
  });

  it('deal.upserted: an open deal needs no closedAt', () => {
    accepted(dealEvent({ stage: 'open', closedAt: undefined }));
    accepted(base('deal.upserted', 'crm', without({ ...DEAL, stage: 'closed_lost' }, 'closedAt')));
  });
});

describe('envelope (rule 17: the six fields are required)', () => {
  it.each(['id', 'source', 'type', 'occurredAt', 'partnerId', 'data'])(
    'missing %s → invalid, reason names it',
    (field) => {
      expect(rejected(without(dealEvent(), field))).toContain(field);
    },
  );

  it.each([
    ['2026-11-20T14:03:11', 'no offset'],
    ['2026-11-20', 'a date'],
    ['not a time', 'garbage'],
  ])('occurredAt %j (%s) → invalid', (occurredAt) => {
    expect(rejected({ ...dealEvent(), occurredAt })).toContain('occurredAt');
  });

  it('occurredAt with any offset is accepted and recorded', () => {
    const result = accepted({ ...dealEvent(), occurredAt: '2026-11-20T23:30:00-05:00' });
    expect(result.event.occurredAt).toBe('2026-11-20T23:30:00-05:00');
  });

  it('a type not of its source → invalid', () => {
    expect(rejected({ ...dealEvent(), source: 'lms' })).toContain('type');
    expect(rejected({ ...VALID['invoice.booked'], source: 'crm' })).toContain('type');
  });

  it('an unknown type → invalid', () => {
    expect(rejected({ ...dealEvent(), type: 'deal.deleted' })).toContain('type');
  });

  it('an unknown source → invalid', () => {
    expect(rejected({ ...dealEvent(), source: 'hr' })).toContain('source');
  });

  it.each([null, 42, 'text', [1, 2]])('a JSON value that is not an object (%j) → invalid', (raw) => {
    rejected(raw);
  });

  it('data must be an object', () => {
    expect(rejected({ ...dealEvent(), data: null })).toContain('data');
  });
});

describe('amounts and currencies (rules 16–17)', () => {
  it('a JSON number amount → invalid', () => {
    expect(rejected(dealEvent({ amount: 48000 }))).toContain('data.amount');
  });

  it.each(['5,000.00', '-5.00', '1e3', '', ' 10', '10 ', '.5', '$5'])('amount %j → invalid', (amount) => {
    expect(rejected(dealEvent({ amount }))).toContain('data.amount');
  });

  it.each(['0', '0.00', '48000', '48000.5', '48000.50'])('USD amount %j → valid', (amount) => {
    accepted(dealEvent({ amount }));
  });

  it('USD with 3 decimals → invalid', () => {
    expect(rejected(dealEvent({ amount: '10.001' }))).toContain('data.amount');
  });

  it('"100.0" JPY → invalid; "100" JPY → valid', () => {
    expect(rejected(dealEvent({ amount: '100.0', currency: 'JPY', fxRate: '0.0067' }))).toContain('data.amount');
    accepted(dealEvent({ amount: '100', currency: 'JPY', fxRate: '0.0067' }));
  });

  it('BHD takes 3 decimals, not 4', () => {
    accepted(dealEvent({ amount: '1.234', currency: 'BHD', fxRate: '2.65' }));
    expect(rejected(dealEvent({ amount: '1.2345', currency: 'BHD', fxRate: '2.65' }))).toContain('data.amount');
  });

  it.each(['XYZ', 'usd', 'US', 'DOLLAR'])('currency %j outside ISO 4217 → invalid', (currency) => {
    expect(rejected(dealEvent({ currency, fxRate: '1.1' }))).toContain('data.currency');
  });

  it('a foreign currency without fxRate → invalid (absent or null)', () => {
    expect(rejected(dealEvent({ currency: 'EUR' }))).toContain('data.fxRate');
    expect(rejected(dealEvent({ currency: 'EUR', fxRate: null }))).toContain('data.fxRate');
    expect(
      rejected({ ...VALID['invoice.booked'], data: { ...(VALID['invoice.booked']?.data as Json), currency: 'EUR' } }),
    ).toContain('data.fxRate');
    expect(
      rejected({
        ...VALID['invoice.credited'],
        data: { ...(VALID['invoice.credited']?.data as Json), currency: 'EUR' },
      }),
    ).toContain('data.fxRate');
  });

  it.each(['0', '0.000', '-1.08', '1,08', ''])('fxRate %j → invalid', (fxRate) => {
    expect(rejected(dealEvent({ currency: 'EUR', fxRate }))).toContain('data.fxRate');
  });

  it('fxRate as a JSON number → invalid', () => {
    expect(rejected(dealEvent({ currency: 'EUR', fxRate: 1.08 }))).toContain('data.fxRate');
  });

  it('a foreign currency with a positive fxRate → valid, rate kept', () => {
    const result = accepted(dealEvent({ currency: 'EUR', amount: '100.00', fxRate: '1.08425' }));
    expect(result.event.data).toMatchObject({ currency: 'EUR', amount: '100.00', fxRate: '1.08425' });
  });

  it('an fxRate on a program-currency event is validated: "0" → invalid, "1.5" → valid', () => {
    expect(rejected(dealEvent({ fxRate: '0' }))).toContain('data.fxRate');
    accepted(dealEvent({ fxRate: '1.5' }));
  });

  it('invoice and credit amounts follow the same rules', () => {
    const inv = VALID['invoice.booked']?.data as Json;
    expect(rejected({ ...VALID['invoice.booked'], data: { ...inv, amount: '-1.00' } })).toContain('data.amount');
    const cr = VALID['invoice.credited']?.data as Json;
    expect(rejected({ ...VALID['invoice.credited'], data: { ...cr, amount: 200 } })).toContain('data.amount');
  });
});

describe('required data fields', () => {
  it('closed_won without closedAt → invalid (absent or null)', () => {
    expect(rejected(base('deal.upserted', 'crm', without(DEAL, 'closedAt')))).toContain('data.closedAt');
    expect(rejected(dealEvent({ closedAt: null }))).toContain('data.closedAt');
  });

  it.each([
    ['deal.upserted', 'dealId'],
    ['deal.upserted', 'stage'],
    ['deal.upserted', 'amount'],
    ['deal.upserted', 'currency'],
    ['deal.upserted', 'version'],
    ['partner.upserted', 'name'],
    ['partner.upserted', 'partnerType'],
    ['partner.upserted', 'contacts'],
    ['partner.upserted', 'version'],
    ['certification.earned', 'personId'],
    ['certification.earned', 'certificationId'],
    ['certification.earned', 'earnedAt'],
    ['certification.revoked', 'revokedAt'],
    ['person.departed', 'departedAt'],
    ['invoice.booked', 'invoiceId'],
    ['invoice.booked', 'bookedAt'],
    ['invoice.booked', 'recurring'],
    ['invoice.credited', 'creditId'],
    ['invoice.credited', 'creditedAt'],
  ])('%s without %s → invalid, reason names data.%s', (type, field) => {
    const event = VALID[type] as Json;
    expect(rejected({ ...event, data: without(event.data as Json, field) })).toContain(`data.${field}`);
  });

  it('a required field given as null is missing', () => {
    expect(rejected(dealEvent({ dealId: null }))).toContain('data.dealId');
  });

  it('an unknown stage or status → invalid', () => {
    expect(rejected(dealEvent({ stage: 'won' }))).toContain('data.stage');
    const p = VALID['partner.upserted'] as Json;
    expect(rejected({ ...p, data: { ...(p.data as Json), status: 'paused' } })).toContain('data.status');
  });

  it('recurring must be a boolean', () => {
    const inv = VALID['invoice.booked'] as Json;
    expect(rejected({ ...inv, data: { ...(inv.data as Json), recurring: 'true' } })).toContain('data.recurring');
  });
});

describe('null optional fields count as absent', () => {
  it('deal: customerId, registeredAt, fxRate null', () => {
    const result = accepted(dealEvent({ customerId: null, registeredAt: null, fxRate: null }));
    const data = result.event.data as Json;
    expect(data.customerId).toBeUndefined();
    expect(data.registeredAt).toBeUndefined();
    expect(data.fxRate).toBeUndefined();
  });

  it('partner: region, status and contact name/role null', () => {
    const result = accepted(
      base('partner.upserted', 'crm', {
        name: 'N',
        partnerType: 'msp',
        region: null,
        status: null,
        contacts: [{ email: 'a@b.example', name: null, role: null }],
        version: 2,
      }),
    );
    const data = result.event.data as Json;
    expect(data.region).toBeUndefined();
    expect(data.status).toBeUndefined();
  });

  it('certification: expiresAt null', () => {
    const cert = VALID['certification.earned'] as Json;
    const result = accepted({ ...cert, data: { ...(cert.data as Json), expiresAt: null } });
    expect((result.event.data as Json).expiresAt).toBeUndefined();
  });

  it('open deal with closedAt null is fine', () => {
    accepted(dealEvent({ stage: 'open', closedAt: null }));
  });
});

describe('dates (rule 17)', () => {
  it.each(['1900-01-01', '2999-12-31', '2024-02-29'])('%s is in range', (closedAt) => {
    expect(accepted(dealEvent({ closedAt })).event.data).toMatchObject({ closedAt });
  });

  it.each([
    '1899-12-31',
    '3000-01-01',
    '2026-02-30',
    '2026-02-29',
    '2026-13-01',
    '0000-00-00',
    '2026-1-05',
    '20261120',
    '2026/11/20',
    '2026-11-20T10:00:00',
  ])('closedAt %j → invalid', (closedAt) => {
    expect(rejected(dealEvent({ closedAt }))).toContain('data.closedAt');
  });

  it('a date as a JSON number → invalid', () => {
    expect(rejected(dealEvent({ closedAt: 20261120 }))).toContain('data.closedAt');
  });

  it.each([
    ['registeredAt', '2026-13-01'],
    ['registeredAt', '1899-12-31'],
  ])('deal %s %j → invalid', (field, value) => {
    expect(rejected(dealEvent({ [field]: value }))).toContain(`data.${field}`);
  });

  it('other date fields are checked too', () => {
    const cert = VALID['certification.earned'] as Json;
    expect(rejected({ ...cert, data: { ...(cert.data as Json), expiresAt: '2027-02-30' } })).toContain(
      'data.expiresAt',
    );
    const inv = VALID['invoice.booked'] as Json;
    expect(rejected({ ...inv, data: { ...(inv.data as Json), bookedAt: '3000-01-01' } })).toContain('data.bookedAt');
  });

  it('a timestamp with offset is accepted and normalised to a day in the program timezone', () => {
    const ts = '2026-11-20T23:30:00-05:00';
    expect(accepted(dealEvent({ closedAt: ts })).event.data).toMatchObject({ closedAt: '2026-11-21' });
    expect(
      accepted(dealEvent({ closedAt: ts }), { currency: 'USD', timezone: 'America/New_York' }).event.data,
    ).toMatchObject({ closedAt: '2026-11-20' });
    expect(accepted(dealEvent({ registeredAt: '2026-08-02T00:15:00+02:00' })).event.data).toMatchObject({
      registeredAt: '2026-08-01',
    });
  });

  it('a timestamp whose day leaves the range in the program zone is invalid', () => {
    expect(rejected(dealEvent({ closedAt: '1900-01-01T01:00:00+02:00' }))).toContain('data.closedAt');
  });
});

describe('version (rule 17: a non-negative integer)', () => {
  it.each([-1, 1.5, '4', null, true])('version %j → invalid', (version) => {
    expect(rejected(dealEvent({ version }))).toContain('data.version');
  });

  it.each([0, 4, 1_000_000])('version %j → valid', (version) => {
    accepted(dealEvent({ version }));
  });
});

describe('lines: size, UTF-8, JSON (parseEventLine)', () => {
  const enc = new TextEncoder();

  /** A valid deal event padded with spaces to exactly `bytes` bytes. */
  function lineOf(bytes: number): string {
    const json = JSON.stringify(dealEvent());
    return json + ' '.repeat(bytes - Buffer.byteLength(json));
  }

  it('a valid line is accepted, as a string and as bytes', () => {
    const line = JSON.stringify(dealEvent());
    expect(parseEventLine(line, ctx).ok).toBe(true);
    expect(parseEventLine(enc.encode(line), ctx).ok).toBe(true);
  });

  it('exactly 65,536 bytes is accepted; 65,537 is invalid', () => {
    expect(MAX_EVENT_BYTES).toBe(65_536);
    const ok = lineOf(65_536);
    expect(Buffer.byteLength(ok)).toBe(65_536);
    expect(parseEventLine(ok, ctx).ok).toBe(true);
    expect(parseEventLine(enc.encode(ok), ctx).ok).toBe(true);
    const big = lineOf(65_537);
    const result = parseEventLine(big, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/65537|65,537|byte/);
    expect(parseEventLine(enc.encode(big), ctx).ok).toBe(false);
  });

  it('the limit counts bytes, not characters', () => {
    // 40,000 two-byte characters: under 65,536 characters, over 65,536 bytes
    const line = JSON.stringify({ ...dealEvent(), note: 'é'.repeat(40_000) });
    expect(line.length).toBeLessThan(65_536);
    expect(parseEventLine(line, ctx).ok).toBe(false);
    expect(parseEventLine(enc.encode(line), ctx).ok).toBe(false);
  });

  it('invalid UTF-8 bytes → invalid', () => {
    const json = enc.encode(JSON.stringify(dealEvent({ customerId: 'C-XX' })));
    const bytes = Uint8Array.from(json);
    const at = Buffer.from(bytes).indexOf('C-XX') + 2;
    bytes[at] = 0xff;
    bytes[at + 1] = 0xfe;
    const result = parseEventLine(bytes, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/UTF-8/);
  });

  it('a truncated multi-byte sequence → invalid', () => {
    const json = enc.encode(JSON.stringify(dealEvent({ customerId: 'é' })));
    const at = Buffer.from(json).indexOf(Buffer.from('é'));
    const bytes = Uint8Array.from([...json.slice(0, at + 1), ...json.slice(at + 2)]);
    expect(parseEventLine(bytes, ctx).ok).toBe(false);
  });

  it.each(['{"id": ', 'not json', '{"id":"a",}', "{'id':'a'}"])('%j is not JSON → invalid', (line) => {
    const result = parseEventLine(line, ctx);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/JSON/);
  });

  it('an invalid line keeps its raw text for the dead-letter store', () => {
    const result = parseEventLine('not json', ctx);
    expect(result.raw).toBe('not json');
  });
});
