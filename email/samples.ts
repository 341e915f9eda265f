// Realistic notifications for the Acme program (examples/acme/program.json) as the
// recompute writes them to the outbox: previews (`npm run render-emails`) and tests use them.
import type { NotificationKind } from '../domain/alerts.ts';
import type { Risk } from '../domain/evaluation/risks.ts';
import type { Scorecard } from '../domain/evaluation/scorecard.ts';

export interface SampleNotification {
  /** File name in docs/emails (without extension). */
  name: string;
  kind: NotificationKind;
  partnerId: string;
  partnerName: string;
  recipientName: string;
  dedupKey: string;
  payload: Record<string, unknown>;
}

const AS_OF = '2026-11-23';

const SAMPLE_RISK: Risk = {
  kind: 'certification-expiring',
  on: '2026-12-10',
  tier: 'gold',
  fallsTo: 'silver',
  metrics: [{ metric: 'salesCertified', from: '6', to: '2', leaving: '4' }],
  certifications: ['sales-associate', 'sales-expert'],
  detail: 'certifications expire by 2026-12-10 (salesCertified 6 → 2); qualified tier falls from gold to silver',
};

function card(partnerId: string, fields: Partial<Scorecard>): Scorecard {
  return {
    partnerId,
    asOf: AS_OF,
    program: { id: 'acme', version: '2027.1' },
    track: 'resell',
    qualifiedTier: 'silver',
    effectiveTier: 'silver',
    status: 'qualified',
    graceEndsOn: null,
    metrics: { revenue12m: '0.00', mrr: '0.00', salesCertified: '0', techCertified: '0' },
    next: null,
    risks: [],
    benefits: { commissionRate: '0.05', mdfRate: '0.01' },
    ledger: { commission: '0.00', mdf: '0.00', rebate: '0.00' },
    ...fields,
  };
}

