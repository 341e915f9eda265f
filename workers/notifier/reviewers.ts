// Who receives a notification: the partner's primary contacts, except the reviewers' own kind
// `tier.review-pending`, which goes to the program's `alerts.reviewersEmail`
// (docs/notifications.md#demotion-reviews).
import type { Program } from '../../domain/program/schema.ts';
import { REVIEW_PENDING } from '../../domain/review-alerts.ts';
import { normaliseAddress } from '../../email/safety.ts';

export interface ReviewerRecipient {
  key: string;
  address: string | undefined;
  name: string;
}

export const isReviewerKind = (kind: string): boolean => kind === REVIEW_PENDING;

/** The program's reviewers, lower-cased and deduplicated like contacts. */
export function reviewerRecipients(program: Program): ReviewerRecipient[] {
  const seen = new Map<string, ReviewerRecipient>();
  for (const email of program.alerts.reviewersEmail ?? []) {
    const key = email.trim().toLowerCase();
    if (key !== '' && !seen.has(key)) seen.set(key, { key, address: normaliseAddress(email), name: '' });
  }
  return [...seen.values()];
}
