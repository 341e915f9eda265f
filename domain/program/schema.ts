// The zod schema of a program version (SPEC §2). Structure only; the rules that need the
// whole document (metric references, tier order, rate bounds) live in cross-checks.ts.
import { z } from 'zod';
import { parseDay } from '../dates.ts';
import { currencyDigits, isDecimalString } from '../money.ts';
import { parsePeriod } from '../period.ts';
import { isValidTimeZone } from '../timestamps.ts';

export const decimalString = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'required' : 'expected a decimal string such as "0.05" (JSON numbers are refused)',
  })
  .refine(isDecimalString, { message: 'expected a non-negative decimal string such as "250000" or "0.05"' });

const dayString = z.string().refine((s) => parseDay(s) !== undefined, { message: 'expected a date YYYY-MM-DD' });
const id = z.string().min(1).max(200);

export const windowSchema = z.union([
  z.strictObject({
    trailing: z
      .string()
      .refine((s) => parsePeriod(s) !== undefined, { message: 'expected an ISO 8601 period such as "P12M" or "P90D"' }),
  }),
  z.strictObject({ calendar: z.enum(['month', 'quarter', 'year']) }),
  z.literal('active'),
]);

const whereValue = z.union([z.string(), z.boolean()]);

export const metricSchema = z.strictObject({
  from: z.enum(['deals', 'registrations', 'invoices', 'certifications']),
  aggregate: z.enum(['sum', 'count', 'countDistinct']),
  field: z.string().min(1).optional(),
  where: z.record(z.string(), z.union([whereValue, z.array(whereValue).min(1)])).optional(),
  window: windowSchema.optional(),
  description: z.string().optional(),
});

export type LeafAtLeast = { metric: string; atLeast: string };
export type LeafAtMost = { metric: string; atMost: string };
export type ScorePart = { metric: string; target: string; points: string };
export type ScoreCriterion = { score: { atLeast: string; eachAboveZero?: boolean | undefined; parts: ScorePart[] } };
export type Criterion = LeafAtLeast | LeafAtMost | { allOf: Criterion[] } | { anyOf: Criterion[] } | ScoreCriterion;

export const criterionSchema: z.ZodType<Criterion> = z.lazy(() =>
  z.union([
    z.strictObject({ metric: z.string().min(1), atLeast: decimalString }),
    z.strictObject({ metric: z.string().min(1), atMost: decimalString }),
    z.strictObject({ allOf: z.array(criterionSchema).min(1) }),
    z.strictObject({ anyOf: z.array(criterionSchema).min(1) }),
    z.strictObject({
      score: z.strictObject({
        atLeast: decimalString,
        eachAboveZero: z.boolean().optional(),
        parts: z
          .array(z.strictObject({ metric: z.string().min(1), target: decimalString, points: decimalString }))
          .min(1),
      }),
    }),
  ]),
);

export const benefitsSchema = z.strictObject({
  commissionRate: decimalString.optional(),
  mdfRate: decimalString.optional(),
  rebateRate: decimalString.optional(),
});

export const tierSchema = z.strictObject({
  id,
  name: z.string().min(1),
  criteria: criterionSchema.nullable(),
  benefits: benefitsSchema.default({}),
  description: z.string().optional(),
});

export const trackSchema = z.strictObject({
  id,
  name: z.string().optional(),
  partnerTypes: z.array(z.string().min(1)).min(1),
  tiers: z.array(tierSchema).min(1),
});

export const policySchema = z.strictObject({
  demotionGraceDays: z.int().min(0).max(3650).default(0),
  holdAfterPromotionDays: z.int().min(0).max(3650).default(0),
  demotionsOn: z.enum(['any-day', 'quarter-start']).default('any-day'),
});

export const alertsSchema = z.strictObject({
  nearPromotionWithin: decimalString.default('0.10'),
  atRiskHorizonDays: z.int().min(0).max(3650).default(30),
  notifyChangesWithinDays: z.int().min(0).max(3650).default(7),
});

export const programSchema = z.strictObject({
  $schema: z.string().optional(),
  id,
  version: z.string().min(1).max(100),
  name: z.string().min(1),
  description: z.string().optional(),
  currency: z
    .string()
    .refine((c) => currencyDigits(c) !== undefined, { message: 'expected an ISO 4217 currency code such as "USD"' }),
  timezone: z
    .string()
    .refine(isValidTimeZone, { message: 'expected an IANA time zone such as "UTC" or "Europe/Paris"' }),
  effectiveFrom: dayString,
  metrics: z.record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'metric names are letters, digits and _'),
    metricSchema,
  ),
  tracks: z.array(trackSchema).min(1),
  policy: policySchema.default({ demotionGraceDays: 0, holdAfterPromotionDays: 0, demotionsOn: 'any-day' }),
  alerts: alertsSchema.default({ nearPromotionWithin: '0.10', atRiskHorizonDays: 30, notifyChangesWithinDays: 7 }),
});

export type Program = z.infer<typeof programSchema>;
export type Metric = z.infer<typeof metricSchema>;
export type Track = z.infer<typeof trackSchema>;
export type Tier = z.infer<typeof tierSchema>;
export type Window = z.infer<typeof windowSchema>;
export type Benefits = z.infer<typeof benefitsSchema>;
export type Policy = z.infer<typeof policySchema>;
