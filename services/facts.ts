// Stored facts as the domain's PartnerFacts, for many partners at once (the recompute's and
// the scorecard's input): the rows come from db/repositories/fact-rows.ts in one query per
// table; amounts are converted to the program's currency here, once per row.
import type { Kysely, Transaction } from 'kysely';
import { readFactRows } from '../db/repositories/fact-rows.ts';
import type { DB } from '../db/types.ts';
import { dayOrThrow } from '../domain/dates.ts';
import { programMinor } from '../domain/facts/fold.ts';
import { emptyFacts, type PartnerFacts } from '../domain/facts/types.ts';

const optDay = (d: string | null): number | undefined => (d === null ? undefined : dayOrThrow(d));
const fx = (rate: string | null, currency: string, programCurrency: string): string | undefined =>
  rate === null || currency === programCurrency ? undefined : rate;

export async function loadPartnerFacts(
  db: Kysely<DB> | Transaction<DB>,
  partnerIds: readonly string[],
  programCurrency: string,
): Promise<Map<string, PartnerFacts>> {
  const facts = new Map<string, PartnerFacts>();
  if (partnerIds.length === 0) return facts;
  const of = (id: string): PartnerFacts => {
    let f = facts.get(id);
    if (!f) {
      f = emptyFacts(id);
      facts.set(id, f);
    }
    return f;
  };
  const { partners, deals, earned, revoked, departed, invoices, credits } = await readFactRows(db, partnerIds);
  for (const p of partners) {
    of(p.partner_id).profile = {
      name: p.name,
      partnerType: p.partner_type,
      region: p.region ?? undefined,
      contacts: p.contacts,
      status: p.status,
      version: Number(p.version),
      eventId: p.source_event_id,
    };
  }
  for (const d of deals) {
    of(d.partner_id).deals.set(d.deal_id, {
      dealId: d.deal_id,
      stage: d.stage,
      amount: d.amount,
      currency: d.currency,
      fxRate: fx(d.fx_rate, d.currency, programCurrency),
      amountMinor: programMinor(d.amount, d.currency, d.fx_rate ?? undefined, programCurrency),
      customerId: d.customer_id ?? undefined,
      registeredAt: optDay(d.registered_at),
      closedAt: optDay(d.closed_at),
      version: Number(d.version),
      eventId: d.event_id,
    });
  }
  for (const c of earned) {
    of(c.partner_id).certifications.push({
      personId: c.person_id,
      certificationId: c.certification_id,
      earnedAt: dayOrThrow(c.earned_at),
      expiresAt: optDay(c.expires_at),
      eventId: c.event_id,
    });
  }
  for (const r of revoked) {
    of(r.partner_id).revocations.push({
      personId: r.person_id,
      certificationId: r.certification_id,
      revokedAt: dayOrThrow(r.revoked_at),
      eventId: r.event_id,
    });
  }
  for (const d of departed)
    of(d.partner_id).departures.push({
      personId: d.person_id,
      departedAt: dayOrThrow(d.departed_at),
      eventId: d.event_id,
    });
  for (const i of invoices) {
    of(i.partner_id).invoices.set(i.invoice_id, {
      invoiceId: i.invoice_id,
      amountMinor: programMinor(i.amount, i.currency, i.fx_rate ?? undefined, programCurrency),
      currency: i.currency,
      fxRate: fx(i.fx_rate, i.currency, programCurrency),
      bookedAt: dayOrThrow(i.booked_at),
      recurring: i.recurring,
      eventId: i.event_id,
    });
  }
  for (const c of credits) {
    of(c.partner_id).credits.set(`${c.invoice_id}\u0000${c.credit_id}`, {
      invoiceId: c.invoice_id,
      creditId: c.credit_id,
      amountMinor: programMinor(c.amount, c.currency, c.fx_rate ?? undefined, programCurrency),
      currency: c.currency,
      fxRate: fx(c.fx_rate, c.currency, programCurrency),
      creditedAt: dayOrThrow(c.credited_at),
      eventId: c.event_id,
    });
  }
  return facts;
}
