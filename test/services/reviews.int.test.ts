// Issue 16 item 2 and 3 on a real database, through the use case: examples/review-style with
// reviewers set, today 2026-11-18 (reviews of opened on 2026-11-13 and
// auto-approve on 2026-11-27). A decision is stored, audited and owed a recompute; the stored
// results then equal `evaluate` with the same decisions; the same decision again stores
// nothing; a contradicting one, one with nothing pending, one before the review opened, one
// after today and one for an unknown partner are refused with one line. The reviewers get
// `tier.review-pending` (through the notifier, to alerts.reviewersEmail); the partner gets the
// demotion email only once approved, and nothing for a rejection's new grace run.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { storedReviewDecisions } from '../../db/repositories/review-decisions.ts';
import { showEmail } from '../../services/emails.ts';
import { Refusal } from '../../services/errors.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { decideReview, pendingReviews, type ReviewRequest } from '../../services/reviews.ts';
import { createNotifier } from '../../workers/notifier/notifier.ts';
import type { MailTransport, OutgoingMail } from '../../workers/notifier/transport.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { putFacts, reference, storedScorecard } from '../recompute/support.ts';
import { silent, testConfig } from '../notifier/support.ts';

const TODAY = '2026-11-18';
const IDS = ['R-1', 'R-2', 'R-3', 'R-4', 'R-5'];
const REVIEWERS = ['reviews@vendor.example', 'Maria@Vendor.example'];
const events = readFileSync('examples/review-style/events.jsonl', 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>);

function programWithReviewers(): string {
  const program = JSON.parse(readFileSync('examples/review-style/program.json', 'utf8')) as {
    alerts: Record<string, unknown>;
  };
  program.alerts.reviewersEmail = REVIEWERS;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'reviews-')), 'program.json');
  writeFileSync(file, JSON.stringify(program));
  return file;
}

