// The zod schema of a program version (docs/program.md). Structure only; the rules that need the
// whole document (metric references, tier order, rate bounds) live in cross-checks.ts.
// The `.describe()` texts and `title`s are the reference tables of docs/program.md
// (`npm run docs:reference` writes them there).
import { z } from 'zod';
import { parseDay } from '../dates.ts';
import { currencyDigits, isDecimalString } from '../money.ts';
import { parsePeriod } from '../period.ts';
import { isValidTimeZone } from '../timestamps.ts';

export const decimalString = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'required'
        : 'expected a decimal string such as "0.05", not a JSON number (see docs/program.md#numbers)',
  })
  .refine(isDecimalString, { message: 'expected a non-negative decimal string such as "250000" or "0.05"' })
  .meta({ title: 'decimal string' });

const dayString = z
  .string()
  .refine((s) => parseDay(s) !== undefined, { message: 'expected a date YYYY-MM-DD' })
  .meta({ title: 'date `YYYY-MM-DD`' });
const id = z.string().min(1).max(200);
const label = z.string().min(1).max(200);

export const windowSchema = z
  .union([
    z.strictObject({
      trailing: z
        .string()
        .refine((s) => parsePeriod(s) !== undefined, {
          message: 'expected an ISO 8601 period such as "P12M" or "P90D"',
        })
        .meta({ title: 'ISO 8601 period' })
        .describe('the interval (D − period, D], e.g. "P12M", "P6M", "P90D", "P1Y6M"'),
    }),
    z.strictObject({
      calendar: z
        .enum(['month', 'quarter', 'year'])
        .describe('the current calendar month, quarter or year, from its first day up to D'),
    }),
    z.literal('active').describe('certifications active on D (certifications only)'),
  ])
  .meta({ title: 'window' });

const whereValue = z.union([z.string(), z.boolean()]);

export const metricSchema = z.strictObject({
  from: z
    .enum(['deals', 'registrations', 'invoices', 'certifications'])
    .describe(
      'the facts counted: closed_won deals on closedAt, registered deals on registeredAt, invoices, certifications',
    ),
  aggregate: z
    .enum(['sum', 'count', 'countDistinct'])
    .describe('`sum` adds `amount`; `count` counts facts; `countDistinct` counts distinct values of `field`'),
  field: z
    .string()
    .min(1)
    .optional()
    .describe('the field summed (`amount`) or counted distinct (e.g. `customerId`, `personId`)'),
  where: z
    .record(z.string(), z.union([whereValue, z.array(whereValue).min(1)]))
    .optional()
    .describe('only facts whose field equals the value (or one of the listed values)'),
  window: windowSchema.optional().describe('which days count; without it, every fact up to D'),
  label: label.optional().describe('display name used in emails and pages instead of the metric id'),
  description: z.string().optional().describe('free text for people; not used in evaluation'),
});

export type LeafAtLeast = { metric: string; atLeast: string };
export type LeafAtMost = { metric: string; atMost: string };
export type ScorePart = { metric: string; target: string; points: string };
export type ScoreCriterion = { score: { atLeast: string; eachAboveZero?: boolean | undefined; parts: ScorePart[] } };
export type Criterion = LeafAtLeast | LeafAtMost | { allOf: Criterion[] } | { anyOf: Criterion[] } | ScoreCriterion;

const metricName = z.string().min(1).describe('a metric defined in `metrics`');

export const scorePartSchema = z.strictObject({
  metric: metricName,
  target: decimalString.describe('the value that earns the full points (greater than 0)'),
  points: decimalString.describe('the most this part can earn: points × min(1, actual / target)'),
});

export const scoreSchema = z.strictObject({
  atLeast: decimalString.describe('the criterion holds when the parts earn at least this many points in total'),
  eachAboveZero: z.boolean().optional().describe('when true, every part must also earn more than 0'),
  parts: z.array(scorePartSchema).min(1).describe('the scored metrics'),
});

export const criterionForms = {
  atLeast: z.strictObject({
    metric: metricName,
    atLeast: decimalString.describe('holds when the metric is ≥ this value'),
  }),
  atMost: z.strictObject({
    metric: metricName,
    atMost: decimalString.describe('holds when the metric is ≤ this value'),
  }),
  allOf: z.strictObject({
    allOf: z
      .array(z.lazy(() => criterionSchema))
      .min(1)
      .describe('holds when every listed criterion holds'),
  }),
  anyOf: z.strictObject({
    anyOf: z
      .array(z.lazy(() => criterionSchema))
      .min(1)
      .describe('holds when at least one listed criterion holds'),
  }),
  score: z.strictObject({ score: scoreSchema.describe('points earned by several metrics') }),
};

export const criterionSchema: z.ZodType<Criterion> = z.lazy(() =>
  z.union([
    criterionForms.atLeast,
    criterionForms.atMost,
    criterionForms.allOf,
    criterionForms.anyOf,
    criterionForms.score,
  ]),
);

export const benefitsSchema = z.strictObject({
  commissionRate: decimalString.optional().describe('commission on closed_won deal amounts, a fraction 0..1'),
  mdfRate: decimalString.optional().describe('market development funds accrued on deal amounts, 0..1'),
  rebateRate: decimalString.optional().describe('rebate accrued on deal amounts, 0..1'),
});

