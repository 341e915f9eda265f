// A partner's facts: what its events say, folded. Amounts are already in the program
// currency's minor units (the fxRate used is kept); business dates are day numbers.
import type { Day } from '../dates.ts';

export interface Contact {
  email: string;
  name?: string | undefined;
  role?: string | undefined;
}

export interface PartnerProfile {
  name: string;
  partnerType: string;
  region?: string | undefined;
  contacts: Contact[];
  status: 'active' | 'terminated';
  version: number;
  eventId: string;
}

export interface DealFact {
  dealId: string;
  stage: 'open' | 'closed_won' | 'closed_lost';
  amount: string;
  currency: string;
  fxRate?: string | undefined;
  amountMinor: bigint;
  customerId?: string | undefined;
  registeredAt?: Day | undefined;
  closedAt?: Day | undefined;
  version: number;
  eventId: string;
}

export interface CertificationFact {
  personId: string;
  certificationId: string;
  earnedAt: Day;
  expiresAt?: Day | undefined;
  eventId: string;
}

export interface RevocationFact {
  personId: string;
  certificationId: string;
  revokedAt: Day;
  eventId: string;
}

export interface DepartureFact {
  personId: string;
  departedAt: Day;
  eventId: string;
}

export interface InvoiceFact {
  invoiceId: string;
  amountMinor: bigint;
  currency: string;
  fxRate?: string | undefined;
  bookedAt: Day;
  recurring: boolean;
  eventId: string;
}

export interface CreditFact {
  invoiceId: string;
  creditId: string;
  amountMinor: bigint;
  currency: string;
  fxRate?: string | undefined;
  creditedAt: Day;
  eventId: string;
}

/**
 * A payout (ERP `payout.recorded`): what was actually paid for a benefit and an accrual period.
 * Kept apart from a partner's facts: payouts never change tiers, scorecards or the ledger.
 */
export interface PayoutFact {
  partnerId: string;
  payoutId: string;
  benefit: 'commission' | 'mdf' | 'rebate';
  /** In program minor units: amount × fxRate, rounded half-even, for a foreign currency. */
  amountMinor: bigint;
  currency: string;
  fxRate?: string | undefined;
  paidAt: Day;
  period: string;
  version: number;
  eventId: string;
}

export interface PartnerFacts {
  partnerId: string;
  profile?: PartnerProfile | undefined;
  deals: Map<string, DealFact>;
  certifications: CertificationFact[];
  revocations: RevocationFact[];
  departures: DepartureFact[];
  invoices: Map<string, InvoiceFact>;
  credits: Map<string, CreditFact>;
}

export function emptyFacts(partnerId: string): PartnerFacts {
  return {
    partnerId,
    deals: new Map(),
    certifications: [],
    revocations: [],
    departures: [],
    invoices: new Map(),
    credits: new Map(),
  };
}

/** The earliest business date ≤ asOf among the partner's facts (docs/events.md#facts). */
export function timelineStart(facts: PartnerFacts, asOf: Day): Day | undefined {
  let first: Day | undefined;
  const see = (day: Day | undefined): void => {
    if (day !== undefined && day <= asOf && (first === undefined || day < first)) first = day;
  };
  for (const deal of facts.deals.values()) {
    see(deal.registeredAt);
    see(deal.closedAt);
  }
  for (const c of facts.certifications) see(c.earnedAt);
  for (const r of facts.revocations) see(r.revokedAt);
  for (const d of facts.departures) see(d.departedAt);
  for (const i of facts.invoices.values()) see(i.bookedAt);
  for (const c of facts.credits.values()) see(c.creditedAt);
  return first;
}
