// The bulk path prepares its batches in worker threads and writes its inbox rows by COPY
// (services/ingest/backfill.ts); what it stores
// must be what the ordinary batch path (applyPreparedBatch, 2,000 events a transaction, in
// file order) stores from the same lines: every row of the inbox, conflicts, dead letters,
// facts and owed recomputes, sequence values included, timestamps aside. Two files: a
// shuffled history with duplicates (exact and with keys reordered), conflicting copies,
// stale versions, broken lines (some seen more than once) and payloads with characters COPY
// escapes; then a second file re-delivering part of the first, with conflicts against it,
// newer and older versions and new events.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DB } from '../../db/types.ts';
import type { EventContext } from '../../domain/events/schema.ts';
import { backfillLines } from '../../services/ingest/backfill.ts';
import { applyPreparedBatch, applyPreparedBatchByCopy } from '../../services/ingest/batch.ts';
import type { NumberedLine } from '../../services/ingest/lines.ts';
import { addOutcomes, countOutcomes, noOutcomes } from '../../services/ingest/outcomes.ts';
import { emptyBatch, prepareEvent, prepareEventBatch } from '../../services/ingest/prepare.ts';
import { openCopySession } from '../../db/copy.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { prng, shuffle } from '../setup/prng.ts';
import { dealEvent, reorderKeys } from './support.ts';

const AS_OF = '2026-11-23';
const RUN = 'equivalence-run';

type Event = GeneratedEvent & { data: Record<string, unknown> };

const BROKEN = [
  '{"id": "crm-broken-1", "source": "crm"',
  JSON.stringify({ id: 'crm-broken-2', source: 'crm', type: 'deal.deleted', partnerId: 'P-1', data: {} }),
];

function firstFile(): { lines: string[]; history: Event[] } {
  const random = prng(20261203);
  const history = [
    ...generateHistory({ partners: 400, seed: 11, until: AS_OF, months: 24, eventsPerPartner: 20 }),
  ] as Event[];
  // Payload text COPY must escape (backslash, tab, newline in JSON escapes) and non-ASCII.
  const partner = history.find((e) => e.type === 'partner.upserted') as Event;
  history.push({
    ...partner,
    id: `${partner.id}-escapes`,
    data: { ...partner.data, name: 'Back\\slash\ttab\nnewline "quoted" é ✓ 😀', version: 7 },
  });
  // Stale partner versions: lower than one already in the history.
  for (const p of history.filter((e) => e.type === 'partner.upserted').slice(0, 30))
    history.push({ ...p, id: `${p.id}-v0`, data: { ...p.data, version: 0 } });
  const lines = shuffle(
    history.map((e) => JSON.stringify(e)),
    random,
  );
  // Duplicates: exact copies and copies with their keys in another order, anywhere.
  const again = history.filter(() => random() < 0.06).map((e, i) => JSON.stringify(i % 2 === 0 ? e : reorderKeys(e)));
  for (const line of again) lines.splice(Math.floor(random() * (lines.length + 1)), 0, line);
  // Conflicting copies, before or after their original.
  for (const e of history.filter((x) => x.type === 'deal.upserted').slice(0, 40))
    lines.splice(
      Math.floor(random() * (lines.length + 1)),
      0,
      JSON.stringify({ ...e, data: { ...e.data, amount: '1.00' } }),
    );
  // Broken lines, the first of them three times.
  for (const line of [...BROKEN, BROKEN[0] as string, BROKEN[0] as string])
    lines.splice(Math.floor(random() * (lines.length + 1)), 0, line);
  const deal = history.find((e) => e.type === 'deal.upserted') as Event;
  // Text that reads as other jsonb than its JS parse (a fraction), or that COPY must escape (a tab).
  lines.splice(
    50,
    0,
    JSON.stringify({ ...deal, id: 'crm-fraction', data: { ...deal.data, version: 9 } }).replace(
      '"version":9',
      '"version":9.0',
    ),
  );
  lines.splice(60, 0, JSON.stringify({ ...deal, id: 'crm-tab' }).replace('{"id":', '{"id":\t'));
  lines.splice(100, 0, JSON.stringify({ ...deal, id: 'crm-broken-3', data: { ...deal.data, amount: '-10.00' } }));
  return { lines, history };
}

function secondFile(history: readonly Event[]): string[] {
  const random = prng(7);
  const lines: string[] = [];
  for (const e of history) if (random() < 0.3) lines.push(JSON.stringify(e));
  const deals = history.filter((e) => e.type === 'deal.upserted');
  for (const e of deals.slice(0, 25))
    lines.push(JSON.stringify({ ...e, data: { ...e.data, customerId: 'C-CONFLICT' } }));
  deals.slice(100, 160).forEach((e, i) => {
    const version = Number(e.data.version) + (i % 2 === 0 ? 5 : -1);
    lines.push(JSON.stringify({ ...e, id: `${e.id}-again`, data: { ...e.data, version, amount: '777.00' } }));
  });
  for (let i = 0; i < 300; i++)
    lines.push(JSON.stringify(dealEvent(`crm-new-${i}`, `P-NEW-${i % 37}`, { dealId: `D-${i}` })));
  lines.push(BROKEN[0] as string);
  return shuffle(lines, random);
}

async function* numbered(lines: readonly string[]): AsyncGenerator<NumberedLine> {
  for (let i = 0; i < lines.length; i++) yield { bytes: Buffer.from(lines[i] as string), line: i + 1 };
}