export const tierSchema = z.strictObject({
  id: id.describe('the tier id used in scorecards, overrides and the ledger'),
  name: z.string().min(1).describe('display name ("Gold")'),
  criteria: criterionSchema
    .nullable()
    .describe('what qualifies for this tier; null for the first (entry) tier and only for it'),
  benefits: benefitsSchema.default({}).describe('the rates paid at this tier; a missing rate is 0'),
  description: z.string().optional().describe('free text for people'),
});

export const trackSchema = z.strictObject({
  id: id.describe('the track id shown in scorecards'),
  name: z.string().optional().describe('display name'),
  partnerTypes: z
    .array(z.string().min(1))
    .min(1)
    .describe('the `partnerType` values (from `partner.upserted`) this track applies to; each type in one track only'),
  tiers: z.array(tierSchema).min(1).describe('lowest first; the first is the entry tier'),
});

export const demotionReviewSchema = z.strictObject({
  autoApproveAfterDays: z
    .int()
    .min(1)
    .max(3650)
    .describe('a pending review approves itself on the day it opened + this many days, unless decided before'),
});

export const policySchema = z.strictObject({
  demotionGraceDays: z
    .int()
    .min(0)
    .max(3650)
    .default(0)
    .describe('a demotion takes effect on the N-th consecutive day qualified below the effective tier'),
  holdAfterPromotionDays: z
    .int()
    .min(0)
    .max(3650)
    .default(0)
    .describe('no demotion takes effect until this many days after the last promotion'),
  demotionsOn: z
    .enum(['any-day', 'quarter-start'])
    .default('any-day')
    .describe('`quarter-start`: a due demotion waits for the next 1 Jan / 1 Apr / 1 Jul / 1 Oct'),
  demotionReview: demotionReviewSchema
    .optional()
    .describe('a person confirms each demotion before it takes effect; absent: demotions are automatic'),
});

export const alertsSchema = z.strictObject({
  nearPromotionWithin: decimalString
    .default('0.10')
    .describe('near-promotion email when every unmet criterion of the next tier is within this fraction'),
  atRiskHorizonDays: z
    .int()
    .min(0)
    .max(3650)
    .default(30)
    .describe('how far ahead `risks` looks for a dated fall of the qualified tier'),
  notifyChangesWithinDays: z
    .int()
    .min(0)
    .max(3650)
    .default(7)
    .describe('changes dated longer ago than this are recorded but not emailed (backfills)'),
  reviewersEmail: z
    .array(z.email())
    .optional()
    .describe('who gets `tier.review-pending` when a demotion review opens (policy.demotionReview)'),
  settleMinutes: z
    .number()
    .min(0)
    .max(1440)
    .default(10)
    .describe(
      'a notification waits this long after it is written (0 = sent at once; fractions allowed), then is re-checked against the partner’s state and withdrawn if no longer true',
    ),
  digest: z
    .enum(['none', 'daily'])
    .default('none')
    .describe(
      '`none`: one email per notification; `daily`: one email per partner per day with all its notifications of that day that still stand, sent once the day has ended and they have settled',
    ),
});

export const certificationSchema = z.strictObject({
  label: label.describe('display name used in emails and pages instead of the certification id'),
});

export const programSchema = z.strictObject({
  $schema: z.string().optional().describe('ignored; lets editors attach a JSON Schema'),
  id: id.describe('the program id; every version of a program has the same id'),
  version: z.string().min(1).max(100).describe('this version\'s name, e.g. "2027.1"; unique per program'),
  name: z.string().min(1).describe('display name'),
  description: z.string().optional().describe('free text for people'),
  currency: z
    .string()
    .refine((c) => currencyDigits(c) !== undefined, { message: 'expected an ISO 4217 currency code such as "USD"' })
    .meta({ title: 'ISO 4217 code' })
    .describe('the program currency; the same in every version'),
  timezone: z
    .string()
    .refine(isValidTimeZone, { message: 'expected an IANA time zone such as "UTC" or "Europe/Paris"' })
    .meta({ title: 'IANA time zone' })
    .describe('business days are days in this zone; the same in every version'),
  effectiveFrom: dayString.describe('the first day this version applies to'),
  metrics: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'metric names are letters, digits and _'), metricSchema)
    .describe('named metrics (letters, digits and `_`) that criteria refer to'),
  certifications: z
    .record(id, certificationSchema)
    .optional()
    .describe('display names of certification ids (from `certification.earned`)'),
  tracks: z.array(trackSchema).min(1).describe('one ladder of tiers per group of partner types'),
  policy: policySchema
    .default({ demotionGraceDays: 0, holdAfterPromotionDays: 0, demotionsOn: 'any-day' })
    .describe('when demotions take effect'),
  alerts: alertsSchema
    .default({
      nearPromotionWithin: '0.10',
      atRiskHorizonDays: 30,
      notifyChangesWithinDays: 7,
      settleMinutes: 10,
      digest: 'none',
    })
    .describe('when partners are warned'),
});

export type Program = z.infer<typeof programSchema>;
export type Metric = z.infer<typeof metricSchema>;
export type Track = z.infer<typeof trackSchema>;
export type Tier = z.infer<typeof tierSchema>;
export type Window = z.infer<typeof windowSchema>;
export type Benefits = z.infer<typeof benefitsSchema>;
export type Policy = z.infer<typeof policySchema>;
export type DemotionReview = z.infer<typeof demotionReviewSchema>;
export type Certification = z.infer<typeof certificationSchema>;
