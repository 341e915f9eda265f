// Stored facts as the domain's PartnerFacts, for many partners at once (the recompute's and
// the scorecard's input): the rows come from db/repositories/fact-rows.ts in one statement
// for all tables; amounts are converted to the program's currency here, once per row.
import type { Kysely, Transaction } from 'kysely';
import { readFactTuples, type PartnerFactTuples } from '../db/repositories/fact-rows.ts';
import type { DB } from '../db/types.ts';
import { formatDay, type Day } from '../domain/dates.ts';
import { programMinor } from '../domain/facts/fold.ts';
import { emptyFacts, type PartnerFacts } from '../domain/facts/types.ts';

const fx = (rate: string | null, currency: string, programCurrency: string): string | undefined =>
  rate === null || currency === programCurrency ? undefined : rate;

const ALL = '-infinity';

/** Which dated facts of a partner to read: from these days on (domain/evaluation/checkpoint.ts factWindows); null: all. */
export interface PartnerWindows {
  partnerId: string;
  closed: Day | null;
  registered: Day | null;
  invoices: Day | null;
}

const bound = (day: Day | null): string => (day === null ? ALL : formatDay(day));

/** Every fact of these partners. */
export async function loadPartnerFacts(
  db: Kysely<DB> | Transaction<DB>,
  partnerIds: readonly string[],
  programCurrency: string,
): Promise<Map<string, PartnerFacts>> {
  const all = [...new Set(partnerIds)].map((partnerId) => ({
    partnerId,
    closed: null,
    registered: null,
    invoices: null,
  }));
  return loadWindowedFacts(db, all, programCurrency);
}

/** The facts of these partners that can count from their windows' days on, in one statement. */
export async function loadWindowedFacts(
  db: Kysely<DB> | Transaction<DB>,
  windows: readonly PartnerWindows[],
  programCurrency: string,
): Promise<Map<string, PartnerFacts>> {
  const facts = new Map<string, PartnerFacts>();
  const rows = await readFactTuples(
    db,
    windows.map((w) => ({
      partnerId: w.partnerId,
      closed: bound(w.closed),
      registered: bound(w.registered),
      invoices: bound(w.invoices),
    })),
  );
  for (const row of rows) {
    const f = partnerFacts(row, programCurrency);
    if (f) facts.set(row.partner_id, f);
  }
  return facts;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

/** One partner's row as PartnerFacts; undefined when it has no fact at all. */
function partnerFacts(row: PartnerFactTuples, programCurrency: string): PartnerFacts | undefined {
  const { profile, deals, earned, revoked, departed, invoices, credits } = row;
  if (!profile && !deals && !earned && !revoked && !departed && !invoices && !credits) return undefined;
  const f = emptyFacts(row.partner_id);
  if (profile) {
    const [name, partnerType, region, contacts, status, version, eventId] = profile;
    f.profile = { name, partnerType, region: opt(region), contacts, status, version: Number(version), eventId };
  }
  for (const [dealId, stage, amount, currency, fxRate, customerId, registeredAt, closedAt, version, eventId] of deals ??
    []) {
    f.deals.set(dealId, {
      dealId,
      stage,
      amount,
      currency,
      fxRate: fx(fxRate, currency, programCurrency),
      amountMinor: programMinor(amount, currency, opt(fxRate), programCurrency),
      customerId: opt(customerId),
      registeredAt: opt(registeredAt),
      closedAt: opt(closedAt),
      version: Number(version),
      eventId,
    });
  }
  for (const [personId, certificationId, earnedAt, expiresAt, eventId] of earned ?? [])
    f.certifications.push({ personId, certificationId, earnedAt, expiresAt: opt(expiresAt), eventId });
  for (const [personId, certificationId, revokedAt, eventId] of revoked ?? [])
    f.revocations.push({ personId, certificationId, revokedAt, eventId });
  for (const [personId, departedAt, eventId] of departed ?? []) f.departures.push({ personId, departedAt, eventId });
  for (const [invoiceId, amount, currency, fxRate, bookedAt, recurring, eventId] of invoices ?? []) {
    f.invoices.set(invoiceId, {
      invoiceId,
      amountMinor: programMinor(amount, currency, opt(fxRate), programCurrency),
      currency,
      fxRate: fx(fxRate, currency, programCurrency),
      bookedAt,
      recurring,
      eventId,
    });
  }
  for (const [invoiceId, creditId, amount, currency, fxRate, creditedAt, eventId] of credits ?? []) {
    f.credits.set(`${invoiceId}\u0000${creditId}`, {
      invoiceId,
      creditId,
      amountMinor: programMinor(amount, currency, opt(fxRate), programCurrency),
      currency,
      fxRate: fx(fxRate, currency, programCurrency),
      creditedAt,
      eventId,
    });
  }
  return f;
}
