// The canonical change-event envelope and its per-type data (SPEC §4, rules of §3a 16–17).
// Validation needs the program's currency and timezone: a foreign amount needs an fxRate,
// and timestamps are reduced to business days in the program's zone.
import { z } from 'zod';
import { formatDay, MAX_DAY, MIN_DAY } from '../dates.ts';
import { canonicalDecimal, currencyDigits, decimalPlaces, isDecimalString, isPositiveDecimal } from '../money.ts';
import { businessDay, parseInstant } from '../timestamps.ts';

export interface EventContext {
  currency: string;
  timezone: string;
}

export const SOURCES = ['crm', 'lms', 'erp'] as const;
export type Source = (typeof SOURCES)[number];

export const TYPES_BY_SOURCE = {
  crm: ['partner.upserted', 'deal.upserted'],
  lms: ['certification.earned', 'certification.revoked', 'person.departed'],
  erp: ['invoice.booked', 'invoice.credited'],
} as const satisfies Record<Source, readonly string[]>;

export type EventType = (typeof TYPES_BY_SOURCE)[Source][number];

/** null optional fields count as absent (rule 17). */
const opt = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? undefined : v), schema.optional());

const text = z.string().min(1).max(1000);
// Canonical spelling, so stored facts (numeric) and folded facts say the same thing.
const amount = z
  .string()
  .refine(isDecimalString, { message: 'expected a non-negative decimal string such as "4800.00"' })
  .transform(canonicalDecimal);
const fxRate = z
  .string()
  .refine(isPositiveDecimal, { message: 'expected a positive decimal string such as "1.0842"' })
  .transform(canonicalDecimal);
const currency = z
  .string()
  .refine((c) => currencyDigits(c) !== undefined, { message: 'expected an ISO 4217 currency code' });
const version = z.int().min(0);

function businessDate(timezone: string) {
  return z.string().transform((value, ctx) => {
    const day = businessDay(value, timezone);
    if (day === undefined || day < MIN_DAY || day > MAX_DAY) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a date YYYY-MM-DD between 1900-01-01 and 2999-12-31, or a timestamp with offset',
      });
      return z.NEVER;
    }
    return formatDay(day);
  });
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
      name: text,
      partnerType: text,
      region: opt(text),
      contacts: z
        .array(z.object({ email: z.email().max(320), name: opt(z.string().max(1000)), role: opt(z.string().max(100)) }))
        .max(1000),
      status: opt(z.enum(['active', 'terminated'])),
      version,
    }),
    'deal.upserted': z
      .object({
        dealId: text,
        stage: z.enum(['open', 'closed_won', 'closed_lost']),
        amount,
        currency,
        fxRate: opt(fxRate),
        customerId: opt(text),
        registeredAt: opt(date),
        closedAt: opt(date),
        version,
      })
      .superRefine((d, c) => {
        money(d, c);
        if (d.stage === 'closed_won' && d.closedAt === undefined)
          c.addIssue({ code: 'custom', path: ['closedAt'], message: 'required when stage is closed_won' });
      }),
    'certification.earned': z.object({ personId: text, certificationId: text, earnedAt: date, expiresAt: opt(date) }),
    'certification.revoked': z.object({ personId: text, certificationId: text, revokedAt: date }),
    'person.departed': z.object({ personId: text, departedAt: date }),
    'invoice.booked': z
      .object({ invoiceId: text, amount, currency, fxRate: opt(fxRate), bookedAt: date, recurring: z.boolean() })
      .superRefine(money),
    'invoice.credited': z
      .object({ invoiceId: text, creditId: text, amount, currency, fxRate: opt(fxRate), creditedAt: date })
      .superRefine(money),
  } as const;
}

type Schemas = ReturnType<typeof dataSchemas>;
export type EventData<T extends EventType> = z.output<Schemas[T]>;

export const envelopeSchema = z.object({
  id: text,
  source: z.enum(SOURCES),
  type: z.string().min(1).max(100),
  occurredAt: z
    .string()
    .refine((s) => parseInstant(s) !== undefined, { message: 'expected an ISO timestamp with offset' }),
  partnerId: text,
  data: z.record(z.string(), z.unknown()),
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
