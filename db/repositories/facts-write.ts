// Writing accepted events as facts, set-based: one multi-row statement per fact kind for a
// whole batch (`unnest` of one array per column). The caller (services/ingest/facts.ts)
// reduces keyed facts within the batch first, because one statement may not upsert a row
// twice, and passes them in key order, so concurrent batches lock rows in the same order.
// Lookups of the stored rows lock them (for update) until the caller's transaction ends.
import { sql, type Kysely } from 'kysely';
import type { EventOf } from '../../domain/events/schema.ts';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';

type Partner = EventOf<'partner.upserted'>;
type Deal = EventOf<'deal.upserted'>;
type Invoice = EventOf<'invoice.booked'>;
type Credit = EventOf<'invoice.credited'>;

const fxOf = (d: { currency: string; fxRate?: string | undefined }) => d.fxRate ?? null;

/**
 * One array per column, for `unnest`: one bind parameter per column instead of one per value.
 * Lookups by key probe the primary key once per key (a LATERAL subquery behind `offset 0`,
 * which the planner cannot flatten into a hash join scanning the whole table per batch),
 * in key order, locking as they go, as the OR-lists they replace did.
 */
function columns<T, R extends readonly unknown[]>(
  items: readonly T[],
  row: (item: T) => R,
): { [K in keyof R]: Array<R[K]> } {
  const width = items.length === 0 ? 0 : row(items[0] as T).length;
  const out = Array.from({ length: width }, () => new Array<unknown>(items.length));
  items.forEach((item, i) => {
    const values = row(item);
    for (let c = 0; c < width; c++) (out[c] as unknown[])[i] = values[c] ?? null;
  });
  return out as { [K in keyof R]: Array<R[K]> };
}

/** The stored version of each partner, locked. */
export async function lockPartnerVersions(db: Kysely<DB>, partnerIds: readonly string[]) {
  return db
    .selectFrom('partners')
    .select(['partner_id', 'version'])
    .where('partner_id', 'in', [...partnerIds])
    .orderBy('partner_id')
    .forUpdate()
    .execute();
}

/** Upserts partners unless a higher version is stored; returns the partner ids written. */
export async function upsertPartners(db: Kysely<DB>, events: readonly Partner[]): Promise<Set<string>> {
  const written = await db
    .insertInto('partners')
    .values(
      events.map((e) => ({
        partner_id: e.partnerId,
        name: e.data.name,
        partner_type: e.data.partnerType,
        region: e.data.region ?? null,
        status: e.data.status ?? 'active',
        version: e.data.version,
        contacts: toJsonb(
          e.data.contacts.map((c) => ({
            email: c.email,
            ...(c.name ? { name: c.name } : {}),
            ...(c.role ? { role: c.role } : {}),
          })),
        ),
        source_event_id: e.id,
      })),
    )
    .onConflict((oc) =>
      oc
        .column('partner_id')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          partner_type: eb.ref('excluded.partner_type'),
          region: eb.ref('excluded.region'),
          status: eb.ref('excluded.status'),
          version: eb.ref('excluded.version'),
          contacts: eb.ref('excluded.contacts'),
          source_event_id: eb.ref('excluded.source_event_id'),
          updated_at: sql`now()`,
        }))
        .where('excluded.version', '>=', (eb) => eb.ref('partners.version')),
    )
    .returning('partner_id')
    .execute();
  return new Set(written.map((r) => r.partner_id));
}

/** The stored deals of these events (their days and version), locked. */
export async function lockDeals(db: Kysely<DB>, events: readonly Deal[]) {
  const [partnerIds, dealIds] = columns(events, (e) => [e.partnerId, e.data.dealId] as const);
  const rows = await sql<{
    partner_id: string;
    deal_id: string;
    registered_at: string | null;
    closed_at: string | null;
    version: string;
  }>`
      select d.partner_id, d.deal_id, d.registered_at, d.closed_at, d.version
      from (select * from unnest(${partnerIds}::text[], ${dealIds}::text[]) as k(partner_id, deal_id) order by 1, 2) k
      cross join lateral (
        select deals.partner_id, deals.deal_id, deals.registered_at, deals.closed_at, deals.version from deals
        where deals.partner_id = k.partner_id and deals.deal_id = k.deal_id offset 0) d
      order by d.partner_id, d.deal_id
      for update of d`.execute(db);
  return rows.rows;
}