export const SAMPLE_NOTIFICATIONS: SampleNotification[] = [
  {
    name: 'tier.promoted',
    kind: 'tier.promoted',
    partnerId: 'P-00017',
    partnerName: 'Northwind Systems GmbH',
    recipientName: 'Dana Whitfield',
    dedupKey: 'tier.promoted|P-00017|2026-11-21|registered|silver',
    payload: {
      day: '2026-11-21',
      from: 'registered',
      to: 'silver',
      qualified: 'silver',
      scorecard: card('P-00017', {
        metrics: { revenue12m: '612000.00', mrr: '18250.00', salesCertified: '3', techCertified: '0' },
        next: {
          tier: 'gold',
          unmet: [
            {
              path: 'allOf[0].anyOf[0]',
              metric: 'revenue12m',
              actual: '612000.00',
              required: '1000000',
              shortBy: '388000.00',
            },
            { path: 'allOf[1]', metric: 'salesCertified', actual: '3', required: '5', shortBy: '2' },
            { path: 'allOf[2]', metric: 'techCertified', actual: '0', required: '2', shortBy: '2' },
          ],
        },
        ledger: { commission: '30600.00', mdf: '6120.00', rebate: '0.00' },
      }),
    },
  },
  {
    name: 'tier.demoted',
    kind: 'tier.demoted',
    partnerId: 'P-00042',
    partnerName: 'Bluebird Cloud Partners',
    recipientName: 'Sam Okafor',
    dedupKey: 'tier.demoted|P-00042|2026-11-20|gold|silver',
    payload: {
      day: '2026-11-20',
      from: 'gold',
      to: 'silver',
      qualified: 'silver',
      scorecard: card('P-00042', {
        metrics: { revenue12m: '912000.00', mrr: '0.00', salesCertified: '5', techCertified: '1' },
        next: {
          tier: 'gold',
          unmet: [
            {
              path: 'allOf[0].anyOf[0]',
              metric: 'revenue12m',
              actual: '912000.00',
              required: '1000000',
              shortBy: '88000.00',
            },
            { path: 'allOf[2]', metric: 'techCertified', actual: '1', required: '2', shortBy: '1' },
          ],
        },
        ledger: { commission: '73210.00', mdf: '18302.50', rebate: '9151.25' },
      }),
    },
  },
  {
    name: 'tier.review-pending',
    kind: 'tier.review-pending',
    partnerId: 'P-00042',
    partnerName: 'Bluebird Cloud Partners',
    recipientName: 'Maria Lopez',
    dedupKey: 'tier.review-pending|P-00042|2026-11-20|gold',
    payload: {
      day: '2026-11-20',
      from: 'gold',
      to: 'silver',
      since: '2026-11-20',
      autoApprovesOn: '2026-12-04',
      scorecard: card('P-00042', {
        effectiveTier: 'gold',
        status: 'review',
        graceEndsOn: '2026-12-04',
        metrics: { revenue12m: '912000.00', mrr: '0.00', salesCertified: '5', techCertified: '1' },
        benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
        ledger: { commission: '73210.00', mdf: '18302.50', rebate: '9151.25' },
      }),
    },
  },
  {
    name: 'tier.at-risk',
    kind: 'tier.at-risk',
    partnerId: 'P-00108',
    partnerName: 'Harbor & Vale IT Services',
    recipientName: 'Priya Raman',
    dedupKey: 'tier.at-risk|grace|P-00108|2026-11-17|gold',
    payload: {
      day: '2026-11-17',
      reason: 'grace',
      graceEndsOn: '2027-02-14',
      scorecard: card('P-00108', {
        qualifiedTier: 'silver',
        effectiveTier: 'gold',
        status: 'grace',
        graceEndsOn: '2027-02-14',
        metrics: { revenue12m: '912000.00', mrr: '41800.00', salesCertified: '5', techCertified: '1' },
        next: {
          tier: 'gold',
          unmet: [
            {
              path: 'allOf[0].anyOf[0]',
              metric: 'revenue12m',
              actual: '912000.00',
              required: '1000000',
              shortBy: '88000.00',
            },
            { path: 'allOf[2]', metric: 'techCertified', actual: '1', required: '2', shortBy: '1' },
          ],
        },
        benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
      }),
    },
  },
  {
    name: 'tier.at-risk.dated',
    kind: 'tier.at-risk',
    partnerId: 'P-00233',
    partnerName: 'Keystone Data Solutions',
    recipientName: 'Marco Bellini',
    dedupKey: 'tier.at-risk|certification-expiring|P-00233|2026-12-10|gold',
    payload: {
      day: AS_OF,
      reason: 'certification-expiring',
      on: '2026-12-10',
      detail: 'certifications expire by 2026-12-10 (salesCertified 6 → 2); qualified tier falls from gold to silver',
      risk: SAMPLE_RISK,
      scorecard: card('P-00233', {
        qualifiedTier: 'gold',
        effectiveTier: 'gold',
        metrics: { revenue12m: '1480000.00', mrr: '52000.00', salesCertified: '6', techCertified: '3' },
        next: null,
        risks: [SAMPLE_RISK],
        benefits: { commissionRate: '0.08', mdfRate: '0.02', rebateRate: '0.01' },
      }),
    },
  },
  {
    name: 'tier.near-promotion',
    kind: 'tier.near-promotion',
    partnerId: 'P-00075',
    partnerName: 'Summit Reseller Group',
    recipientName: 'Alex Kim',
    dedupKey: 'tier.near-promotion|P-00075|gold|2026-11',
    payload: {
      day: AS_OF,
      tier: 'gold',
      unmet: [
        {
          path: 'allOf[0].anyOf[0]',
          metric: 'revenue12m',
          actual: '912000.00',
          required: '1000000',
          shortBy: '88000.00',
        },
      ],
      scorecard: card('P-00075', {
        metrics: { revenue12m: '912000.00', mrr: '23400.00', salesCertified: '5', techCertified: '2' },
        next: {
          tier: 'gold',
          unmet: [
            {
              path: 'allOf[0].anyOf[0]',
              metric: 'revenue12m',
              actual: '912000.00',
              required: '1000000',
              shortBy: '88000.00',
            },
          ],
        },
      }),
    },
  },
];

/** A daily digest (alerts.digest "daily") of two of the samples above, given out of order: the digest orders them. */
export const SAMPLE_DIGEST = {
  name: 'digest',
  partnerId: 'P-00017',
  partnerName: 'Northwind Systems GmbH',
  recipientName: 'Dana Whitfield',
  day: AS_OF,
  items: ['tier.near-promotion', 'tier.promoted'],
} as const;
