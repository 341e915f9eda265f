// The canonical change-event envelope and its per-type data (docs/events.md, whose field tables
// are generated from the titles and `.describe()` texts here by `npm run docs:reference`).
// Validation needs the program's currency and timezone: a foreign amount needs an fxRate,
// and timestamps are reduced to business days in the program's zone.
import { z } from 'zod';
import { formatDay, MAX_DAY, MIN_DAY } from '../dates.ts';
import { canonicalDecimal, currencyDigits, decimalPlaces, isDecimalString, isPositiveDecimal } from '../money.ts';
import { businessDay, parseInstant } from '../timestamps.ts';
import { isAccrualPeriod } from '../accrual-period.ts';

export interface EventContext {
  currency: string;
  timezone: string;
}

export const SOURCES = ['crm', 'lms', 'erp'] as const;
export type Source = (typeof SOURCES)[number];

export const TYPES_BY_SOURCE = {
  crm: ['partner.upserted', 'deal.upserted'],
  lms: ['certification.earned', 'certification.revoked', 'person.departed'],
  erp: ['invoice.booked', 'invoice.credited', 'payout.recorded'],
} as const satisfies Record<Source, readonly string[]>;

export type EventType = (typeof TYPES_BY_SOURCE)[Source][number];

/** null optional fields count as absent (rule 17). */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const text = z.string().min(1).max(1000).meta({ title: 'text (1–1000 characters)' });
// Canonical spelling, so stored facts (numeric) and folded facts say the same thing.
const amount = z
  .string()
  .refine(isDecimalString, { message: 'expected a non-negative decimal string such as "4800.00"' })
  .transform(canonicalDecimal)
  .meta({ title: 'decimal string ≥ 0' });
const fxRate = z
  .string()
  .refine(isPositiveDecimal, { message: 'expected a positive decimal string such as "1.0842"' })
  .transform(canonicalDecimal)
  .meta({ title: 'decimal string > 0' });
const currency = z
  .string()
  .refine((c) => currencyDigits(c) !== undefined, { message: 'expected an ISO 4217 currency code' })
  .meta({ title: 'ISO 4217 code' });
const version = z.int().min(0).meta({ title: 'integer ≥ 0' });

function businessDate(timezone: string) {
  return z
    .string()
    .transform((value, ctx) => {
      const day = businessDay(value, timezone);
      if (day === undefined || day < MIN_DAY || day > MAX_DAY) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a date YYYY-MM-DD between 1900-01-01 and 2999-12-31, or a timestamp with offset',
        });
        return z.NEVER;
      }
      return formatDay(day);
    })
    .meta({ title: 'date' });
}

type Money = { amount: string; currency: string; fxRate?: string | undefined };

function checkMoney(programCurrency: string) {
  return (data: Money, ctx: z.RefinementCtx): void => {
    const digits = currencyDigits(data.currency);
    if (digits !== undefined && decimalPlaces(data.amount) > digits) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: `${data.currency} amounts have at most ${digits} decimals`,
      });
    }
    if (data.currency !== programCurrency && data.fxRate === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fxRate'],
        message: `required: ${data.currency} is not the program currency ${programCurrency}`,
      });
    }
  };
}

