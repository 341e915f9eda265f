// The central property with demotion reviews (issue 16): under a program with
// policy.demotionReview, random approve/reject decisions at random days of the reviews the
// history opens, made through the use case (`tierline reviews approve/reject`) while late
// backdated events stream in, leave every stored scorecard and ledger total equal to what
// `tierline evaluate --reviews` computes from the same events and the stored decisions; a
// full recompute afterwards (the nightly run's path) changes nothing. Retries store nothing
// and contradicting decisions are refused.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { storedReviewDecisions } from '../../db/repositories/review-decisions.ts';
import { dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { Refusal } from '../../services/errors.ts';
import { wakePartner } from '../../services/overrides.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { decideReview } from '../../services/reviews.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { ingest } from './ingest-jobs.ts';
import { prng, shuffle } from '../setup/prng.ts';
import { waitUntilDrained } from './drain.ts';

const AS_OF = '2026-11-23';

/** The acme program with reviews: short grace, so the generated history opens many reviews. */
function reviewProgram(): string {
  const program = JSON.parse(readFileSync('examples/acme/program.json', 'utf8')) as {
    policy: Record<string, unknown>;
  };
  program.policy.demotionGraceDays = 10;
  program.policy.demotionReview = { autoApproveAfterDays: 15 };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'central-reviews-')), 'program.json');
  writeFileSync(file, JSON.stringify(program));
  return file;
}

