// A seeded partner population written straight into the fact tables with set-based SQL
// (INSERT ... SELECT generate_series), for data sets too large to push through the event
// pipeline in reasonable time (10 million deals). The rows are the ones ingest would
// leave behind for the same events: a partner row and its partner.upserted inbox row (the
// nightly run lists partners from the inbox), deals at their last version, certifications
// with expiry, a year of monthly invoices, and the recompute each partner then owes. Every
// value is a hash of (seed, partner, item), so a seed always gives the same rows, in any
// batch order.
/* eslint-disable no-restricted-properties, no-restricted-syntax -- the statements are built from integers and fixed
   identifiers only (never from input), and one statement per table keeps the generator readable */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';

export interface FactsOptions {
  seed: number;
  /** Partners first..last (1-based, inclusive) are written; ids are P-000001 style. */
  first: number;
  last: number;
  dealsPerPartner: number;
  certificationsPerPartner: number;
  /** Monthly invoices, ending with the month of `until`. */
  invoiceMonths: number;
  /** The last business day of the history (deals close on or before it). */
  until: string;
  /** Partners per statement: bounds each transaction's size. */
  batch?: number;
}

export const partnerId = (n: number): string => `P-${String(n).padStart(6, '0')}`;

// A uniform number in [0, 1) from the seed and up to three integers; Postgres' hashint8 is
// deterministic for a given input.
const u = (seed: number, salt: number, a: string, b = '0'): string =>
  `((hashint8((${a})::bigint * 1000003 + (${b})::bigint * 7919 + ${salt * 104729 + seed}) & 2147483647)::float8 / 2147483648.0)`;

const TYPES = ['reseller', 'reseller', 'reseller', 'msp', 'referral', 'referral'];
const REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'];
const CERTS = ['sales-associate', 'sales-expert', 'sales-associate', 'tech-associate', 'tech-expert'];

function textArray(values: readonly string[]): string {
  return `array[${values.map((v) => `'${v}'`).join(',')}]`;
}