export function dataSchemas(ctx: EventContext) {
  const date = businessDate(ctx.timezone);
  const money = checkMoney(ctx.currency);
  return {
    'partner.upserted': z.object({
      name: text.describe("the partner's name"),
      partnerType: text.describe('selects the program track (its `partnerTypes`)'),
      region: opt(text).describe('free text'),
      contacts: z
        .array(
          z.object({
            email: z.email().max(320).meta({ title: 'email address' }),
            name: opt(z.string().max(1000)),
            role: opt(z.string().max(100)),
          }),
        )
        .max(1000)
        .describe('`{email, name?, role?}` each (may be empty); role `primary` receives the emails'),
      status: opt(z.enum(['active', 'terminated'])).describe('`terminated` stops notifications, not evaluation'),
      version: version.describe('the highest version wins, whatever the arrival order'),
    }),
    'deal.upserted': z
      .object({
        dealId: text.describe("with partnerId, the deal's key"),
        stage: z
          .enum(['open', 'closed_won', 'closed_lost'])
          .describe('only closed_won deals count for `deals` metrics'),
        amount: amount.describe('the deal amount in `currency`'),
        currency,
        fxRate: opt(fxRate).describe('program-currency units per unit of `currency`; required for a foreign currency'),
        customerId: opt(text),
        registeredAt: opt(date).describe('the deal counts for `registrations` metrics on this day'),
        closedAt: opt(date).describe('required when stage is closed_won; the day the deal counts and accrues'),
        version: version.describe("the deal's whole state: the highest version wins"),
      })
      .superRefine((d, c) => {
        money(d, c);
        if (d.stage === 'closed_won' && d.closedAt === undefined)
          c.addIssue({ code: 'custom', path: ['closedAt'], message: 'required when stage is closed_won' });
      }),
    'certification.earned': z.object({
      personId: text,
      certificationId: text.describe("matched by metric `where` filters; labelled by the program's `certifications`"),
      earnedAt: date.describe('active from this day'),
      expiresAt: opt(date).describe('no longer active from this day'),
    }),
    'certification.revoked': z.object({
      personId: text,
      certificationId: text,
      revokedAt: date.describe('the certification stops counting from this day (until earned again)'),
    }),
    'person.departed': z.object({
      personId: text,
      departedAt: date.describe("the person's certifications stop counting for this partner from this day, for good"),
    }),
    'invoice.booked': z
      .object({
        invoiceId: text,
        amount,
        currency,
        fxRate: opt(fxRate).describe('required for a foreign currency'),
        bookedAt: date.describe('the amount adds on this day'),
        recurring: z.boolean().describe('matched by `where: { recurring: true }` (MRR-style metrics)'),
      })
      .superRefine(money),
    'invoice.credited': z
      .object({
        invoiceId: text.describe('the invoice credited; its `recurring` applies to the credit'),
        creditId: text,
        amount: amount.describe('positive; subtracts from the invoice metrics'),
        currency,
        fxRate: opt(fxRate).describe('required for a foreign currency'),
        creditedAt: date.describe('the amount subtracts on this day'),
      })
      .superRefine(money),
    'payout.recorded': z
      .object({
        payoutId: text.describe("with partnerId, the payout's key"),
        benefit: z.enum(['commission', 'mdf', 'rebate']).describe('the ledger benefit this pays'),
        amount: amount.describe('the amount paid in `currency`'),
        currency,
        fxRate: opt(fxRate).describe('program-currency units per unit of `currency`; required for a foreign currency'),
        paidAt: date.describe(
          'when it was paid: counted by `finance --as-of` days on or after it; not a business date',
        ),
        period: z
          .string()
          .refine(isAccrualPeriod, { message: 'expected a period YYYY, YYYY-Qn or YYYY-MM' })
          .meta({ title: 'period: YYYY, YYYY-Qn or YYYY-MM' })
          .describe('the accrual period it pays (matched exactly by `finance --period`)'),
        version: version.describe("the payout's whole state: the highest version wins"),
      })
      .superRefine(money),
  } as const;
}

type Schemas = ReturnType<typeof dataSchemas>;
export type EventData<T extends EventType> = z.output<Schemas[T]>;

export const envelopeSchema = z.object({
  id: text.describe('with source, unique: the same event delivered twice is applied once'),
  source: z.enum(SOURCES).describe('the system the event comes from; it decides which types are allowed'),
  type: z.string().min(1).max(100).describe('one of the types below, belonging to its source'),
  occurredAt: z
    .string()
    .refine((s) => parseInstant(s) !== undefined, { message: 'expected an ISO timestamp with offset' })
    .meta({ title: 'ISO timestamp with offset' })
    .describe('when it happened in the source system; recorded, not used in evaluation'),
  partnerId: text.describe('the partner the event is about'),
  data: z.record(z.string(), z.unknown()).describe('the fields of the type, below'),
});

interface EnvelopeOf<T extends EventType> {
  id: string;
  source: Source;
  type: T;
  occurredAt: string;
  partnerId: string;
  data: EventData<T>;
}

export type CanonicalEvent = { [T in EventType]: EnvelopeOf<T> }[EventType];
export type EventOf<T extends EventType> = Extract<CanonicalEvent, { type: T }>;
