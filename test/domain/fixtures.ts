// Shared builders for the domain unit tests: the SPEC §2 example program, days from
// strings, and event builders. Expectations live in the test files, never here.
import { dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';

export const day = (text: string): Day => dayOrThrow(text);
export const str = (d: Day): string => formatDay(d);

/** The program of SPEC §2, verbatim. Clone before changing it. */
export const SPEC_PROGRAM = {
  id: 'acme',
  version: '2027.1',
  name: 'Acme Partner Program',
  currency: 'USD',
  timezone: 'UTC',
  effectiveFrom: '2025-01-01',
  metrics: {
    revenue12m: { from: 'deals', aggregate: 'sum', field: 'amount', window: { trailing: 'P12M' } },
    newCustomers12m: { from: 'deals', aggregate: 'countDistinct', field: 'customerId', window: { trailing: 'P12M' } },
    registrations12m: { from: 'registrations', aggregate: 'count', window: { trailing: 'P12M' } },
    mrr: {
      from: 'invoices',
      aggregate: 'sum',
      field: 'amount',
      where: { recurring: true },
      window: { calendar: 'month' },
    },
    salesCertified: {
      from: 'certifications',
      aggregate: 'countDistinct',
      field: 'personId',
      where: { certificationId: ['sales-associate', 'sales-expert'] },
      window: 'active',
    },
    techCertified: {
      from: 'certifications',
      aggregate: 'countDistinct',
      field: 'personId',
      where: { certificationId: ['tech-expert'] },
      window: 'active',
    },
  },
  tracks: [
    {
      id: 'resell',
      partnerTypes: ['reseller', 'msp'],
      tiers: [
        { id: 'registered', name: 'Registered', criteria: null, benefits: { commissionRate: '0.03' } },
        {
          id: 'silver',
          name: 'Silver',
          criteria: {
            allOf: [
              { metric: 'revenue12m', atLeast: '250000' },
              { metric: 'salesCertified', atLeast: '2' },
            ],
          },
          benefits: { commissionRate: '0.05', mdfRate: '0.01' },
        },
        {
          id: 'gold',
          name: 'Gold',
          criteria: {
            allOf: [
              {
                anyOf: [
                  { metric: 'revenue12m', atLeast: '1000000' },
                  { metric: 'mrr', atLeast: '90000' },
                ],
              },
              { metric: 'salesCertified', atLeast: '5' },
              { metric: 'techCertified', atLeast: '2' },
            ],
          },
          benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
        },
      ],
    },
    {
      id: 'refer',
      partnerTypes: ['referral'],
      tiers: [
        { id: 'member', name: 'Member', criteria: null, benefits: { commissionRate: '0.10' } },
        {
          id: 'elite',
          name: 'Elite',
          criteria: {
            score: {
              atLeast: '70',
              eachAboveZero: true,
              parts: [
                { metric: 'revenue12m', target: '200000', points: '50' },
                { metric: 'newCustomers12m', target: '10', points: '30' },
                { metric: 'salesCertified', target: '2', points: '20' },
              ],
            },
          },
          benefits: { commissionRate: '0.15' },
        },
      ],
    },
  ],
  policy: { demotionGraceDays: 90, holdAfterPromotionDays: 0, demotionsOn: 'any-day' },
  alerts: { nearPromotionWithin: '0.10', atRiskHorizonDays: 30, notifyChangesWithinDays: 7, settleMinutes: 10 },
};

export type ProgramDoc = typeof SPEC_PROGRAM;

export function specProgram(): ProgramDoc {
  return structuredClone(SPEC_PROGRAM);
}

/** Loads program documents (one version each) into a ProgramSet, failing loudly if invalid. */
export function programSet(...docs: unknown[]): ProgramSet {
  const text = JSON.stringify(docs.length === 1 ? docs[0] : docs);
  const result = loadProgramTexts([{ name: 'program.json', text }]);
  if (!result.ok) throw new Error(`test program invalid:\n${result.problems.join('\n')}`);
  return result.value;
}

// ---- events -------------------------------------------------------------------------

let seq = 0;
const nextId = (prefix: string): string => `${prefix}-${++seq}`;

type Data = Record<string, unknown>;

export function envelope(
  source: string,
  type: string,
  partnerId: string,
  data: Data,
  id?: string,
): Record<string, unknown> {
  return { id: id ?? nextId(type), source, type, occurredAt: '2026-11-20T14:03:11Z', partnerId, data };
}

export const partner = (partnerId: string, partnerType = 'reseller', extra: Data = {}) =>
  envelope('crm', 'partner.upserted', partnerId, {
    name: `Partner ${partnerId}`,
    partnerType,
    contacts: [],
    version: 1,
    ...extra,
  });

export const deal = (partnerId: string, data: Data) =>
  envelope('crm', 'deal.upserted', partnerId, { stage: 'closed_won', currency: 'USD', version: 1, ...data });

/** A closed_won USD deal. */
export const won = (partnerId: string, dealId: string, amount: string, closedAt: string, extra: Data = {}) =>
  deal(partnerId, { dealId, amount, closedAt, ...extra });

export const cert = (
  partnerId: string,
  personId: string,
  certificationId: string,
  earnedAt: string,
  expiresAt?: string,
) =>
  envelope('lms', 'certification.earned', partnerId, {
    personId,
    certificationId,
    earnedAt,
    ...(expiresAt ? { expiresAt } : {}),
  });

export const revoked = (partnerId: string, personId: string, certificationId: string, revokedAt: string) =>
  envelope('lms', 'certification.revoked', partnerId, { personId, certificationId, revokedAt });

export const departed = (partnerId: string, personId: string, departedAt: string) =>
  envelope('lms', 'person.departed', partnerId, { personId, departedAt });

export const invoice = (
  partnerId: string,
  invoiceId: string,
  amount: string,
  bookedAt: string,
  recurring: boolean,
  extra: Data = {},
) =>
  envelope('erp', 'invoice.booked', partnerId, { invoiceId, amount, currency: 'USD', bookedAt, recurring, ...extra });

export const credit = (
  partnerId: string,
  invoiceId: string,
  creditId: string,
  amount: string,
  creditedAt: string,
  extra: Data = {},
) =>
  envelope('erp', 'invoice.credited', partnerId, {
    invoiceId,
    creditId,
    amount,
    currency: 'USD',
    creditedAt,
    ...extra,
  });