/** Writes partners first..last; returns the number of deal rows written. */
export async function writeFacts(
  db: Kysely<DB>,
  o: FactsOptions,
): Promise<{ partners: number; deals: number; certifications: number; invoices: number }> {
  const batch = o.batch ?? 5_000;
  const s = o.seed;
  const totals = { partners: 0, deals: 0, certifications: 0, invoices: 0 };
  for (let from = o.first; from <= o.last; from += batch) {
    const to = Math.min(o.last, from + batch - 1);
    const pid = `'P-' || lpad(p::text, 6, '0')`;
    // A partner's size (0.1–3.0, long-tailed) scales its amounts, so tiers spread out.
    const size = `(0.1 + 2.9 * power(${u(s, 1, 'p')}, 3))`;
    await db.transaction().execute(async (trx) => {
      const partners = await sql
        .raw(
          `insert into partners (partner_id, name, partner_type, region, status, version, contacts, source_event_id)
           select ${pid}, 'Partner ' || p, (${textArray(TYPES)})[1 + (p % 6)], (${textArray(REGIONS)})[1 + (p % 4)], 'active', 1,
                  jsonb_build_array(jsonb_build_object('email', 'owner' || p || '@example.com', 'name', 'Owner ' || p, 'role', 'primary')),
                  'crm-p-' || p
           from generate_series(${from}, ${to}) p`,
        )
        .execute(trx);
      await sql
        .raw(
          `insert into inbox (source, event_id, partner_id, type, payload, payload_hash, outcome)
           select 'crm', 'crm-p-' || p, ${pid}, 'partner.upserted',
                  jsonb_build_object('id', 'crm-p-' || p, 'source', 'crm', 'type', 'partner.upserted',
                    'occurredAt', '2024-01-01T00:00:00Z', 'partnerId', ${pid},
                    'data', jsonb_build_object('name', 'Partner ' || p, 'partnerType', (${textArray(TYPES)})[1 + (p % 6)], 'version', 1)),
                  md5('crm-p-' || p), 'accepted'
           from generate_series(${from}, ${to}) p`,
        )
        .execute(trx);
      // Registered over the last two years, closed 5–120 days later (not after `until`):
      // 70% won, 20% lost, 10% still open; one in ten in EUR.
      const reg = `('${o.until}'::date - (${u(s, 2, 'p', 'k')} * 730)::int)`;
      const close = `least('${o.until}'::date, ${reg} + 5 + (${u(s, 3, 'p', 'k')} * 115)::int)`;
      const stage =
        `case when ${u(s, 4, 'p', 'k')} < 0.7 then 'closed_won' ` +
        `when ${u(s, 4, 'p', 'k')} < 0.9 then 'closed_lost' else 'open' end`;
      const eur = `${u(s, 5, 'p', 'k')} < 0.1`;
      const deals = await sql
        .raw(
          `insert into deals (partner_id, deal_id, version, stage, amount, currency, fx_rate, customer_id, registered_at,
                              closed_at, source, event_id)
           select ${pid}, 'D-' || k, 2, st, round(((500 + ${u(s, 6, 'p', 'k')} * 29500) * ${size})::numeric, 2),
                  case when ${eur} then 'EUR' else 'USD' end, case when ${eur} then 1.0842 end,
                  'C-' || (1 + (${u(s, 7, 'p', 'k')} * 400)::int), ${reg}, case when st = 'open' then null else ${close} end,
                  'crm', 'crm-d-' || p || '-' || k
           from generate_series(${from}, ${to}) p, generate_series(1, ${o.dealsPerPartner}) k, lateral (select ${stage} as st) x`,
        )
        .execute(trx);
      // Staff of five per partner; earned over the last three years, 85% expire after two.
      const earned = `('${o.until}'::date - (${u(s, 8, 'p', 'k')} * 1095)::int)`;
      const certs = await sql
        .raw(
          `insert into certifications_earned (source, event_id, partner_id, person_id, certification_id, earned_at, expires_at)
           select 'lms', 'lms-c-' || p || '-' || k, ${pid}, ${pid} || '-E' || (1 + (k % 5)),
                  (${textArray(CERTS)})[1 + (${u(s, 9, 'p', 'k')} * 5)::int % 5],
                  ${earned}, case when ${u(s, 10, 'p', 'k')} < 0.85 then (${earned} + interval '2 years')::date end
           from generate_series(${from}, ${to}) p, generate_series(1, ${o.certificationsPerPartner}) k`,
        )
        .execute(trx);
      const invoices = await sql
        .raw(
          `insert into invoices (partner_id, invoice_id, amount, currency, fx_rate, booked_at, recurring, source, event_id)
           select ${pid}, 'INV-' || m, round(((300 + ${u(s, 11, 'p', 'm')} * 14700) * ${size})::numeric, 2), 'USD', null,
                  (date_trunc('month', '${o.until}'::date) - (m || ' months')::interval)::date, ${u(s, 12, 'p', 'm')} < 0.7,
                  'erp', 'erp-i-' || p || '-' || m
           from generate_series(${from}, ${to}) p, generate_series(0, ${o.invoiceMonths - 1}) m`,
        )
        .execute(trx);
      // As a backfill leaves them: each partner owes a recompute of its whole history.
      await sql
        .raw(
          `insert into recompute_requests (partner_id, from_day, trigger_event_ids, requested_at)
           select ${pid}, null, array['crm:crm-p-' || p], clock_timestamp() from generate_series(${from}, ${to}) p
           on conflict (partner_id) do update set from_day = null, requested_at = excluded.requested_at`,
        )
        .execute(trx);
      totals.partners += Number(partners.numAffectedRows ?? 0);
      totals.deals += Number(deals.numAffectedRows ?? 0);
      totals.certifications += Number(certs.numAffectedRows ?? 0);
      totals.invoices += Number(invoices.numAffectedRows ?? 0);
    });
  }
  return totals;
}
