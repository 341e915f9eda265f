// What a daily digest says (docs/notifications.md#daily-digest): one email with each of the
// day's notifications as a section, worded exactly as its own email would be (content.ts),
// in the fixed order of domain/digest.ts, then where the partner stands (the newest
// scorecard) and the partner page link once. Pure.
import type { NotificationKind } from '../domain/alerts.ts';
import { orderDigestItems } from '../domain/digest.ts';
import type { Program } from '../domain/program/schema.ts';
import { composeNotification, type EmailContent } from './content.ts';
import { formatLongDate } from './format.ts';
import { headerText } from './safety.ts';

export interface DigestItemInput {
  /** The outbox row's id (orders items of one kind). */
  id: string;
  kind: NotificationKind;
  payload: unknown;
  /** The program version its scorecard was computed with. */
  program: Program;
  /** This recipient's unsubscribe link for the item's kind. */
  unsubscribeUrl: string;
}

export interface DigestInput {
  /** The business day the digest gathers. */
  day: string;
  /** The program in force (its name heads the email). */
  program: Program;
  partnerName: string;
  recipientName?: string | undefined;
  items: readonly DigestItemInput[];
  /** The partner's page link (signed). */
  pageUrl?: string | undefined;
  /** Stops every kind for this recipient and partner (the List-Unsubscribe header's link). */
  unsubscribeUrl: string;
}

export type DigestSection = Pick<
  EmailContent,
  'kind' | 'subject' | 'tone' | 'eyebrow' | 'headline' | 'intro' | 'needs' | 'risks' | 'benefits' | 'unsubscribe'
>;

export interface DigestContent {
  subject: string;
  preheader: string;
  programName: string;
  partnerName: string;
  greeting: string;
  headline: string;
  sections: DigestSection[];
  standing: EmailContent['standing'];
  footer: string;
  unsubscribe: { url: string; text: string };
  page?: { url: string; text: string } | undefined;
}

/** The digest for one recipient. Throws PayloadError (content.ts) for an item it cannot read. */
export function composeDigest(input: DigestInput): DigestContent {
  if (input.items.length === 0) throw new Error('a digest needs at least one notification');
  const items = orderDigestItems(input.items);
  const contents = items.map((item) =>
    composeNotification({
      kind: item.kind,
      payload: item.payload,
      program: item.program,
      partnerName: input.partnerName,
      recipientName: input.recipientName,
      unsubscribeUrl: item.unsubscribeUrl,
    }),
  );
  const first = contents[0] as EmailContent;
  // Where the partner stands: the newest notification's scorecard.
  const newest = contents[items.indexOf(items.reduce((a, b) => (BigInt(a.id) < BigInt(b.id) ? b : a)))] ?? first;
  const partner = first.partnerName;
  const programName = input.program.name;
  const more = contents.length - 1;
  const day = formatLongDate(input.day);
  return {
    subject: headerText(
      more === 0 ? first.subject : `${first.subject} (and ${more} more update${more === 1 ? '' : 's'})`,
    ),
    preheader: contents.map((c) => c.headline).join(' · '),
    programName,
    partnerName: partner,
    greeting: first.greeting,
    headline: `${partner}: ${contents.length === 1 ? 'your update' : `${contents.length} updates`} of ${day}`,
    sections: contents.map((c) => ({
      kind: c.kind,
      subject: c.subject,
      tone: c.tone,
      eyebrow: c.eyebrow,
      headline: c.headline,
      intro: c.intro,
      needs: c.needs,
      risks: c.risks,
      benefits: c.benefits,
      unsubscribe: c.unsubscribe,
    })),
    standing: newest.standing,
    footer: `${first.footer} This is your daily summary: one email a day with all of that day's news.`,
    unsubscribe: { url: input.unsubscribeUrl, text: 'Unsubscribe from all of these emails' },
    page: input.pageUrl ? { url: input.pageUrl, text: 'See where you stand, any day' } : undefined,
  };
}
