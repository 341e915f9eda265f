// The notification rules of demotion reviews (docs/notifications.md#demotion-reviews): the
// program's reviewers get `tier.review-pending` when a review opens; the partner hears nothing
// about a review until it is decided — an approval demotes (the ordinary `tier.demoted`), a
// rejection or a withdrawal sends nothing, not even the at-risk email of the new grace run a
// rejection starts. Kept apart from alerts.ts, which applies these rules to its requests last.
import { formatDay, type Day } from './dates.ts';
import type { HistorySegment, Scorecard } from './evaluation/scorecard.ts';
import type { Program } from './program/schema.ts';

export const REVIEW_PENDING = 'tier.review-pending';

export interface ReviewAlertInput {
  partnerId: string;
  program: Program;
  today: Day;
  terminated: boolean;
  scorecard: Scorecard;
  history: readonly HistorySegment[];
}

/** The part of a notification request these rules read and write (alerts.ts's NotificationRequest). */
export interface RequestLike {
  kind: string;
  dedupKey: string;
  partnerId: string;
  day: string;
  send: boolean;
  skipReason?: string;
  payload: Record<string, unknown>;
}

const key = (...parts: string[]): string => parts.map((p) => p.replaceAll('|', '%7C')).join('|');

/**
 * Day X of the review pending at the end of the history: the first day of the trailing run of
 * `review` segments at one tier (a program version change splits a run into segments).
 */
export function reviewSince(history: readonly HistorySegment[]): Day | null {
  let since: Day | null = null;
  for (let i = history.length - 1; i >= 0; i--) {
    const seg = history[i] as HistorySegment;
    const last = history[history.length - 1] as HistorySegment;
    if (seg.status !== 'review' || seg.tierId !== last.tierId) break;
    since = seg.from;
  }
  return since;
}

/** The grace run in progress at the end of the history was started by a rejected review. */
export function graceAfterRejection(history: readonly HistorySegment[]): boolean {
  const last = history[history.length - 1];
  const before = history[history.length - 2];
  return (
    last?.status === 'grace' &&
    before?.status === 'review' &&
    before.tierId === last.tierId &&
    before.to + 1 === last.from
  );
}

/** The reviewers' request for the review pending today, if any. */
export function reviewPendingRequest(input: ReviewAlertInput): RequestLike | undefined {
  const { scorecard, program, partnerId } = input;
  if (scorecard.status !== 'review') return undefined;
  const since = reviewSince(input.history);
  if (since === null) return undefined;
  const fromTier = scorecard.effectiveTier ?? '';
  const reviewers = program.alerts.reviewersEmail ?? [];
  const within = program.alerts.notifyChangesWithinDays;
  const skipReason = input.terminated
    ? 'partner terminated'
    : since < input.today - within
      ? `change of ${formatDay(since)} is older than notifyChangesWithinDays (${within} days)`
      : reviewers.length === 0
        ? 'no reviewers: alerts.reviewersEmail is empty'
        : undefined;
  return {
    kind: REVIEW_PENDING,
    dedupKey: key(REVIEW_PENDING, partnerId, formatDay(since), fromTier),
    partnerId,
    day: formatDay(since),
    send: skipReason === undefined,
    ...(skipReason === undefined ? {} : { skipReason }),
    payload: {
      from: fromTier,
      to: scorecard.qualifiedTier,
      since: formatDay(since),
      autoApprovesOn: scorecard.graceEndsOn,
      scorecard,
    },
  };
}

/** The partner's requests without what a review keeps quiet, plus the reviewers' request. */
export function withReviewRules<R extends RequestLike>(input: ReviewAlertInput, requests: R[]): R[] {
  const quiet = graceAfterRejection(input.history);
  const kept = requests.filter((r) => !(quiet && r.kind === 'tier.at-risk' && r.payload.reason === 'grace'));
  const pending = reviewPendingRequest(input);
  return pending === undefined ? kept : [...kept, pending as R];
}
