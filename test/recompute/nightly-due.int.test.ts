// Issue 14 item 2: the nightly run recomputes only the partners that are due. A partner whose
// stored next-change day has not come (and that owes nothing) is not re-evaluated and left as
// it is; a partner whose qualified tier changes on the day (a deal leaving its window) is; one
// with a new fact is; one whose metric values move without moving its standing (a deal leaving
// its window, still short of the next tier) is not. After each night, every stored history and
// ledger equals the reference (`evaluate`) for that day, and every stored scorecard equals the
// reference for its own as-of day and has the reference's standing for that day, across a
// month start (calendar windows restart) and ten nights in a row.
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import {
  nightlyChunk,
  nightlyRunResult,
  partnerChunks,
  recordNightlyRun,
  type ChunkSummary,
} from '../../services/recompute/nightly.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { currentScorecard, lastNightlyRunDay, scorecardOn } from '../../services/reads.ts';
import {
  certificationEarned,
  compareWithReference,
  dealUpserted,
  evaluateRef,
  partnerUpserted,
  putFacts,
  reference,
  storedScorecard,
} from './support.ts';

const T = '2026-11-23';
const PARTNERS = 123;
const D = '2026-11-24';

/**
 * P-EDGE's only deal leaves its trailing 12-month window on D: revenue12m drops to 0, but without
 * certifications it stays registered and far from silver (its standing holds). P-CROSS's does
 * too, and it falls from silver (two certifications) on D. P-QUIET's changes nothing before 2027.
 */
