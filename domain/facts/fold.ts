// Folds validated events into partner facts, in arrival order (docs/events.md#facts):
// a (source, id) is claimed by its first valid delivery; the highest deal/partner version
// wins, equal versions going to the one received last.
import { dayOrThrow } from '../dates.ts';
import { currencyDigits, multiplyMinor, toMinor } from '../money.ts';
import { canonicalJson } from '../events/parse.ts';
import type { CanonicalEvent as AnyEvent, EventOf } from '../events/schema.ts';
import { emptyFacts, type PartnerFacts, type PayoutFact } from './types.ts';

export type FoldOutcome = 'accepted' | 'duplicate' | 'stale' | 'conflict';

/** Amount in program minor units: exact for the program currency, amount × fxRate half-even otherwise. */
export function programMinor(
  amount: string,
  currency: string,
  fxRate: string | undefined,
  programCurrency: string,
): bigint {
  const programDigits = currencyDigits(programCurrency) ?? 2;
  if (currency === programCurrency) return toMinor(amount, programDigits);
  const digits = currencyDigits(currency) ?? 2;
  if (fxRate === undefined) throw new Error(`${currency} amount without fxRate`);
  return multiplyMinor(toMinor(amount, digits), digits, fxRate, programDigits);
}

/** The events that are a partner's facts: every type but payouts, which are kept apart. */
export type FactEvent = Exclude<AnyEvent, { type: 'payout.recorded' }>;

/** Payouts by partner, then payoutId. */
export type PayoutsByPartner = Map<string, Map<string, PayoutFact>>;

export class FactFolder {
  readonly partners = new Map<string, PartnerFacts>();
  readonly payouts: PayoutsByPartner = new Map();
  private readonly claims = new Map<string, string>();

  constructor(private readonly programCurrency: string) {}

  facts(partnerId: string): PartnerFacts {
    let facts = this.partners.get(partnerId);
    if (!facts) {
      facts = emptyFacts(partnerId);
      this.partners.set(partnerId, facts);
    }
    return facts;
  }

  /** Applies one valid event; `raw` is its JSON as received, for duplicate/conflict comparison. */
  add(event: AnyEvent, raw: unknown): FoldOutcome {
    const claimKey = `${event.source}\u0000${event.id}`;
    const fingerprint = canonicalJson(raw);
    const claimed = this.claims.get(claimKey);
    if (claimed !== undefined) return claimed === fingerprint ? 'duplicate' : 'conflict';
    this.claims.set(claimKey, fingerprint);
    if (event.type === 'payout.recorded') return applyPayout(this.payouts, event, this.programCurrency);
    return applyEvent(this.facts(event.partnerId), event, this.programCurrency);
  }
}

/** The highest version wins per (partnerId, payoutId); an equal version goes to the one received last. */
export function applyPayout(
  payouts: PayoutsByPartner,
  event: EventOf<'payout.recorded'>,
  programCurrency: string,
): FoldOutcome {
  const d = event.data;
  let mine = payouts.get(event.partnerId);
  if (!mine) payouts.set(event.partnerId, (mine = new Map()));
  const current = mine.get(d.payoutId);
  if (current && current.version > d.version) return 'stale';
  mine.set(d.payoutId, {
    partnerId: event.partnerId,
    payoutId: d.payoutId,
    benefit: d.benefit,
    amountMinor: programMinor(d.amount, d.currency, d.fxRate, programCurrency),
    currency: d.currency,
    fxRate: d.currency === programCurrency ? undefined : d.fxRate,
    paidAt: dayOrThrow(d.paidAt),
    period: d.period,
    version: d.version,
    eventId: event.id,
  });
  return 'accepted';
}

export function applyEvent(facts: PartnerFacts, event: FactEvent, programCurrency: string): FoldOutcome {
  const day = (text: string): number => dayOrThrow(text);
  const optDay = (text: string | undefined): number | undefined => (text === undefined ? undefined : day(text));
  switch (event.type) {
    case 'partner.upserted': {
      const d = event.data;
      if (facts.profile && facts.profile.version > d.version) return 'stale';
      facts.profile = {
        name: d.name,
        partnerType: d.partnerType,
        region: d.region,
        contacts: d.contacts.map((c) => ({ email: c.email, name: c.name, role: c.role })),
        status: d.status ?? 'active',
        version: d.version,
        eventId: event.id,
      };
      return 'accepted';
    }
    case 'deal.upserted': {
      const d = event.data;
      const current = facts.deals.get(d.dealId);
      if (current && current.version > d.version) return 'stale';
      facts.deals.set(d.dealId, {
        dealId: d.dealId,
        stage: d.stage,
        amount: d.amount,
        currency: d.currency,
        fxRate: d.currency === programCurrency ? undefined : d.fxRate,
        amountMinor: programMinor(d.amount, d.currency, d.fxRate, programCurrency),
        customerId: d.customerId,
        registeredAt: optDay(d.registeredAt),
        closedAt: optDay(d.closedAt),
        version: d.version,
        eventId: event.id,
      });
      return 'accepted';
    }
    case 'certification.earned': {
      const d = event.data;
      facts.certifications.push({
        personId: d.personId,
        certificationId: d.certificationId,
        earnedAt: day(d.earnedAt),
        expiresAt: optDay(d.expiresAt),
        eventId: event.id,
      });
      return 'accepted';
    }
    case 'certification.revoked': {
      const d = event.data;
      facts.revocations.push({
        personId: d.personId,
        certificationId: d.certificationId,
        revokedAt: day(d.revokedAt),
        eventId: event.id,
      });
      return 'accepted';
    }
    case 'person.departed':
      facts.departures.push({
        personId: event.data.personId,
        departedAt: day(event.data.departedAt),
        eventId: event.id,
      });
      return 'accepted';
    case 'invoice.booked': {
      const d = event.data;
      facts.invoices.set(d.invoiceId, {
        invoiceId: d.invoiceId,
        amountMinor: programMinor(d.amount, d.currency, d.fxRate, programCurrency),
        currency: d.currency,
        fxRate: d.currency === programCurrency ? undefined : d.fxRate,
        bookedAt: day(d.bookedAt),
        recurring: d.recurring,
        eventId: event.id,
      });
      return 'accepted';
    }
    case 'invoice.credited': {
      const d = event.data;
      facts.credits.set(`${d.invoiceId}\u0000${d.creditId}`, {
        invoiceId: d.invoiceId,
        creditId: d.creditId,
        amountMinor: programMinor(d.amount, d.currency, d.fxRate, programCurrency),
        currency: d.currency,
        fxRate: d.currency === programCurrency ? undefined : d.fxRate,
        creditedAt: day(d.creditedAt),
        eventId: event.id,
      });
      return 'accepted';
    }
  }
}