/** What the bulk path did before COPY: 2,000 lines a batch through applyPreparedBatch, in order. */
async function ordinaryPath(db: Kysely<DB>, ctx: EventContext, file: string, lines: readonly string[]) {
  const counts = noOutcomes();
  for (let from = 0; from < lines.length; from += 2_000) {
    const batch = emptyBatch();
    lines
      .slice(from, from + 2_000)
      .forEach((line, i) =>
        prepareEvent(batch, ctx, { raw: Buffer.from(line), seen: { origin: file, line: from + i + 1, runId: RUN } }),
      );
    addOutcomes(counts, countOutcomes((await applyPreparedBatch(db, batch)).outcomes));
  }
  return counts;
}

const TABLES: Record<string, string> = {
  inbox: 'source, event_id',
  inbox_conflicts: 'id',
  dead_letters: 'id',
  partners: 'partner_id',
  deals: 'partner_id, deal_id',
  certifications_earned: 'source, event_id',
  certification_revocations: 'source, event_id',
  person_departures: 'source, event_id',
  invoices: 'partner_id, invoice_id',
  invoice_credits: 'partner_id, invoice_id, credit_id',
  recompute_requests: 'partner_id',
};
const CLOCK = ['received_at', 'last_delivered_at', 'updated_at', 'first_seen_at', 'last_seen_at', 'requested_at'];

/** Every stored row as text, timestamps aside, in key order. */
async function dump(db: Kysely<DB>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [table, key] of Object.entries(TABLES)) {
    const { rows } = await sql<{ r: string }>`
      select (to_jsonb(t) - ${CLOCK}::text[])::text as r
      from ${sql.table(table)} t order by ${sql.join(key.split(', ').map((c) => sql.ref(`t.${c}`)))}`.execute(db);
    out[table] = rows.map((r) => r.r);
  }
  return out;
}

describe('ingest --backfill by COPY stores what the ordinary batch path stores', () => {
  let copy: Pipeline;
  let ordinary: Pipeline;
  let dir: string;
  let ctx: EventContext;
  const files: Array<{ path: string; lines: string[] }> = [];

  beforeAll(async () => {
    [copy, ordinary] = await Promise.all([createPipeline(), createPipeline()]);
    ctx = { currency: copy.program.currency, timezone: copy.program.timezone };
    dir = await mkdtemp(join(tmpdir(), 'tierline-backfill-copy-'));
    const first = firstFile();
    for (const [name, lines] of [
      ['first.jsonl', first.lines],
      ['second.jsonl', secondFile(first.history)],
    ] as const) {
      const path = join(dir, name);
      await writeFile(path, `${lines.join('\n')}\n`);
      files.push({ path, lines });
    }
  }, 60_000);
  afterAll(async () => {
    await Promise.all([copy?.stop(), ordinary?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the same outcomes and rows after each file', async () => {
    for (const [n, file] of files.entries()) {
      // Two preparation threads: batches come back from either, and must be applied in file order.
      const byCopy = await backfillLines(copy.database.db, copy.queues, ctx, numbered(file.lines), {
        file: file.path,
        runId: RUN,
        threads: 2,
      });
      const reference = await ordinaryPath(ordinary.database.db, ctx, file.path, file.lines);
      expect(byCopy, file.path).toEqual(reference);
      // The files exercise what they should.
      if (n === 0) {
        expect(reference.duplicate).toBeGreaterThan(300);
        expect(reference.conflict).toBeGreaterThanOrEqual(40);
        expect(reference.stale).toBeGreaterThan(30);
        expect(reference['dead-lettered']).toBe(5);
      } else {
        expect(reference.duplicate).toBeGreaterThan(1_000);
        expect(reference.conflict).toBeGreaterThanOrEqual(25);
        expect(reference.stale).toBeGreaterThanOrEqual(30);
      }
      const [a, b] = await Promise.all([dump(copy.database.db), dump(ordinary.database.db)]);
      for (const table of Object.keys(TABLES)) expect(a[table], `${table} after ${file.path}`).toEqual(b[table]);
    }
    // The line broken three times in the first file and once in the second: one row, seen where it was last.
    const broken = await copy.database.db
      .selectFrom('dead_letters')
      .select(['attempts', 'origin', 'origin_line'])
      .where('raw', '=', Buffer.from(BROKEN[0] as string))
      .execute();
    const second = files[1] as { path: string; lines: string[] };
    expect(broken).toEqual([
      { attempts: 4, origin: second.path, origin_line: second.lines.indexOf(BROKEN[0] as string) + 1 },
    ]);
  }, 120_000);

  it('applies a batch the database refuses the ordinary way, event by event', async () => {
    const session = await openCopySession(copy.database.db);
    if (!session) throw new Error('a database made by createDb has a pool');
    try {
      const events = ['refusal-1', 'refusal-2', 'refusal-3'].map((id, i) =>
        dealEvent(id, `P-REFUSAL-${i}`, { dealId: `D-${i}` }),
      );
      const batch = prepareEventBatch(
        ctx,
        events.map((e) => ({ raw: JSON.stringify(e) })),
      );
      const middle = batch.results[1];
      if (!middle?.ok) throw new Error('the event should be valid');
      (middle.event.data as { amount: string }).amount = 'not a number';
      const result = await applyPreparedBatchByCopy(session, batch);
      expect(result.outcomes).toEqual(['accepted', 'dead-lettered', 'accepted']);
      const inbox = await copy.database.db
        .selectFrom('inbox')
        .select('event_id')
        .where('event_id', 'like', 'refusal-%')
        .orderBy('event_id')
        .execute();
      expect(inbox.map((r) => r.event_id)).toEqual(['refusal-1', 'refusal-3']);
    } finally {
      session.release();
    }
  });
});