/** Upserts deals unless a higher version is stored; returns the (partner id, deal id) pairs written. */
export async function upsertDeals(db: Kysely<DB>, events: readonly Deal[]) {
  const cols = columns(
    events,
    (e) =>
      [
        e.partnerId,
        e.data.dealId,
        e.data.version,
        e.data.stage,
        e.data.amount,
        e.data.currency,
        fxOf(e.data),
        e.data.customerId ?? null,
        e.data.registeredAt ?? null,
        e.data.closedAt ?? null,
        e.source,
        e.id,
      ] as const,
  );
  const written = await sql<{ partner_id: string; deal_id: string }>`
      insert into deals (partner_id, deal_id, version, stage, amount, currency, fx_rate, customer_id, registered_at,
                         closed_at, source, event_id)
      select * from unnest(${cols[0]}::text[], ${cols[1]}::text[], ${cols[2]}::bigint[], ${cols[3]}::text[],
                           ${cols[4]}::numeric[], ${cols[5]}::text[], ${cols[6]}::numeric[], ${cols[7]}::text[],
                           ${cols[8]}::date[], ${cols[9]}::date[], ${cols[10]}::text[], ${cols[11]}::text[])
      on conflict (partner_id, deal_id) do update set
        version = excluded.version, stage = excluded.stage, amount = excluded.amount, currency = excluded.currency,
        fx_rate = excluded.fx_rate, customer_id = excluded.customer_id, registered_at = excluded.registered_at,
        closed_at = excluded.closed_at, source = excluded.source,
        event_id = excluded.event_id, received_seq = nextval('event_received_seq'), updated_at = now()
      where excluded.version >= deals.version
      returning partner_id, deal_id`.execute(db);
  return written.rows;
}

export async function insertCertificationsEarned(
  db: Kysely<DB>,
  events: readonly EventOf<'certification.earned'>[],
): Promise<void> {
  const c = columns(
    events,
    (e) =>
      [
        e.source,
        e.id,
        e.partnerId,
        e.data.personId,
        e.data.certificationId,
        e.data.earnedAt,
        e.data.expiresAt ?? null,
      ] as const,
  );
  await sql`
      insert into certifications_earned (source, event_id, partner_id, person_id, certification_id, earned_at, expires_at)
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[],
                           ${c[5]}::date[], ${c[6]}::date[])
      on conflict (source, event_id) do nothing`.execute(db);
}

export async function insertCertificationRevocations(
  db: Kysely<DB>,
  events: readonly EventOf<'certification.revoked'>[],
): Promise<void> {
  const c = columns(
    events,
    (e) => [e.source, e.id, e.partnerId, e.data.personId, e.data.certificationId, e.data.revokedAt] as const,
  );
  await sql`
      insert into certification_revocations (source, event_id, partner_id, person_id, certification_id, revoked_at)
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[], ${c[5]}::date[])
      on conflict (source, event_id) do nothing`.execute(db);
}

export async function insertPersonDepartures(
  db: Kysely<DB>,
  events: readonly EventOf<'person.departed'>[],
): Promise<void> {
  const c = columns(events, (e) => [e.source, e.id, e.partnerId, e.data.personId, e.data.departedAt] as const);
  await sql`
      insert into person_departures (source, event_id, partner_id, person_id, departed_at)
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::date[])
      on conflict (source, event_id) do nothing`.execute(db);
}

/** The stored invoices of these events (their booking day), locked. */
export async function lockInvoices(db: Kysely<DB>, events: readonly Invoice[]) {
  const [partnerIds, invoiceIds] = columns(events, (e) => [e.partnerId, e.data.invoiceId] as const);
  const rows = await sql<{ partner_id: string; invoice_id: string; booked_at: string }>`
      select i.partner_id, i.invoice_id, i.booked_at
      from (select * from unnest(${partnerIds}::text[], ${invoiceIds}::text[]) as k(partner_id, invoice_id) order by 1, 2) k
      cross join lateral (
        select invoices.partner_id, invoices.invoice_id, invoices.booked_at from invoices
        where invoices.partner_id = k.partner_id and invoices.invoice_id = k.invoice_id offset 0) i
      order by i.partner_id, i.invoice_id
      for update of i`.execute(db);
  return rows.rows;
}

