// domain/events/fast.ts against the zod schemas it stands in for: whatever the fast path
// accepts, the schemas accept with the very same canonical event (own keys, undefined
// values and all); what it leaves alone, the schemas judge. Each field of each event type
// is replaced by (or stripped of) values around every rule of SPEC §3a 16–17.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fastEvent } from '../../domain/events/fast.ts';
import { canonicalJson, structuralProblem, validateEvent, validateWithSchemas } from '../../domain/events/parse.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { generateHistory } from '../../tools/generate/history.ts';

type Json = Record<string, unknown>;

const CONTEXTS: EventContext[] = [
  { currency: 'USD', timezone: 'UTC' },
  { currency: 'EUR', timezone: 'America/New_York' },
  { currency: 'JPY', timezone: 'Asia/Tokyo' },
];

const ABSENT = Symbol('absent');

const VALUES: unknown[] = [
  ABSENT,
  null,
  undefined,
  '',
  'x',
  'x'.repeat(100),
  'x'.repeat(101),
  'x'.repeat(1000),
  'x'.repeat(1001),
  'é',
  '😀',
  0,
  -0,
  1,
  -1,
  1.5,
  2 ** 53,
  2 ** 53 - 1,
  1e21,
  true,
  false,
  [],
  {},
  ['2026-01-01'],
  { a: 1 },
  '2026-01-01',
  '2026-02-29',
  '2024-02-29',
  '2026-13-01',
  '2026-1-1',
  ' 2026-01-01',
  '2026-01-01 ',
  '1899-12-31',
  '1900-01-01',
  '2999-12-31',
  '3000-01-01',
  '2026-01-01T23:30:00-05:00',
  '2026-01-01T00:30:00+09:00',
  '2026-01-01T10:00:00Z',
  '2026-01-01T10:00:00.123Z',
  '2026-01-01T10:00:00',
  '2026-01-01T24:00:00Z',
  '1899-12-31T23:00:00-05:00',
  '0',
  '00100.50',
  '100.',
  '.5',
  '1e3',
  '-1.00',
  '0.000',
  '100.1',
  '100.123',
  '5,000.00',
  ' 1.00',
  '0.0001',
  '1.0842',
  'USD',
  'EUR',
  'JPY',
  'BHD',
  'usd',
  'XXX',
  'ZZZ',
  '__proto__',
  'constructor',
  'open',
  'closed_won',
  'closed_lost',
  'won',
  'crm',
  'lms',
  'erp',
  'deal.upserted',
  'invoice.booked',
  'certification.earned',
];

/** Sample events of every type from a generated history, with the program currency's variants. */
function samples(): Json[] {
  const byType = new Map<string, Json[]>();
  for (const e of generateHistory({ partners: 30, seed: 11, until: '2026-11-23', months: 24, eventsPerPartner: 40 })) {
    const list = byType.get(e.type) ?? [];
    if (list.length < 4) list.push(e as unknown as Json);
    byType.set(e.type, list);
  }
  const out = [...byType.values()].flat();
  const deal = out.find((e) => e.type === 'deal.upserted' && (e.data as Json).stage === 'closed_won') as Json;
  const booked = out.find((e) => e.type === 'invoice.booked') as Json;
  out.push({
    ...deal,
    data: { ...(deal.data as Json), currency: 'EUR', fxRate: '1.0842', customerId: null, registeredAt: null },
  });
  out.push({ ...deal, data: { ...(deal.data as Json), currency: 'JPY', amount: '48000', fxRate: '0.0067' } });
  out.push({ ...booked, data: { ...(booked.data as Json), currency: 'JPY', amount: '1000', fxRate: null } });
  return out;
}

function mutate(event: Json, path: 'envelope' | 'data', key: string, value: unknown): Json {
  const target = path === 'envelope' ? { ...event } : { ...(event.data as Json) };
  if (value === ABSENT) delete target[key];
  else target[key] = value;
  return path === 'envelope' ? target : { ...event, data: target };
}

function variants(event: Json): Json[] {
  const out: Json[] = [event];
  const dataKeys = [
    ...Object.keys(event.data as Json),
    'fxRate',
    'customerId',
    'registeredAt',
    'closedAt',
    'expiresAt',
    'extra',
  ];
  for (const value of VALUES) {
    for (const key of [...Object.keys(event), 'extra']) out.push(mutate(event, 'envelope', key, value));
    for (const key of new Set(dataKeys)) out.push(mutate(event, 'data', key, value));
  }
  return out;
}

describe('events: the fast path agrees with the schemas', () => {
  const events = samples();

  it('takes the generated history (every type but partner.upserted) without the schemas', () => {
    for (const ctx of CONTEXTS.slice(0, 1)) {
      for (const e of events.filter((x) => x.type !== 'partner.upserted' && (x.data as Json).currency !== 'JPY'))
        expect(fastEvent(e, ctx), JSON.stringify(e)).toBeDefined();
    }
  });

  it('accepts only what the schemas accept, building the identical canonical event', () => {
    let fast = 0;
    let checked = 0;
    for (const ctx of CONTEXTS) {
      for (const event of events) {
        for (const raw of variants(event)) {
          if (structuralProblem(raw) !== undefined) continue;
          checked++;
          const quick = fastEvent(raw, ctx);
          if (quick === undefined) continue;
          fast++;
          const full = validateWithSchemas(raw, ctx);
          if (!full.ok)
            throw new Error(`fast path accepted what the schemas refuse (${full.reason}): ${JSON.stringify(raw)}`);
          if (!isDeepStrictEqual(quick, full.event))
            throw new Error(
              `different events for ${JSON.stringify(raw)}:\n${JSON.stringify(quick)}\n${JSON.stringify(full.event)}`,
            );
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(fast).toBeGreaterThan(1_000);
  });

  it('leaves validateEvent judging every variant as the schemas do', () => {
    const ctx = CONTEXTS[1] as EventContext;
    for (const event of events) {
      for (const raw of variants(event)) {
        if (structuralProblem(raw) !== undefined) continue;
        const a = validateEvent(raw, ctx);
        const b = validateWithSchemas(raw, ctx);
        expect(a.ok ? { ok: true, event: a.event } : { ok: false, reason: a.reason }).toStrictEqual(
          b.ok ? { ok: true, event: b.event } : { ok: false, reason: b.reason },
        );
      }
    }
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and writes no whitespace', () => {
    expect(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true })).toBe('{"a":true,"b":[1,{"c":"x","d":null}]}');
    expect(canonicalJson({ é: 1, z: 2, A: 3, '': [] })).toBe('{"":[],"A":3,"z":2,"é":1}');
    expect(canonicalJson('a"\\\u2028')).toBe(JSON.stringify('a"\\\u2028'));
    expect(canonicalJson([undefined, 1])).toBe('[,1]');
  });

  it('writes strings and keys exactly as JSON.stringify does', () => {
    const strings = [
      ...Array.from({ length: 0x80 }, (_, c) => `a${String.fromCharCode(c)}b`),
      '',
      'é',
      '\u2028',
      '😀',
      '\ud800',
      'x\udc00y',
      '"',
      '\\',
    ];
    for (const text of strings) {
      expect(canonicalJson(text)).toBe(JSON.stringify(text));
      expect(canonicalJson({ [text]: text })).toBe(`{${JSON.stringify(text)}:${JSON.stringify(text)}}`);
    }
  });
});