/** Late events: new deals closed months ago (they open, withdraw and move reviews). */
function backdated(events: readonly GeneratedEvent[], rnd: () => number): GeneratedEvent[] {
  const partners = [...new Set(events.map((e) => e.partnerId))];
  return partners.slice(0, 80).map((partnerId, i) => ({
    id: `late-deal-${i}`,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: `${AS_OF}T10:00:00Z`,
    partnerId,
    data: {
      dealId: `LATE-${i}`,
      stage: 'closed_won',
      amount: `${Math.floor(rnd() * 600_000)}.00`,
      currency: 'USD',
      customerId: `C-late-${i}`,
      closedAt: `2026-${String(1 + (i % 10)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
      version: 1,
    },
  }));
}

/**
 * Random decisions for one partner: up to three times, a random day of a review the history
 * (with the decisions chosen so far) still opens after the last decision, approve or reject.
 */
function planDecisions(reference: BatchEvaluation, partnerId: string, asOf: Day, rnd: () => number): ReviewDecision[] {
  const decisions: ReviewDecision[] = [];
  for (let round = 0; round < 3; round++) {
    const evaluation = reference.evaluate(partnerId, asOf, [], decisions);
    const after = decisions[decisions.length - 1]?.on ?? -Infinity;
    const open = (evaluation?.history ?? []).filter((s) => s.status === 'review' && s.from > after && s.tierId);
    const segment = open[Math.floor(rnd() * open.length)];
    if (segment === undefined || rnd() < 0.1) break;
    const on = segment.from + Math.floor(rnd() * (segment.to - segment.from + 1));
    const decision = rnd() < 0.5 ? 'approve' : 'reject';
    decisions.push({ partnerId, fromTier: segment.tierId as string, decision, on, by: 'prop', reason: `r${round}` });
  }
  return decisions;
}

describeWithPostgres('pipeline equals evaluate with random review decisions', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    vi.stubEnv('TIERLINE_TODAY', AS_OF);
    pipeline = await createPipeline(reviewProgram());
    await pipeline.startWorkers(['ingest', 'recompute']);
  });

  afterAll(async () => {
    await pipeline?.stop();
    vi.unstubAllEnvs();
  });

  it(
    'stores what evaluate computes with the stored decisions, made while late events arrive',
    { timeout: 300_000 },
    async () => {
      const rnd = prng(1616);
      const asOf = dayOrThrow(AS_OF);
      const history = [...generateHistory({ partners: 300, seed: 16, until: AS_OF, months: 24, eventsPerPartner: 50 })];
      const first = shuffle([...history], rnd);
      await ingest(pipeline, first);
      await waitUntilDrained(pipeline);

      // Decisions planned on what the pipeline holds now; the late events may move their reviews.
      const before = new BatchEvaluation(pipeline.program);
      for (const e of first) before.addObject(e);
      const planned = before.partnerIds().map((id) => planDecisions(before, id, asOf, rnd));
      expect(planned.flat().length).toBeGreaterThan(20);
      const { db } = pipeline.database;
      const decide = async (d: ReviewDecision): Promise<'stored' | 'same' | 'refused'> => {
        const request = {
          partnerId: d.partnerId,
          decision: d.decision,
          on: formatDay(d.on),
          by: d.by,
          reason: d.reason ?? undefined,
        };
        try {
          const result = await decideReview(db, request, { today: () => asOf });
          await wakePartner(db, pipeline.queues, d.partnerId);
          return result.created ? 'stored' : 'same';
        } catch (error) {
          if (error instanceof Refusal) return 'refused';
          throw error;
        }
      };
      // Each partner's decisions in their order (with a retry of each), partners interleaved.
      const perPartner = planned.filter((list) => list.length > 0);
      const outcomes: string[] = [];
      const decisionsDone = Promise.all(
        perPartner.map(async (list) => {
          for (const d of list) {
            outcomes.push(await decide(d));
            outcomes.push(await decide(d));
          }
        }),
      );
      const late = backdated(history, rnd);
      await Promise.all([decisionsDone, ingest(pipeline, shuffle([...late], rnd))]);
      // A contradiction of a stored decision, on its own day, is refused.
      const storedNow = await storedReviewDecisions(db, before.partnerIds());
      const firstStored = [...storedNow.values()].flat()[0] as ReviewDecision;
      const flipped = firstStored.decision === 'approve' ? 'reject' : 'approve';
      expect(await decide({ ...firstStored, decision: flipped, reason: 'flip' })).toBe('refused');
      await waitUntilDrained(pipeline);

      const count = (o: string) => outcomes.filter((x) => x === o).length;
      expect(count('stored')).toBeGreaterThan(12);
      expect(count('same')).toBeGreaterThanOrEqual(count('stored'));

      const reference = new BatchEvaluation(pipeline.program);
      for (const e of [...first, ...late]) reference.addObject(e);
      const decisions = await storedReviewDecisions(db, reference.partnerIds());
      const expected = reference
        .partnerIds()
        .map((id) => reference.evaluate(id, asOf, [], decisions.get(id) ?? [])?.scorecard);
      // The decisions matter: without them, the history or scorecard of many partners differs.
      const changed = reference.partnerIds().filter((id) => {
        const mine = reference.evaluate(id, asOf, [], decisions.get(id) ?? []);
        const none = reference.evaluate(id, asOf);
        return JSON.stringify([mine?.history, mine?.scorecard]) !== JSON.stringify([none?.history, none?.scorecard]);
      });
      expect(changed.length).toBeGreaterThan(10);

      const compare = async () => {
        const stored = await db
          .selectFrom('scorecards')
          .select(['partner_id', 'scorecard'])
          .orderBy('partner_id')
          .execute();
        expect(stored.map((r) => r.partner_id)).toEqual(reference.partnerIds());
        expect(stored.map((r) => r.scorecard)).toEqual(expected);
        const totals = await db
          .selectFrom('ledger_entries')
          .select(['partner_id', 'benefit', sql<string>`sum(amount)::text`.as('total')])
          .groupBy(['partner_id', 'benefit'])
          .execute();
        for (const row of totals) {
          const card = expected.find((c) => c?.partnerId === row.partner_id);
          expect({ partner: row.partner_id, benefit: row.benefit, total: row.total }).toEqual({
            partner: row.partner_id,
            benefit: row.benefit,
            total: card?.ledger[row.benefit],
          });
        }
        // The stored history is the reference's, run by run.
        const runs = await db
          .selectFrom('effective_tier_history')
          .select(['partner_id', 'tier_id', 'status'])
          .where('superseded_at', 'is', null)
          .orderBy('partner_id')
          .orderBy('valid_from')
          .execute();
        const expectedRuns = reference.partnerIds().flatMap((id) =>
          (reference.evaluate(id, asOf, [], decisions.get(id) ?? [])?.history ?? []).map((s) => ({
            partner_id: id,
            tier_id: s.tierId,
            status: s.status,
          })),
        );
        expect(runs).toEqual(expectedRuns);
      };
      await compare();
      // The nightly run's path: every partner again, from scratch; nothing changes.
      const summary = await recomputePartners(db, pipeline.program, reference.partnerIds(), asOf);
      expect(summary.decisions).toBe(0);
      expect(summary.ledgerEntries).toBe(0);
      await compare();
    },
  );
});