export async function upsertInvoices(db: Kysely<DB>, events: readonly Invoice[]): Promise<void> {
  const c = columns(
    events,
    (e) =>
      [
        e.partnerId,
        e.data.invoiceId,
        e.data.amount,
        e.data.currency,
        fxOf(e.data),
        e.data.bookedAt,
        e.data.recurring,
        e.source,
        e.id,
      ] as const,
  );
  await sql`
    insert into invoices (partner_id, invoice_id, amount, currency, fx_rate, booked_at, recurring, source, event_id)
    select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::numeric[], ${c[3]}::text[], ${c[4]}::numeric[],
                         ${c[5]}::date[], ${c[6]}::boolean[], ${c[7]}::text[], ${c[8]}::text[])
    on conflict (partner_id, invoice_id) do update set
      amount = excluded.amount, currency = excluded.currency, fx_rate = excluded.fx_rate, booked_at = excluded.booked_at,
      recurring = excluded.recurring, source = excluded.source, event_id = excluded.event_id`.execute(db);
}

/** The days of the stored credits of these events' invoices. */
export async function creditDaysOfInvoices(db: Kysely<DB>, events: readonly Invoice[]) {
  const [partnerIds, invoiceIds] = columns(events, (e) => [e.partnerId, e.data.invoiceId] as const);
  const rows = await sql<{ partner_id: string; credited_at: string }>`
      select ic.partner_id, ic.credited_at
      from unnest(${partnerIds}::text[], ${invoiceIds}::text[]) as k(partner_id, invoice_id)
      cross join lateral (
        select invoice_credits.partner_id, invoice_credits.credited_at from invoice_credits
        where invoice_credits.partner_id = k.partner_id and invoice_credits.invoice_id = k.invoice_id offset 0) ic`.execute(
    db,
  );
  return rows.rows;
}

/** The stored credits of these events (their day), locked. */
export async function lockCredits(db: Kysely<DB>, events: readonly Credit[]) {
  const [partnerIds, invoiceIds, creditIds] = columns(
    events,
    (e) => [e.partnerId, e.data.invoiceId, e.data.creditId] as const,
  );
  const rows = await sql<{ partner_id: string; invoice_id: string; credit_id: string; credited_at: string }>`
      select ic.partner_id, ic.invoice_id, ic.credit_id, ic.credited_at
      from (select * from unnest(${partnerIds}::text[], ${invoiceIds}::text[], ${creditIds}::text[])
              as k(partner_id, invoice_id, credit_id) order by 1, 2, 3) k
      cross join lateral (
        select c.partner_id, c.invoice_id, c.credit_id, c.credited_at from invoice_credits c
        where c.partner_id = k.partner_id and c.invoice_id = k.invoice_id and c.credit_id = k.credit_id offset 0) ic
      order by ic.partner_id, ic.invoice_id, ic.credit_id
      for update of ic`.execute(db);
  return rows.rows;
}

export async function upsertCredits(db: Kysely<DB>, events: readonly Credit[]): Promise<void> {
  const c = columns(
    events,
    (e) =>
      [
        e.partnerId,
        e.data.invoiceId,
        e.data.creditId,
        e.data.amount,
        e.data.currency,
        fxOf(e.data),
        e.data.creditedAt,
        e.source,
        e.id,
      ] as const,
  );
  await sql`
    insert into invoice_credits (partner_id, invoice_id, credit_id, amount, currency, fx_rate, credited_at, source, event_id)
    select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::numeric[], ${c[4]}::text[],
                         ${c[5]}::numeric[], ${c[6]}::date[], ${c[7]}::text[], ${c[8]}::text[])
    on conflict (partner_id, invoice_id, credit_id) do update set
      amount = excluded.amount, currency = excluded.currency, fx_rate = excluded.fx_rate, credited_at = excluded.credited_at,
      source = excluded.source, event_id = excluded.event_id`.execute(db);
}