const handmade = [
  partnerUpserted('cross-p', 'P-CROSS'),
  dealUpserted('cross-d', 'P-CROSS', {
    dealId: 'X-1',
    amount: '300000.00',
    registeredAt: '2025-06-01',
    closedAt: '2025-11-24',
  }),
  certificationEarned('cross-c1', 'P-CROSS', { personId: 'X1', earnedAt: '2025-01-01' }),
  certificationEarned('cross-c2', 'P-CROSS', { personId: 'X2', earnedAt: '2025-01-01' }),
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
      notDue: 0,
      decisions: 0,
      ledgerEntries: 0,
      notifications: 0,
      notificationsSkipped: 0,
      changes: { promoted: 0, demoted: 0, override: 0, restarted: 0, track: 0 },
    };
    for await (const ids of partnerChunks(pipeline.database.db, 50)) {
      const s = await nightlyChunk(pipeline.database.db, pipeline.program, ids, dayOrThrow(asOf), { full });
      sum.partners += s.partners;
      sum.notDue += s.notDue;
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
    const compared = await compareWithReference(pipeline.database.db, batch, asOf, { standing: true });
    expect(compared.partners).toBe(PARTNERS);
    expect({ asOf, ...compared, changes: 0, ledgerLines: 0 }).toEqual({
      asOf,
      partners: PARTNERS,
      scorecards: [],
      history: [],
      ledger: [],
      changes: 0,
      ledgerLines: 0,
    });
  }

  it('the first run computes everyone and stores each next-change day', async () => {
    const first = await night(T);
    expect(first).toMatchObject({ partners: PARTNERS, notDue: 0 });
    await expectReference(T);
    const stored = await cards();
    expect(stored.get('P-CROSS')?.next).toBe(D);
    // A metric value moving on D without moving the standing is no next-change day.
    expect((stored.get('P-EDGE')?.next ?? '') > D).toBe(true);
    expect((stored.get('P-QUIET')?.next ?? '') > D).toBe(true);
    expect([...stored.values()].every((c) => c.next !== null && c.next > T)).toBe(true);
    // Run again for the same day: nothing is due, nothing moves.
    expect(await night(T)).toMatchObject({ partners: 0, notDue: 0 });
  });

  it('the next night re-evaluates the due partners and the one with a new fact, and leaves the rest as they are', async () => {
    const changed = 'P-00001';
    const late = dealUpserted('late-1', changed, { dealId: 'LATE-1', amount: '5000.00', closedAt: '2026-10-01' });
    await putFacts(pipeline, [late]);
    events.push(late);
    batch = reference(pipeline.program, events);
    const before = await cards();
    const due = new Set([...before].filter(([id, c]) => id === changed || (c.next ?? '') <= D).map(([id]) => id));
    expect(due.has('P-CROSS')).toBe(true);
    expect(due.has('P-EDGE')).toBe(false);
    expect(due.has('P-QUIET')).toBe(false);
    expect(due.size).toBeLessThan(PARTNERS);

    const result = await night(D);
    expect(result).toMatchObject({ partners: due.size, notDue: PARTNERS - due.size });
    const after = await cards();
    const evaluated = new Set(
      [...after].filter(([id, c]) => c.computed !== before.get(id)?.computed).map(([id]) => id),
    );
    expect(evaluated).toEqual(due);
    // Not due: left as of T, untouched.
    expect(after.get('P-QUIET')).toEqual(before.get('P-QUIET'));
    expect([...after].every(([id, c]) => c.as_of === (due.has(id) ? D : T))).toBe(true);
    expect(evaluateRef(batch, 'P-CROSS', T).scorecard.qualifiedTier).toBe('silver');
    expect(evaluateRef(batch, 'P-CROSS', D).scorecard.qualifiedTier).toBe('registered');
    await expectReference(D);

    // P-EDGE's stored scorecard says T and T's revenue; its standing is D's; a read for D
    // evaluates the day exactly (the figures differ).
    const edge = evaluateRef(batch, 'P-EDGE', D).scorecard;
    expect(await storedScorecard(pipeline.database.db, 'P-EDGE')).toEqual(
      JSON.parse(JSON.stringify(evaluateRef(batch, 'P-EDGE', T).scorecard)),
    );
    expect(edge.metrics['revenue12m']).toBe('0.00');
    expect(evaluateRef(batch, 'P-EDGE', T).scorecard.metrics['revenue12m']).toBe('300000.00');
    expect(await scorecardOn(pipeline.database.db, 'P-EDGE', dayOrThrow(D))).toEqual(edge);

    // `tierline scorecard` reads the day the last recorded run stands for: D's figures for
    // the partner left alone, the stored scorecard for the one recomputed (SPEC §3.4).
    const db = pipeline.database.db;
    expect(await currentScorecard(db, 'P-EDGE')).toEqual(
      JSON.parse(JSON.stringify(evaluateRef(batch, 'P-EDGE', T).scorecard)),
    );
    await recordNightlyRun(db, nightlyRunResult(D, [result], undefined, 0));
    expect(await lastNightlyRunDay(db)).toBe(dayOrThrow(D));
    expect(await currentScorecard(db, 'P-EDGE')).toEqual(edge);
    expect(await currentScorecard(db, 'P-CROSS')).toEqual(await storedScorecard(db, 'P-CROSS'));
    expect(await currentScorecard(db, 'P-CROSS')).toEqual(
      JSON.parse(JSON.stringify(evaluateRef(batch, 'P-CROSS', D).scorecard)),
    );
  });

  it('night after night, across a month start, the stored results equal the reference', async () => {
    let recomputed = 0;
    for (let day = dayOrThrow(D) + 1; day <= dayOrThrow('2026-12-03'); day++) {
      const result = await night(formatDay(day));
      recomputed += result.partners;
      await expectReference(formatDay(day));
    }
    // Fewer recomputes than partners × nights (the point of the rule).
    expect(recomputed).toBeLessThan(PARTNERS * 9);
  }, 120_000);

  it('--full recomputes everyone and changes nothing', async () => {
    const day = '2026-12-03';
    expect(await night(day, true)).toMatchObject({ partners: PARTNERS, notDue: 0, decisions: 0 });
    expect([...(await cards()).values()].every((c) => c.as_of === day)).toBe(true);
    await expectReference(day);
  });
});
