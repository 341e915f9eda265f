// What a notification email says, as a view model the templates lay out: a subject, a
// headline, paragraphs, what the partner still needs (in words, with amounts), dated risks,
// the benefits gained or at stake, and where the partner stands. Pure: the payload is the
// outbox row's (domain/alerts.ts), the program the version the scorecard was computed with.
import { z } from 'zod';
import type { NotificationKind } from '../domain/alerts.ts';
import type { Program, Track } from '../domain/program/schema.ts';
import { capitalise, formatCount, formatLongDate, formatPercent, joinWords } from './format.ts';
import {
  criterionKindAt,
  metricLabel,
  metricValue,
  metricWords,
  needPhrase,
  type CriterionKind,
  type MetricWords,
} from './metrics.ts';
import { reviewPendingContent } from './review.ts';
import { headerText } from './safety.ts';

export const NOTIFICATION_KINDS = [
  'tier.promoted',
  'tier.demoted',
  'tier.at-risk',
  'tier.near-promotion',
  'tier.review-pending',
] as const satisfies readonly NotificationKind[];

const unmetSchema = z.object({
  path: z.string(),
  metric: z.string(),
  actual: z.string(),
  required: z.string(),
  shortBy: z.string(),
});
const tierId = z.string().nullable().optional();
const riskMoveSchema = z.object({ metric: z.string(), from: z.string(), to: z.string(), leaving: z.string() });
/** A dated risk (domain/evaluation/risks.ts); rows written before risks had structured fields lack them. */
const riskSchema = z.object({
  kind: z.string(),
  on: z.string(),
  detail: z.string(),
  tier: tierId,
  fallsTo: tierId,
  metrics: z.array(riskMoveSchema).optional(),
  certifications: z.array(z.string()).optional(),
});

export const scorecardSchema = z.looseObject({
  partnerId: z.string(),
  asOf: z.string(),
  program: z.object({ id: z.string(), version: z.string() }),
  track: z.string().nullable(),
  qualifiedTier: z.string().nullable(),
  effectiveTier: z.string().nullable(),
  status: z.string(),
  graceEndsOn: z.string().nullable(),
  metrics: z.record(z.string(), z.string()),
  next: z.object({ tier: z.string(), unmet: z.array(unmetSchema) }).nullable(),
  risks: z.array(riskSchema),
  benefits: z.record(z.string(), z.string().optional()),
});

/** The outbox payload: `{day, ...kind-specific fields, scorecard}` (domain/alerts.ts). */
export const payloadSchema = z.looseObject({
  day: z.string(),
  scorecard: scorecardSchema,
  from: tierId,
  to: tierId,
  qualified: tierId,
  reason: z.string().optional(),
  graceEndsOn: z.string().nullable().optional(),
  on: z.string().optional(),
  detail: z.string().optional(),
  risk: riskSchema.optional(),
  tier: z.string().optional(),
  unmet: z.array(unmetSchema).optional(),
  since: z.string().optional(),
  autoApprovesOn: z.string().nullable().optional(),
});

export type NotificationPayload = z.infer<typeof payloadSchema>;
type ScorecardView = z.infer<typeof scorecardSchema>;
type Unmet = z.infer<typeof unmetSchema>;
type RiskView = z.infer<typeof riskSchema>;

export interface Segment {
  text: string;
  strong?: boolean;
}

export type Tone = 'good' | 'warn' | 'bad' | 'info';

export interface BenefitRow {
  label: string;
  before: string;
  after: string;
  change: 'gain' | 'loss' | 'same';
}

export interface EmailContent {
  kind: NotificationKind;
  /** Header-safe: one line, no control characters. */
  subject: string;
  /** The line mail clients show after the subject. */
  preheader: string;
  programName: string;
  partnerName: string;
  greeting: string;
  tone: Tone;
  /** A short label above the headline ("Promotion", "Action needed"). */
  eyebrow: string;
  headline: string;
  intro: Segment[][];
  /** What is still missing: a sentence, and the items as a list when there are many. */
  needs?: { title: string; summary: string; items: string[] };
  risks?: { title: string; items: Array<{ date: string; text: string }> };
  benefits?: { title: string; beforeLabel: string; afterLabel: string; rows: BenefitRow[]; note?: string };
  standing: { title: string; rows: Array<{ label: string; value: string }> };
  footer: string;
  unsubscribe: { url: string; text: string };
  /** The partner's own page (SPEC §12): where it stands, always current. */
  page?: { url: string; text: string } | undefined;
}

