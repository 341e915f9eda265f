// Demotion review decisions as written in a reviews file (docs/program.md#demotion-review):
// one per line, keyed by partner, the tier being left (`fromTier`) and the day. Whether a
// decision finds a pending review is for the timeline to say; here only its shape is checked.
import { z } from 'zod';
import { dayOrThrow, parseDay, type Day } from './dates.ts';
import { issueLines } from './program/issues.ts';

const day = z.string().refine((s) => parseDay(s) !== undefined, { message: 'expected a date YYYY-MM-DD' });

export const reviewDecisionSchema = z
  .object({
    partnerId: z.string().min(1),
    fromTier: z.string().min(1),
    decision: z.enum(['approve', 'reject']),
    on: day,
    by: z.string().min(1),
    // The command line lets an approval go without a reason, never a rejection.
    reason: z.string().min(1).nullish(),
  })
  .refine((r) => r.decision !== 'reject' || (r.reason ?? '') !== '', {
    message: 'a reject decision needs a reason',
    path: ['reason'],
  });

export interface ReviewDecision {
  partnerId: string;
  /** The effective tier the review would lower (e of the day before `on`). */
  fromTier: string;
  decision: 'approve' | 'reject';
  on: Day;
  by: string;
  reason: string | null;
}

export type ReviewDecisionParse = { ok: true; decision: ReviewDecision } | { ok: false; reason: string };

export function parseReviewDecision(raw: unknown): ReviewDecisionParse {
  const parsed = reviewDecisionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: issueLines(parsed.error.issues).join('; ') };
  const r = parsed.data;
  return {
    ok: true,
    decision: {
      partnerId: r.partnerId,
      fromTier: r.fromTier,
      decision: r.decision,
      on: dayOrThrow(r.on),
      by: r.by,
      reason: r.reason ?? null,
    },
  };
}