describeWithPostgres('demotion reviews in the pipeline (issue 16)', () => {
  let pipeline: Pipeline;
  const db = () => pipeline.database.db;
  const decide = (r: Partial<ReviewRequest> & { partnerId: string }) =>
    decideReview(db(), { decision: 'approve', by: 'maria', ...r }, { today: () => dayOrThrow(TODAY) });
  const refusal = async (r: Partial<ReviewRequest> & { partnerId: string }): Promise<string> => {
    const error = await decide(r).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Refusal);
    return (error as Refusal).message;
  };
  const recompute = () => recomputePartners(db(), pipeline.program, IDS, dayOrThrow(TODAY));
  const outbox = () =>
    db()
      .selectFrom('outbox')
      .select(['kind', 'partner_id', 'payload', 'status', 'dedup_key'])
      .orderBy('id')
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, payload: r.payload as Record<string, unknown> })));
  const counts = async () => ({
    decisions: (await db().selectFrom('review_decisions').select('id').execute()).length,
    audit: (await db().selectFrom('audit_log').select('id').execute()).length,
  });

  beforeAll(async () => {
    pipeline = await createPipeline(programWithReviewers());
    await putFacts(pipeline, events);
    await recompute();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('lists the pending reviews with their tiers, day X and auto-approval day', async () => {
    const pending = await pendingReviews(db());
    expect(pending.map((r) => [r.partnerId, r.fromTier, r.toTier, r.since, r.autoApprovesOn])).toEqual(
      ['R-1', 'R-2', 'R-3'].map((id) => [
        id,
        'silver',
        'registered',
        dayOrThrow('2026-11-13'),
        dayOrThrow('2026-11-27'),
      ]),
    );
  });

  it('lists the review stored with the scorecard by the recompute; without it, evaluates again to the same list', async () => {
    const stored = await db()
      .selectFrom('scorecards')
      .select(['partner_id', 'review'])
      .where('status', '=', 'review')
      .orderBy('partner_id')
      .execute();
    expect(stored).toEqual(
      ['R-1', 'R-2', 'R-3'].map((id) => ({
        partner_id: id,
        review: { fromTier: 'silver', toTier: 'registered', since: '2026-11-13', autoApprovesOn: '2026-11-27' },
      })),
    );
    const listed = await pendingReviews(db());
    await db().updateTable('scorecards').set({ review: null }).execute();
    try {
      expect(await pendingReviews(db())).toEqual(listed);
    } finally {
      for (const r of stored)
        await db()
          .updateTable('scorecards')
          .set({ review: JSON.stringify(r.review) })
          .where('partner_id', '=', r.partner_id)
          .execute();
    }
  });

  it('opens a tier.review-pending per review for the reviewers; nothing for the partners yet', async () => {
    const rows = await outbox();
    const review = rows.filter((r) => r.kind === 'tier.review-pending');
    expect(review.map((r) => [r.partner_id, r.status])).toEqual([
      ['R-1', 'pending'],
      ['R-2', 'pending'],
      ['R-3', 'pending'],
    ]);
    expect(review[0]?.payload).toMatchObject({
      day: '2026-11-13',
      from: 'silver',
      to: 'registered',
      since: '2026-11-13',
      autoApprovesOn: '2026-11-27',
    });
    // R-5's review (no decision) auto-approved on 2026-11-02: its demotion is recorded, too old to send.
    expect(rows.filter((r) => r.kind === 'tier.demoted').map((r) => [r.partner_id, r.status])).toEqual([
      ['R-5', 'skipped'],
    ]);
  });

  it('refuses bad decisions with one line and stores nothing', async () => {
    const before = await counts();
    expect(await refusal({ partnerId: 'P-404' })).toBe('unknown partner "P-404": no event has named it');
    expect(await refusal({ partnerId: 'R-4' })).toBe('no demotion review of R-4 is pending on 2026-11-18');
    expect(await refusal({ partnerId: 'R-1', on: '2026-11-12' })).toBe(
      'the demotion review of R-1 opened on 2026-11-13: a decision dated 2026-11-12 is before it',
    );
    expect(await refusal({ partnerId: 'R-1', on: '2026-11-19' })).toBe('--on 2026-11-19 is after today (2026-11-18)');
    expect(await refusal({ partnerId: 'R-1', decision: 'reject' })).toBe('a rejection needs --reason');
    expect(await refusal({ partnerId: 'R-1', on: '2026-13-01' })).toBe(
      '--on: expected a date YYYY-MM-DD, got "2026-13-01"',
    );
    expect(await counts()).toEqual(before);
  });

  it('stores an approval and a rejection, audited, each owing a recompute from its day', async () => {
    const approved = await decide({ partnerId: 'R-2', on: '2026-11-16', reason: 'revenue gone' });
    expect(approved).toMatchObject({ created: true, fromTier: 'silver', toTier: 'registered', on: '2026-11-16' });
    const rejected = await decide({ partnerId: 'R-3', decision: 'reject', on: '2026-11-14', reason: 'renewal due' });
    expect(rejected).toMatchObject({ created: true, fromTier: 'silver', on: '2026-11-14' });
    const audit = await db().selectFrom('audit_log').select(['actor', 'action', 'partner_id']).orderBy('id').execute();
    expect(audit).toEqual([
      { actor: 'maria', action: 'review.approve', partner_id: 'R-2' },
      { actor: 'maria', action: 'review.reject', partner_id: 'R-3' },
    ]);
    const owed = await db()
      .selectFrom('recompute_requests')
      .select(['partner_id', 'from_day'])
      .orderBy('partner_id')
      .execute();
    expect(owed).toEqual([
      { partner_id: 'R-2', from_day: '2026-11-16' },
      { partner_id: 'R-3', from_day: '2026-11-14' },
    ]);
    // Their stored reviews are out of date until the recompute: they are evaluated again, decided.
    expect((await pendingReviews(db())).map((r) => r.partnerId)).toEqual(['R-1']);
  });

  it('the same decision again is a no-op; a contradicting one is refused', async () => {
    const before = await counts();
    expect(await decide({ partnerId: 'R-2', on: '2026-11-16', by: 'tom' })).toMatchObject({
      created: false,
      by: 'maria',
      on: '2026-11-16',
    });
    // The next day nothing is pending any more; the last decision was this one.
    expect(await decide({ partnerId: 'R-2', by: 'tom' })).toMatchObject({ created: false, on: '2026-11-16' });
    expect(await refusal({ partnerId: 'R-3', on: '2026-11-14' })).toBe(
      'the demotion review of R-3 (silver since 2026-11-13) was already rejected on 2026-11-14 by maria (renewal due)',
    );
    expect(await refusal({ partnerId: 'R-2', on: '2026-11-16', decision: 'reject', reason: 'no' })).toBe(
      'the demotion review of R-2 (silver since 2026-11-13) was already approved on 2026-11-16 by maria (revenue gone)',
    );
    expect(await counts()).toEqual(before);
  });

  it('after the recompute the stored results equal evaluate with the same decisions', async () => {
    await recompute();
    const batch = reference(pipeline.program, events);
    const decisions = await storedReviewDecisions(db(), IDS);
    for (const id of IDS) {
      const expected = batch.evaluate(id, dayOrThrow(TODAY), [], decisions.get(id) ?? []);
      expect(await storedScorecard(db(), id), id).toEqual(expected?.scorecard);
    }
    expect(await storedScorecard(db(), 'R-2')).toMatchObject({ effectiveTier: 'registered', status: 'qualified' });
    expect(await storedScorecard(db(), 'R-3')).toMatchObject({ status: 'grace', graceEndsOn: '2026-12-13' });
    expect((await pendingReviews(db())).map((r) => r.partnerId)).toEqual(['R-1']);
  });

  it('approved: the partner gets the demotion email; rejected: no email for the new grace run', async () => {
    const rows = await outbox();
    expect(rows.filter((r) => r.kind === 'tier.demoted').map((r) => [r.partner_id, r.payload.day])).toEqual([
      ['R-5', '2026-11-02'],
      ['R-2', '2026-11-16'],
    ]);
    expect(
      rows.filter((r) => r.partner_id === 'R-3' && r.kind === 'tier.at-risk' && r.payload.day === '2026-11-14'),
    ).toEqual([]);
  });

  it('emails show: a review-pending row goes to the reviewers', async () => {
    const row = await db()
      .selectFrom('outbox')
      .select('id')
      .where('kind', '=', 'tier.review-pending')
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const shown = await showEmail(db(), row.id);
    expect(shown.to).toEqual(REVIEWERS);
    expect(shown.rendered.subject).toBe('Review needed: Pending Review Ltd would move from Silver to Registered');
  });

  describe('the notifier', () => {
    it('sends tier.review-pending to the reviewers, naming partner, tiers, auto-approval day and console', async () => {
      const sent: OutgoingMail[] = [];
      const transport: MailTransport = {
        description: 'memory',
        send: async (mail) => {
          sent.push(mail);
          return { messageId: mail.messageId, response: '250 ok' };
        },
        close: () => {},
      };
      const notifier = createNotifier({
        db: db(),
        log: silent,
        config: { ...testConfig(undefined), publicUrl: 'https://tierline.example/' },
        transport,
      });
      await notifier.runOnce();
      await notifier.stop();
      const reviews = sent.filter((m) => m.headers['X-Tierline-Kind'] === 'tier.review-pending');
      // Three reviews, each to both reviewers (addresses lower-cased once).
      expect(reviews.map((m) => m.to.address.toLowerCase()).sort()).toEqual(
        [...REVIEWERS, ...REVIEWERS, ...REVIEWERS].map((a) => a.toLowerCase()).sort(),
      );
      const r1 = reviews.find((m) => m.text.includes('(R-1)'));
      expect(r1?.subject).toBe('Review needed: Pending Review Ltd would move from Silver to Registered');
      expect(r1?.text).toContain('27 November 2026');
      expect(r1?.text).toContain('https://tierline.example/console');
      expect(r1?.text).toContain('tierline reviews approve R-1 --by NAME');
    });
  });
});
