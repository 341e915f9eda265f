// The reviewers' email `tier.review-pending` (docs/notifications.md#demotion-reviews): a
// partner's demotion awaits a person. It names the partner, the tiers, the day the demotion
// takes effect if nobody acts, and where to decide (the console, or the command line).
import type { EmailContent, NotificationPayload, Segment } from './content.ts';
import { formatLongDate } from './format.ts';
import { headerText } from './safety.ts';

export interface ReviewPendingInput {
  /** What every email of the program shares (content.ts's base), its footer replaced here. */
  base: Omit<EmailContent, 'subject' | 'preheader' | 'tone' | 'eyebrow' | 'headline' | 'intro'>;
  payload: NotificationPayload;
  partnerId: string;
  tierName(id: string | null | undefined): string;
  /** The console's address (`TIERLINE_PUBLIC_URL` + /console), when known. */
  consoleUrl?: string | undefined;
}

const strong = (text: string): Segment => ({ text, strong: true });
const plain = (text: string): Segment => ({ text });

export function reviewPendingContent(input: ReviewPendingInput): EmailContent {
  const { base, payload, tierName, partnerId } = input;
  const partner = base.partnerName;
  const from = tierName(payload.from);
  const to = tierName(payload.to);
  const since = typeof payload.since === 'string' ? formatLongDate(payload.since) : formatLongDate(payload.day);
  const autoDay = typeof payload.autoApprovesOn === 'string' ? formatLongDate(payload.autoApprovesOn) : undefined;
  const where: Segment[] = input.consoleUrl
    ? [plain('Approve or reject it with a reason in the console: '), strong(input.consoleUrl), plain(', or with ')]
    : [plain('Approve or reject it with ')];
  return {
    ...base,
    subject: headerText(`Review needed: ${partner} would move from ${from} to ${to}`),
    preheader: autoDay
      ? `Unless someone decides, ${partner} moves to ${to} on ${autoDay}.`
      : `The demotion of ${partner} awaits a decision.`,
    tone: 'warn',
    eyebrow: 'Demotion review',
    headline: `${partner}: demotion from ${from} to ${to} awaits review`,
    intro: [
      [
        plain('Since '),
        strong(since),
        plain(', '),
        strong(partner),
        plain(
          ` (${partnerId}) no longer meets the ${from} requirements and its grace period has ended. It qualifies for `,
        ),
        strong(to),
        plain('.'),
      ],
      autoDay
        ? [plain('If nobody decides, the demotion takes effect on '), strong(autoDay), plain('.')]
        : [plain('The demotion waits for a decision.')],
      [
        ...where,
        strong(`tierline reviews approve ${partnerId} --by NAME`),
        plain(' or '),
        strong(`tierline reviews reject ${partnerId} --by NAME --reason TEXT`),
        plain(
          '. A rejection gives the partner a full grace period again. The partner is not told about the review until it is decided.',
        ),
      ],
    ],
    // The standing section speaks to the partner ("Where you stand"); reviewers read about it.
    standing: { ...base.standing, title: base.standing.title.replace(/^Where you stand/, `Where ${partner} stands`) },
    footer: `You receive this email because you review demotions in the ${base.programName} (alerts.reviewersEmail).`,
  };
}