export interface ComposeInput {
  kind: NotificationKind;
  /** The outbox row's payload (validated here). */
  payload: unknown;
  /** The program version the scorecard was computed with. */
  program: Program;
  partnerName: string;
  recipientName?: string | undefined;
  unsubscribeUrl: string;
  /** The partner's page link (signed); absent for the reviewers' email. */
  pageUrl?: string | undefined;
  /** The console's address, named in the reviewers' email. */
  consoleUrl?: string | undefined;
}

export class PayloadError extends Error {
  override name = 'PayloadError';
}

const BENEFITS: Array<{ key: 'commissionRate' | 'mdfRate' | 'rebateRate'; label: string }> = [
  { key: 'commissionRate', label: 'Commission' },
  { key: 'mdfRate', label: 'Marketing development funds (MDF)' },
  { key: 'rebateRate', label: 'Rebate' },
];

const KIND_NAMES: Record<NotificationKind, string> = {
  'tier.promoted': 'promotion emails',
  'tier.demoted': 'tier change emails',
  'tier.at-risk': 'at-risk alerts',
  'tier.near-promotion': 'near-promotion emails',
  'tier.review-pending': 'demotion review emails',
};

export function parsePayload(payload: unknown): NotificationPayload {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success)
    throw new PayloadError(
      `outbox payload is not a notification payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

class Words {
  readonly track: Track | undefined;

  constructor(
    readonly program: Program,
    readonly card: ScorecardView,
  ) {
    this.track = program.tracks.find((t) => t.id === card.track);
  }

  metricWords(name: string): MetricWords {
    return metricWords(name, this.program.metrics[name], this.program.certifications);
  }

  tierName(id: string | null | undefined): string {
    if (!id) return 'no tier';
    return this.track?.tiers.find((t) => t.id === id)?.name ?? id;
  }

  tierIndex(id: string | null | undefined): number {
    return this.track?.tiers.findIndex((t) => t.id === id) ?? -1;
  }

  tierBelow(id: string | null | undefined): string | undefined {
    const index = this.tierIndex(id);
    return index > 0 ? this.track?.tiers[index - 1]?.id : undefined;
  }

  benefitsOf(id: string | null | undefined): Partial<Record<string, string>> {
    return this.track?.tiers.find((t) => t.id === id)?.benefits ?? {};
  }

  benefitRows(from: string | null | undefined, to: string | null | undefined): BenefitRow[] {
    const before = this.benefitsOf(from);
    const after = this.benefitsOf(to);
    return BENEFITS.filter(({ key }) => before[key] !== undefined || after[key] !== undefined).map(({ key, label }) => {
      const b = before[key];
      const a = after[key];
      const cmp = compareRates(b ?? '0', a ?? '0');
      return {
        label,
        before: b === undefined ? '—' : formatPercent(b),
        after: a === undefined ? '—' : formatPercent(a),
        change: cmp < 0 ? 'gain' : cmp > 0 ? 'loss' : 'same',
      };
    });
  }

  needs(unmet: readonly Unmet[], tier: string): { items: string[]; kinds: Array<CriterionKind | undefined> } {
    const criteria = this.track?.tiers.find((t) => t.id === tier)?.criteria;
    const kinds = unmet.map((u) => criterionKindAt(criteria, u.path));
    return { items: unmet.map((u, i) => needPhrase(u, this.program, kinds[i])), kinds };
  }

  needsSection(title: string, target: string, purpose: string): EmailContent['needs'] {
    const next = this.card.next;
    if (!next || next.tier !== target || next.unmet.length === 0) return undefined;
    return this.needsBox(title, next.unmet, target, purpose);
  }

  /** The sentence of docs/notifications.md ("You need $88,000 more ... to reach Gold"); a list when it would be long. */
  needsBox(
    title: string,
    unmet: readonly Unmet[],
    target: string,
    purpose: string,
  ): NonNullable<EmailContent['needs']> {
    const { items, kinds } = this.needs(unmet, target);
    if (kinds.length > 0 && kinds.every((k) => k === 'score'))
      return {
        title,
        summary: `${this.tierName(target)} is awarded on points: reaching these targets earns the points still missing ${purpose}.`,
        items,
      };
    if (items.length <= 2) return { title, summary: `You need ${joinWords(items)} ${purpose}.`, items: [] };
    return { title, summary: `${capitalise(purpose)}, you need:`, items };
  }

  standing(): EmailContent['standing'] {
    const e = this.card.effectiveTier;
    const rows = [{ label: 'Current tier', value: this.tierName(e) }];
    if (this.card.qualifiedTier && this.card.qualifiedTier !== e)
      rows.push({ label: 'Qualifies today for', value: this.tierName(this.card.qualifiedTier) });
    const above = this.track?.tiers[this.tierIndex(e) + 1];
    if (e) rows.push({ label: 'Next tier', value: above ? above.name : 'None (top tier)' });
    for (const [name, value] of Object.entries(this.card.metrics)) {
      const words = this.metricWords(name);
      rows.push({ label: metricLabel(words), value: metricValue(words, value, this.program.currency) });
    }
    return { title: `Where you stand on ${formatLongDate(this.card.asOf)}`, rows };
  }

  /** A dated risk in words, built from its structured fields (never from `detail`), with what would avert it. */
  risk(r: RiskView): { text: string; advice: string; fallsTo: string | undefined } {
    const cause =
      r.kind === 'certification-expiring'
        ? 'Certifications held by your staff expire'
        : r.kind === 'window-roll-off'
          ? 'Older deals and invoices leave the trailing window'
          : capitalise(r.kind);
    const advice =
      r.kind === 'certification-expiring'
        ? 'Renewing the expiring certifications, or certifying more staff, before then avoids it.'
        : r.kind === 'window-roll-off'
          ? 'New business booked before then avoids it.'
          : '';
    if (r.metrics === undefined) return { text: `${cause}.`, advice, fallsTo: r.fallsTo ?? undefined };
    const moves = r.metrics.map((m) => {
      const words = this.metricWords(m.metric);
      const subject = words.money ? words.label : `the number of ${words.many}${words.suffix}`;
      const currency = this.program.currency;
      return `${subject} falls from ${metricValue(words, m.from, currency)} to ${metricValue(words, m.to, currency)}`;
    });
    const fallsTo = r.fallsTo ?? undefined;
    const text =
      `${cause}${moves.length > 0 ? `: ${joinWords(moves)}` : ''}. You would then ` +
      `qualify for ${this.tierName(fallsTo)} instead of ${this.tierName(r.tier)}.`;
    return { text, advice, fallsTo };
  }
}

function compareRates(a: string, b: string): number {
  const [ai = '0', af = ''] = a.split('.');
  const [bi = '0', bf = ''] = b.split('.');
  const width = Math.max(af.length, bf.length);
  const x = BigInt(ai + af.padEnd(width, '0'));
  const y = BigInt(bi + bf.padEnd(width, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

const strong = (text: string): Segment => ({ text, strong: true });
const plain = (text: string): Segment => ({ text });

/** The email for one recipient of one outbox row. Throws PayloadError for a payload it cannot read. */
export function composeNotification(input: ComposeInput): EmailContent {
  const payload = parsePayload(input.payload);
  const card = payload.scorecard;
  const w = new Words(input.program, card);
  const partner = headerText(input.partnerName, 120) || card.partnerId;
  const programName = input.program.name;
  const graceDays = input.program.policy.demotionGraceDays;
  const base = {
    kind: input.kind,
    programName,
    partnerName: partner,
    greeting: input.recipientName?.trim() ? `Hello ${headerText(input.recipientName, 80)},` : 'Hello,',
    standing: w.standing(),
    footer: `You receive this email because you are a primary contact of ${partner} in the ${programName}.`,
    unsubscribe: { url: input.unsubscribeUrl, text: `Unsubscribe from ${KIND_NAMES[input.kind]}` },
    page: input.pageUrl ? { url: input.pageUrl, text: 'See where you stand, any day' } : undefined,
  };
  const day = formatLongDate(payload.day);

  switch (input.kind) {
    case 'tier.review-pending':
      return reviewPendingContent({
        base,
        payload,
        partnerId: card.partnerId,
        tierName: (id) => w.tierName(id),
        consoleUrl: input.consoleUrl,
      });
    case 'tier.promoted': {
      const to = payload.to ?? card.effectiveTier;
      const toName = w.tierName(to);
      const needs = card.next
        ? w.needsSection(
            `What it takes to reach ${w.tierName(card.next.tier)}`,
            card.next.tier,
            `to reach ${w.tierName(card.next.tier)}`,
          )
        : undefined;
      return {
        ...base,
        subject: headerText(`Congratulations: ${partner} is now ${toName}`),
        preheader: `From ${day}, ${partner} earns ${toName} benefits in the ${programName}.`,
        tone: 'good',
        eyebrow: 'Promotion',
        headline: `${partner} is now ${toName}`,
        intro: [
          [
            plain('Congratulations! From '),
            strong(day),
            plain(', '),
            strong(partner),
            plain(' is a '),
            strong(toName),
            plain(` partner in the ${programName}.`),
          ],
          card.next
            ? [plain(`The next tier is ${w.tierName(card.next.tier)}; what it takes is below.`)]
            : [plain(`${toName} is the highest tier of the program.`)],
        ],
        benefits: {
          title: 'Your benefits',
          beforeLabel: w.tierName(payload.from),
          afterLabel: toName,
          rows: w.benefitRows(payload.from, to),
          note: `In force from ${day}.`,
        },
        ...(needs ? { needs } : {}),
      };
    }
    case 'tier.demoted': {
      const from = payload.from;
      const to = payload.to ?? card.effectiveTier;
      const needs = from
        ? w.needsSection(`What it takes to return to ${w.tierName(from)}`, from, `to return to ${w.tierName(from)}`)
        : undefined;
      return {
        ...base,
        subject: headerText(`${partner} has moved from ${w.tierName(from)} to ${w.tierName(to)}`),
        preheader: `From ${day}, ${partner} is at ${w.tierName(to)} in the ${programName}.`,
        tone: 'bad',
        eyebrow: 'Tier change',
        headline: `${partner} has moved to ${w.tierName(to)}`,
        intro: [
          [
            plain('From '),
            strong(day),
            plain(', the tier of '),
            strong(partner),
            plain(' in the '),
            plain(programName),
            plain(' is '),
            strong(w.tierName(to)),
            plain(
              graceDays > 0
                ? ` instead of ${w.tierName(from)}: the grace period to meet the ${w.tierName(from)} requirements again has ended.`
                : ` instead of ${w.tierName(from)}: it no longer meets the ${w.tierName(from)} requirements.`,
            ),
          ],
          [plain('Benefits on deals closed from that day are paid at the new rates shown below.')],
        ],
        benefits: {
          title: 'What changes',
          beforeLabel: w.tierName(from),
          afterLabel: w.tierName(to),
          rows: w.benefitRows(from, to),
          note: `In force from ${day}.`,
        },
        ...(needs ? { needs } : {}),
      };
    }
    case 'tier.at-risk': {
      const current = card.effectiveTier;
      const currentName = w.tierName(current);
      if (payload.reason === 'grace') {
        const until = payload.graceEndsOn ?? card.graceEndsOn;
        const lower = card.qualifiedTier;
        const needs =
          w.needsSection(`What keeps you at ${currentName}`, current ?? '', `to keep ${currentName}`) ??
          (card.next
            ? w.needsSection(
                `Your next step: ${w.tierName(card.next.tier)}`,
                card.next.tier,
                `to reach ${w.tierName(card.next.tier)}`,
              )
            : undefined);
        return {
          ...base,
          subject: headerText(
            until
              ? `Action needed: ${partner} could move from ${currentName} to ${w.tierName(lower)} on ${formatLongDate(until)}`
              : `Action needed: ${partner} no longer meets the ${currentName} requirements`,
          ),
          preheader: `${partner} keeps ${currentName} benefits during a grace period${until ? ` until ${formatLongDate(until)}` : ''}.`,
          tone: 'warn',
          eyebrow: 'Action needed',
          headline: `${partner} is in a grace period for ${currentName}`,
          intro: [
            [
              plain('Since '),
              strong(day),
              plain(', '),
              strong(partner),
              plain(' no longer meets the requirements for '),
              strong(currentName),
              plain('. You keep '),
              plain(currentName),
              plain(' benefits during the grace period.'),
            ],
            until
              ? [
                  plain('If nothing changes, '),
                  plain(partner),
                  plain(' moves to '),
                  strong(w.tierName(lower)),
                  plain(' on '),
                  strong(formatLongDate(until)),
                  plain('.'),
                ]
              : [plain(`If nothing changes, ${partner} moves to ${w.tierName(lower)} when the grace period ends.`)],
          ],
          benefits: {
            title: 'Benefits at stake',
            beforeLabel: currentName,
            afterLabel: w.tierName(lower),
            rows: w.benefitRows(current, lower),
            ...(until ? { note: `From ${formatLongDate(until)} if the requirements are not met again.` } : {}),
          },
          ...(needs ? { needs } : {}),
        };
      }
      const on = payload.on ?? payload.day;
      const risk = w.risk(
        payload.risk ??
          card.risks.find((r) => r.kind === payload.reason && r.on === on) ?? {
            kind: payload.reason ?? '',
            on,
            detail: payload.detail ?? '',
          },
      );
      const lower = risk.fallsTo ?? w.tierBelow(current);
      const listed = card.risks.map((r) => {
        const words = w.risk(r);
        return { date: formatLongDate(r.on), text: `${words.text} ${words.advice}`.trim() };
      });
      return {
        ...base,
        subject: headerText(`${partner} could fall below the ${currentName} requirements on ${formatLongDate(on)}`),
        preheader: `If nothing changes, ${partner} no longer meets the ${currentName} requirements from ${formatLongDate(on)}.`,
        tone: 'warn',
        eyebrow: 'At risk',
        headline: `${currentName} is at risk from ${formatLongDate(on)}`,
        intro: [
          [
            plain('If nothing changes, '),
            strong(partner),
            plain(' will no longer meet the '),
            strong(currentName),
            plain(' requirements on '),
            strong(formatLongDate(on)),
            plain('.'),
          ],
          graceDays > 0
            ? [
                plain(
                  `You would then keep ${currentName} benefits for a grace period of ${formatCount(String(graceDays))} ` +
                    `days to meet the requirements again, and move to ${w.tierName(lower)} after it.`,
                ),
              ]
            : [plain(`The program has no grace period: ${partner} would move to ${w.tierName(lower)} that day.`)],
        ],
        risks: {
          title: 'What happens, and when',
          items:
            listed.length > 0 ? listed : [{ date: formatLongDate(on), text: `${risk.text} ${risk.advice}`.trim() }],
        },
        benefits: {
          title: 'Benefits at stake',
          beforeLabel: currentName,
          afterLabel: w.tierName(lower),
          rows: w.benefitRows(current, lower),
        },
      };
    }
    case 'tier.near-promotion': {
      const target = payload.tier ?? card.next?.tier ?? '';
      const targetName = w.tierName(target);
      const unmet = payload.unmet ?? (card.next?.tier === target ? card.next.unmet : []);
      const needs = w.needsBox(`What it takes to reach ${targetName}`, unmet, target, `to reach ${targetName}`);
      const within = formatPercent(input.program.alerts.nearPromotionWithin);
      return {
        ...base,
        subject: headerText(`${partner} is close to ${targetName}`),
        preheader:
          needs.items.length === 0
            ? needs.summary
            : `${partner} is within ${within} of every requirement for ${targetName}.`,
        tone: 'info',
        eyebrow: 'Almost there',
        headline: `${partner} is close to ${targetName}`,
        intro: [
          [
            strong(partner),
            plain(' is within '),
            strong(within),
            plain(' of every requirement for '),
            strong(targetName),
            plain(` in the ${programName}.`),
          ],
          [plain(`Here is exactly what is missing, and what ${targetName} brings.`)],
        ],
        needs,
        benefits: {
          title: `What ${targetName} brings`,
          beforeLabel: w.tierName(card.effectiveTier),
          afterLabel: targetName,
          rows: w.benefitRows(card.effectiveTier, target),
        },
      };
    }
  }
}
