// The stored facts of many partners at once: one statement for every fact table and a whole
// set of partners, never one per partner or per table. services/facts.ts turns them into the
// domain's PartnerFacts (currency conversion).
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../types.ts';

type Db = Kysely<DB> | Transaction<DB>;

/** From which day each kind of dated fact is read for a partner ('-infinity': all). */
export interface FactWindowRow {
  partnerId: string;
  closed: string;
  registered: string;
  invoices: string;
}

type DayNumber = number;
export type ProfileTuple = [
  name: string,
  partnerType: string,
  region: string | null,
  contacts: Array<{ email: string; name?: string; role?: string }>,
  status: 'active' | 'terminated',
  version: number,
  eventId: string,
];
export type DealTuple = [
  dealId: string,
  stage: 'open' | 'closed_won' | 'closed_lost',
  amount: string,
  currency: string,
  fxRate: string | null,
  customerId: string | null,
  registeredAt: DayNumber | null,
  closedAt: DayNumber | null,
  version: number,
  eventId: string,
];
export type EarnedTuple = [
  personId: string,
  certificationId: string,
  earnedAt: DayNumber,
  expiresAt: DayNumber | null,
  eventId: string,
];
export type RevokedTuple = [personId: string, certificationId: string, revokedAt: DayNumber, eventId: string];
export type DepartedTuple = [personId: string, departedAt: DayNumber, eventId: string];
export type InvoiceTuple = [
  invoiceId: string,
  amount: string,
  currency: string,
  fxRate: string | null,
  bookedAt: DayNumber,
  recurring: boolean,
  eventId: string,
];
export type CreditTuple = [
  invoiceId: string,
  creditId: string,
  amount: string,
  currency: string,
  fxRate: string | null,
  creditedAt: DayNumber,
  eventId: string,
];

export interface PartnerFactTuples {
  partner_id: string;
  profile: ProfileTuple | null;
  deals: DealTuple[] | null;
  earned: EarnedTuple[] | null;
  revoked: RevokedTuple[] | null;
  departed: DepartedTuple[] | null;
  invoices: InvoiceTuple[] | null;
  credits: CreditTuple[] | null;
}

/**
 * The facts of many partners in one statement, one row per partner with each table's rows as
 * a JSON array of arrays: decoding a few JSON texts costs far less than seven result sets of
 * typed columns. Days are day numbers (days since 1970-01-01), amounts exact decimal text.
 * Deals, invoices and credits dated before the partner's window bounds are left out (an
 * invoice is kept while a credit read refers to it); certifications are always read whole.
 */
export async function readFactTuples(db: Db, windows: readonly FactWindowRow[]): Promise<PartnerFactTuples[]> {
  if (windows.length === 0) return [];
  const { rows } = await sql<PartnerFactTuples>`
    select w.partner_id,
      (select json_build_array(p.name, p.partner_type, p.region, p.contacts, p.status, p.version, p.source_event_id)
         from partners p where p.partner_id = w.partner_id) as profile,
      (select json_agg(json_build_array(d.deal_id, d.stage, d.amount::text, d.currency, d.fx_rate::text, d.customer_id,
                d.registered_at - date '1970-01-01', d.closed_at - date '1970-01-01', d.version, d.event_id)
                order by d.received_seq)
         from deals d
         where d.partner_id = w.partner_id and (d.closed_at >= w.closed or d.registered_at >= w.registered
           or (w.closed = '-infinity' and w.registered = '-infinity'))) as deals,
      (select json_agg(json_build_array(c.person_id, c.certification_id, c.earned_at - date '1970-01-01',
                c.expires_at - date '1970-01-01', c.event_id))
         from certifications_earned c where c.partner_id = w.partner_id) as earned,
      (select json_agg(json_build_array(r.person_id, r.certification_id, r.revoked_at - date '1970-01-01', r.event_id))
         from certification_revocations r where r.partner_id = w.partner_id) as revoked,
      (select json_agg(json_build_array(x.person_id, x.departed_at - date '1970-01-01', x.event_id))
         from person_departures x where x.partner_id = w.partner_id) as departed,
      (select json_agg(json_build_array(i.invoice_id, i.amount::text, i.currency, i.fx_rate::text,
                i.booked_at - date '1970-01-01', i.recurring, i.event_id))
         from invoices i
         where i.partner_id = w.partner_id and (i.booked_at >= w.invoices or exists (
           select 1 from invoice_credits k
           where k.partner_id = i.partner_id and k.invoice_id = i.invoice_id and k.credited_at >= w.invoices))) as invoices,
      (select json_agg(json_build_array(k.invoice_id, k.credit_id, k.amount::text, k.currency, k.fx_rate::text,
                k.credited_at - date '1970-01-01', k.event_id))
         from invoice_credits k where k.partner_id = w.partner_id and k.credited_at >= w.invoices) as credits
    from unnest(${windows.map((w) => w.partnerId)}::text[], ${windows.map((w) => w.closed)}::date[],
                ${windows.map((w) => w.registered)}::date[], ${windows.map((w) => w.invoices)}::date[])
      as w(partner_id, closed, registered, invoices)`.execute(db);
  return rows;
}
