// Notification rules of demotion reviews (issue 16 item 3): the reviewers' `tier.review-pending`
// when a review is pending (keyed by partner, day X and tier; recorded only when old, for a
// terminated partner or with no reviewers), nothing to the partner during a review, and no
// at-risk email for the grace run a rejection starts. Plus the reviewers' email content.
import { describe, expect, it } from 'vitest';
import { notificationRequests } from '../../domain/alerts.ts';
import { dayOrThrow, type Day } from '../../domain/dates.ts';
import type { HistorySegment, Scorecard } from '../../domain/evaluation/scorecard.ts';
import { graceAfterRejection, reviewSince } from '../../domain/review-alerts.ts';
import { composeNotification } from '../../email/content.ts';
import { loadExampleProgram } from './alerts-fixture.ts';

const acme = loadExampleProgram();
const program = { ...acme, alerts: { ...acme.alerts, reviewersEmail: ['reviews@vendor.example'] } };
const today = dayOrThrow('2026-11-23');
const d = (s: string): Day => dayOrThrow(s);

function card(overrides: Partial<Scorecard> = {}): Scorecard {
  return {
    partnerId: 'P-1',
    asOf: '2026-11-23',
    program: { id: 'acme', version: '2027.1' },
    track: 'resell',
    qualifiedTier: 'registered',
    effectiveTier: 'silver',
    status: 'review',
    graceEndsOn: '2026-12-03',
    metrics: {},
    next: null,
    risks: [],
    benefits: {},
    ledger: { commission: '0.00', mdf: '0.00', rebate: '0.00' },
    ...overrides,
  };
}

const seg = (
  from: string,
  to: string,
  tierId: string,
  status: HistorySegment['status'],
  programVersion = '2027.1',
) => ({
  from: d(from),
  to: d(to),
  tierId,
  status,
  programVersion,
});

const inReview = [
  seg('2026-01-01', '2026-10-20', 'silver', 'qualified'),
  seg('2026-10-21', '2026-11-18', 'silver', 'grace'),
  seg('2026-11-19', '2026-11-20', 'silver', 'review', '2026.9'),
  seg('2026-11-21', '2026-11-23', 'silver', 'review'),
];
const base = { partnerId: 'P-1', program, today, terminated: false, changes: [] };

describe('tier.review-pending', () => {
  it('day X is the first day of the trailing review run at one tier, across program versions', () => {
    expect(reviewSince(inReview)).toBe(d('2026-11-19'));
    expect(reviewSince([...inReview.slice(0, 2)])).toBeNull();
  });

  it('asks for one reviewers request per review, keyed by partner, X and tier; nothing else', () => {
    const requests = notificationRequests({ ...base, scorecard: card(), history: inReview });
    expect(requests).toEqual([
      {
        kind: 'tier.review-pending',
        dedupKey: 'tier.review-pending|P-1|2026-11-19|silver',
        partnerId: 'P-1',
        day: '2026-11-19',
        send: true,
        payload: expect.objectContaining({
          from: 'silver',
          to: 'registered',
          since: '2026-11-19',
          autoApprovesOn: '2026-12-03',
        }) as unknown,
      },
    ]);
  });

  it('records only: no reviewers, an old review, a terminated partner', () => {
    const only = (input: Partial<Parameters<typeof notificationRequests>[0]>) =>
      notificationRequests({ ...base, scorecard: card(), history: inReview, ...input }).map((r) => r.skipReason);
    expect(only({ program: acme })).toEqual(['no reviewers: alerts.reviewersEmail is empty']);
    expect(only({ today: d('2026-12-01') })).toEqual([
      'change of 2026-11-19 is older than notifyChangesWithinDays (7 days)',
    ]);
    expect(only({ terminated: true })).toEqual(['partner terminated']);
  });

  it('a rejection starts a grace run without an at-risk email; an ordinary grace run still warns', () => {
    const rejected = [...inReview.slice(0, 3), seg('2026-11-21', '2026-11-23', 'silver', 'grace')];
    expect(graceAfterRejection(rejected)).toBe(true);
    const grace = card({ status: 'grace', graceEndsOn: '2026-12-10' });
    expect(notificationRequests({ ...base, scorecard: grace, history: rejected })).toEqual([]);
    const ordinary = inReview.slice(0, 2);
    expect(graceAfterRejection(ordinary)).toBe(false);
    expect(notificationRequests({ ...base, scorecard: grace, history: ordinary }).map((r) => r.kind)).toEqual([
      'tier.at-risk',
    ]);
  });
});

describe("the reviewers' email", () => {
  it('names the partner, the tiers, the auto-approval day, the console and the commands', () => {
    const [request] = notificationRequests({ ...base, scorecard: card(), history: inReview });
    const content = composeNotification({
      kind: 'tier.review-pending',
      payload: { day: request?.day, ...request?.payload },
      program,
      partnerName: 'Northwind Systems GmbH',
      unsubscribeUrl: 'https://tierline.example/unsubscribe?t=x',
      consoleUrl: 'https://tierline.example/console',
    });
    expect(content.subject).toBe('Review needed: Northwind Systems GmbH would move from Silver to Registered');
    const words = content.intro.map((p) => p.map((s) => s.text).join('')).join('\n');
    expect(words).toContain(
      'Since 19 November 2026, Northwind Systems GmbH (P-1) no longer meets the Silver requirements',
    );
    expect(words).toContain('the demotion takes effect on 3 December 2026');
    expect(words).toContain('https://tierline.example/console');
    expect(words).toContain('tierline reviews reject P-1 --by NAME --reason TEXT');
    expect(content.footer).toContain('alerts.reviewersEmail');
  });
});
