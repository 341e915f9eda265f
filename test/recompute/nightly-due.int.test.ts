// Issue 14 item 2: the nightly run recomputes only the partners that are due. A partner whose
// stored next-change day has not come (and that owes nothing) is not re-evaluated, only moved
// to the day; a partner whose window edge falls on the day is; one with a new fact is. After
// each night, every stored scorecard, history and ledger equals the reference (`evaluate`)
// for that day, across a month start (calendar windows restart) and ten nights in a row.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { nightlyChunk, partnerChunks, type ChunkSummary } from '../../services/recompute/nightly.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { compareWithReference, dealUpserted, partnerUpserted, putFacts, reference } from './support.ts';

const T = '2026-11-23';
const D = '2026-11-24';

/** P-EDGE's only deal leaves its trailing 12-month window on D; P-QUIET's changes nothing before 2027. */
const handmade = [
  partnerUpserted('edge-p', 'P-EDGE'),
  dealUpserted('edge-d', 'P-EDGE', {
    dealId: 'E-1',
    amount: '300000.00',
    registeredAt: '2025-06-01',
    closedAt: '2025-11-24',
  }),
  partnerUpserted('quiet-p', 'P-QUIET'),
  dealUpserted('quiet-d', 'P-QUIET', {
    dealId: 'Q-1',
    amount: '1000.00',
    registeredAt: '2026-06-01',
    closedAt: '2026-06-15',
  }),
];

describeWithPostgres('recompute: the nightly run recomputes only what is due', () => {
  let pipeline: Pipeline;
  let events: unknown[];
  let batch: BatchEvaluation;

  beforeAll(async () => {
    pipeline = await createPipeline();
    events = [...generateHistory({ partners: 120, seed: 14, until: T, months: 12, eventsPerPartner: 20 }), ...handmade];
    await putFacts(pipeline, events);
    batch = reference(pipeline.program, events);
  }, 120_000);

  afterAll(async () => {
    await pipeline?.stop();
  });

  /** The nightly run as the chunk jobs do it, in-process: every chunk of 50 partners. */
  async function night(asOf: string, full = false): Promise<ChunkSummary> {
    const sum: ChunkSummary = {
      partners: 0,
      advanced: 0,
      decisions: 0,
      ledgerEntries: 0,
      notifications: 0,
      notificationsSkipped: 0,
      changes: { promoted: 0, demoted: 0, override: 0, restarted: 0, track: 0 },
    };
    for await (const ids of partnerChunks(pipeline.database.db, 50)) {
      const s = await nightlyChunk(pipeline.database.db, pipeline.program, ids, dayOrThrow(asOf), { full });
      sum.partners += s.partners;
      sum.advanced += s.advanced;
      sum.decisions += s.decisions;
    }
    return sum;
  }

  async function cards(): Promise<Map<string, { as_of: string; next: string | null; computed: string }>> {
    const { rows } = await sql<{ partner_id: string; as_of: string; next: string | null; computed: string }>`
      select partner_id, as_of::text, next_change_day::text as next, computed_at::text as computed from scorecards`.execute(
      pipeline.database.db,
    );
    return new Map(rows.map((r) => [r.partner_id, r]));
  }

  async function expectReference(asOf: string): Promise<void> {
    const compared = await compareWithReference(pipeline.database.db, batch, asOf);
    expect(compared.partners).toBe(122);
    expect({ asOf, ...compared, changes: 0, ledgerLines: 0 }).toEqual({
      asOf,
      partners: 122,
      scorecards: [],
      history: [],
      ledger: [],
      changes: 0,
      ledgerLines: 0,
    });
  }

  it('the first run computes everyone and stores each next-change day', async () => {
    const first = await night(T);
    expect(first).toMatchObject({ partners: 122, advanced: 0 });
    await expectReference(T);
    const stored = await cards();
    expect(stored.get('P-EDGE')?.next).toBe(D);
    expect((stored.get('P-QUIET')?.next ?? '') > D).toBe(true);
    expect([...stored.values()].every((c) => c.next !== null && c.next > T)).toBe(true);
    // Run again for the same day: nothing is due, nothing moves.
    expect(await night(T)).toMatchObject({ partners: 0, advanced: 0 });
  });

  it('the next night re-evaluates the due partners and the one with a new fact, and moves the rest', async () => {
    const changed = 'P-00001';
    const late = dealUpserted('late-1', changed, { dealId: 'LATE-1', amount: '5000.00', closedAt: '2026-10-01' });
    await putFacts(pipeline, [late]);
    events.push(late);
    batch = reference(pipeline.program, events);
    const before = await cards();
    const due = new Set([...before].filter(([id, c]) => id === changed || (c.next ?? '') <= D).map(([id]) => id));
    expect(due.has('P-EDGE')).toBe(true);
    expect(due.has('P-QUIET')).toBe(false);
    expect(due.size).toBeLessThan(122);

    const result = await night(D);
    expect(result).toMatchObject({ partners: due.size, advanced: 122 - due.size });
    const after = await cards();
    const evaluated = new Set(
      [...after].filter(([id, c]) => c.computed !== before.get(id)?.computed).map(([id]) => id),
    );
    expect(evaluated).toEqual(due);
    expect(after.get('P-QUIET')).toMatchObject({ as_of: D, next: before.get('P-QUIET')?.next });
    expect([...after.values()].every((c) => c.as_of === D)).toBe(true);
    await expectReference(D);
  });

  it('night after night, across a month start, the stored results equal the reference', async () => {
    let recomputed = 0;
    for (let day = dayOrThrow(D) + 1; day <= dayOrThrow('2026-12-03'); day++) {
      const result = await night(formatDay(day));
      recomputed += result.partners;
      await expectReference(formatDay(day));
    }
    // Fewer recomputes than partners × nights (the point of the rule).
    expect(recomputed).toBeLessThan(122 * 9);
  }, 120_000);

  it('--full recomputes everyone and changes nothing', async () => {
    const day = '2026-12-03';
    expect(await night(day, true)).toMatchObject({ partners: 122, advanced: 0, decisions: 0 });
    await expectReference(day);
  });
});
