// Writing accepted events as facts, set-based: one multi-row statement per fact kind for a
// whole batch (`unnest` of one array per column). Keyed facts (deals, partners, invoices, credits) are reduced within the batch
// first, because one statement may not upsert a row twice. Returns the events that lost to
// a higher stored version (stale) and the earliest business day each partner's facts moved.
import { sql, type Transaction } from 'kysely';
import type { EventOf } from '../../domain/events/schema.ts';
import type { CanonicalEvent } from '../../domain/events/schema.ts';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';

export interface Claimed {
  index: number;
  event: CanonicalEvent;
}

export interface FactWriteResult {
  stale: Set<number>;
  /** partnerId → earliest affected day ('YYYY-MM-DD'), or null for the whole history. */
  affected: Map<string, string | null>;
}

type Of<T extends CanonicalEvent['type']> = Claimed & { event: EventOf<T> };

function touch(
  affected: Map<string, string | null>,
  partnerId: string,
  ...days: Array<string | null | undefined>
): void {
  if (affected.has(partnerId) && affected.get(partnerId) === null) return;
  for (const day of days) {
    if (day === undefined) continue;
    const current = affected.get(partnerId);
    if (day === null) affected.set(partnerId, null);
    else if (current === undefined || (current !== null && day < current)) affected.set(partnerId, day);
    if (affected.get(partnerId) === null) return;
  }
}

/**
 * The last of each key wins, except that a higher `version` beats a later arrival. Losers
 * that arrived after a higher version are stale; ones replaced by a later arrival were
 * applied in their turn (`superseded`), as they would have been one at a time.
 */
function reduceByKey<T extends Claimed>(
  items: readonly T[],
  key: (c: T) => string,
  version?: (c: T) => number,
): { winners: T[]; losers: T[]; superseded: T[] } {
  const best = new Map<string, T>();
  const losers: T[] = [];
  const superseded: T[] = [];
  for (const item of items) {
    const k = key(item);
    const current = best.get(k);
    if (current && version && version(current) > version(item)) losers.push(item);
    else {
      if (current) superseded.push(current);
      best.set(k, item);
    }
  }
  // Rows are written in key order so that concurrent batches lock them in the same order
  // (no deadlocks between workers).
  const winners = [...best.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return { winners, losers, superseded };
}

/** A superseded event counts as applied if it was not older than what was stored before the batch. */
function markSuperseded<T extends Claimed>(
  superseded: readonly T[],
  storedVersion: (c: T) => number | undefined,
  version: (c: T) => number,
  stale: Set<number>,
): void {
  for (const s of superseded) {
    const stored = storedVersion(s);
    if (stored !== undefined && stored > version(s)) stale.add(s.index);
  }
}

function ofType<T extends CanonicalEvent['type']>(claimed: readonly Claimed[], type: T): Of<T>[] {
  return claimed.filter((c): c is Of<T> => c.event.type === type);
}

const fxOf = (d: { currency: string; fxRate?: string | undefined }) => d.fxRate ?? null;

export async function writeFacts(trx: Transaction<DB>, claimed: readonly Claimed[]): Promise<FactWriteResult> {
  const stale = new Set<number>();
  const affected = new Map<string, string | null>();
  await writePartners(trx, ofType(claimed, 'partner.upserted'), stale, affected);
  await writeDeals(trx, ofType(claimed, 'deal.upserted'), stale, affected);
  await writeCertificationEvents(trx, claimed, affected);
  await writeInvoices(trx, ofType(claimed, 'invoice.booked'), affected);
  await writeCredits(trx, ofType(claimed, 'invoice.credited'), affected);
  return { stale, affected };
}

async function writePartners(
  trx: Transaction<DB>,
  items: Of<'partner.upserted'>[],
  stale: Set<number>,
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners, losers, superseded } = reduceByKey(
    items,
    (c) => c.event.partnerId,
    (c) => c.event.data.version,
  );
  for (const l of losers) stale.add(l.index);
  const previous = await trx
    .selectFrom('partners')
    .select(['partner_id', 'version'])
    .where(
      'partner_id',
      'in',
      winners.map((w) => w.event.partnerId),
    )
    .orderBy('partner_id')
    .forUpdate()
    .execute();
  const storedVersion = new Map(previous.map((r) => [r.partner_id, Number(r.version)]));
  markSuperseded(
    superseded,
    (c) => storedVersion.get(c.event.partnerId),
    (c) => c.event.data.version,
    stale,
  );
  const written = await trx
    .insertInto('partners')
    .values(
      winners.map(({ event: e }) => ({
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
  const won = new Set(written.map((r) => r.partner_id));
  for (const w of winners) {
    // The track (partnerType) applies to the whole history (docs/events.md#facts).
    if (won.has(w.event.partnerId)) touch(affected, w.event.partnerId, null);
    else stale.add(w.index);
  }
}

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

async function writeDeals(
  trx: Transaction<DB>,
  items: Of<'deal.upserted'>[],
  stale: Set<number>,
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners, losers, superseded } = reduceByKey(
    items,
    (c) => `${c.event.partnerId}\u0000${c.event.data.dealId}`,
    (c) => c.event.data.version,
  );
  for (const l of losers) stale.add(l.index);
  // The days the previous state counted on are affected too (a deal moved or lost).
  const [partnerIds, dealIds] = columns(winners, ({ event: e }) => [e.partnerId, e.data.dealId] as const);
  const previous = (
    await sql<{
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
      for update of d`.execute(trx)
  ).rows;
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.deal_id}`, r]));
  markSuperseded(
    superseded,
    (c) => {
      const v = before.get(`${c.event.partnerId}\u0000${c.event.data.dealId}`)?.version;
      return v === undefined ? undefined : Number(v);
    },
    (c) => c.event.data.version,
    stale,
  );
  const cols = columns(
    winners,
    ({ event: e }) =>
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
  const written = (
    await sql<{ partner_id: string; deal_id: string }>`
      insert into deals (partner_id, deal_id, version, stage, amount, currency, fx_rate, customer_id, registered_at, closed_at, source, event_id)
      select * from unnest(${cols[0]}::text[], ${cols[1]}::text[], ${cols[2]}::bigint[], ${cols[3]}::text[], ${cols[4]}::numeric[], ${cols[5]}::text[],
                           ${cols[6]}::numeric[], ${cols[7]}::text[], ${cols[8]}::date[], ${cols[9]}::date[], ${cols[10]}::text[], ${cols[11]}::text[])
      on conflict (partner_id, deal_id) do update set
        version = excluded.version, stage = excluded.stage, amount = excluded.amount, currency = excluded.currency, fx_rate = excluded.fx_rate,
        customer_id = excluded.customer_id, registered_at = excluded.registered_at, closed_at = excluded.closed_at, source = excluded.source,
        event_id = excluded.event_id, received_seq = nextval('event_received_seq'), updated_at = now()
      where excluded.version >= deals.version
      returning partner_id, deal_id`.execute(trx)
  ).rows;
  const won = new Set(written.map((r) => `${r.partner_id}\u0000${r.deal_id}`));
  for (const w of winners) {
    const key = `${w.event.partnerId}\u0000${w.event.data.dealId}`;
    if (!won.has(key)) {
      stale.add(w.index);
      continue;
    }
    const old = before.get(key);
    touch(
      affected,
      w.event.partnerId,
      w.event.data.registeredAt,
      w.event.data.closedAt,
      old?.registered_at ?? undefined,
      old?.closed_at ?? undefined,
    );
  }
}

async function writeCertificationEvents(
  trx: Transaction<DB>,
  claimed: readonly Claimed[],
  affected: Map<string, string | null>,
): Promise<void> {
  const byEvent = <T extends Claimed>(items: T[]): T[] =>
    items.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  const earned = byEvent(ofType(claimed, 'certification.earned'));
  if (earned.length > 0) {
    const c = columns(
      earned,
      ({ event: e }) =>
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
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[], ${c[5]}::date[], ${c[6]}::date[])
      on conflict (source, event_id) do nothing`.execute(trx);
    for (const { event: e } of earned) touch(affected, e.partnerId, e.data.earnedAt);
  }
  const revoked = byEvent(ofType(claimed, 'certification.revoked'));
  if (revoked.length > 0) {
    const c = columns(
      revoked,
      ({ event: e }) =>
        [e.source, e.id, e.partnerId, e.data.personId, e.data.certificationId, e.data.revokedAt] as const,
    );
    await sql`
      insert into certification_revocations (source, event_id, partner_id, person_id, certification_id, revoked_at)
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::text[], ${c[5]}::date[])
      on conflict (source, event_id) do nothing`.execute(trx);
    for (const { event: e } of revoked) touch(affected, e.partnerId, e.data.revokedAt);
  }
  const departed = byEvent(ofType(claimed, 'person.departed'));
  if (departed.length > 0) {
    const c = columns(
      departed,
      ({ event: e }) => [e.source, e.id, e.partnerId, e.data.personId, e.data.departedAt] as const,
    );
    await sql`
      insert into person_departures (source, event_id, partner_id, person_id, departed_at)
      select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::text[], ${c[4]}::date[])
      on conflict (source, event_id) do nothing`.execute(trx);
    for (const { event: e } of departed) touch(affected, e.partnerId, e.data.departedAt);
  }
}

async function writeInvoices(
  trx: Transaction<DB>,
  items: Of<'invoice.booked'>[],
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(items, (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}`);
  const [partnerIds, invoiceIds] = columns(winners, ({ event: e }) => [e.partnerId, e.data.invoiceId] as const);
  const previous = (
    await sql<{ partner_id: string; invoice_id: string; booked_at: string }>`
      select i.partner_id, i.invoice_id, i.booked_at
      from (select * from unnest(${partnerIds}::text[], ${invoiceIds}::text[]) as k(partner_id, invoice_id) order by 1, 2) k
      cross join lateral (
        select invoices.partner_id, invoices.invoice_id, invoices.booked_at from invoices
        where invoices.partner_id = k.partner_id and invoices.invoice_id = k.invoice_id offset 0) i
      order by i.partner_id, i.invoice_id
      for update of i`.execute(trx)
  ).rows;
  const c = columns(
    winners,
    ({ event: e }) =>
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
    select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::numeric[], ${c[3]}::text[], ${c[4]}::numeric[], ${c[5]}::date[], ${c[6]}::boolean[], ${c[7]}::text[], ${c[8]}::text[])
    on conflict (partner_id, invoice_id) do update set
      amount = excluded.amount, currency = excluded.currency, fx_rate = excluded.fx_rate, booked_at = excluded.booked_at,
      recurring = excluded.recurring, source = excluded.source, event_id = excluded.event_id`.execute(trx);
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}`, r.booked_at]));
  // Credits take `recurring` from their invoice whatever its date, so a booking touches
  // the history from the earliest of its own and its credits' days.
  const credits = (
    await sql<{ partner_id: string; credited_at: string }>`
      select ic.partner_id, ic.credited_at
      from unnest(${partnerIds}::text[], ${invoiceIds}::text[]) as k(partner_id, invoice_id)
      cross join lateral (
        select invoice_credits.partner_id, invoice_credits.credited_at from invoice_credits
        where invoice_credits.partner_id = k.partner_id and invoice_credits.invoice_id = k.invoice_id offset 0) ic`.execute(
      trx,
    )
  ).rows;
  for (const { event: e } of winners)
    touch(affected, e.partnerId, e.data.bookedAt, before.get(`${e.partnerId}\u0000${e.data.invoiceId}`));
  for (const c of credits) touch(affected, c.partner_id, c.credited_at);
}

async function writeCredits(
  trx: Transaction<DB>,
  items: Of<'invoice.credited'>[],
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(
    items,
    (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}\u0000${c.event.data.creditId}`,
  );
  const [partnerIds, invoiceIds, creditIds] = columns(
    winners,
    ({ event: e }) => [e.partnerId, e.data.invoiceId, e.data.creditId] as const,
  );
  const previous = (
    await sql<{ partner_id: string; invoice_id: string; credit_id: string; credited_at: string }>`
      select ic.partner_id, ic.invoice_id, ic.credit_id, ic.credited_at
      from (select * from unnest(${partnerIds}::text[], ${invoiceIds}::text[], ${creditIds}::text[]) as k(partner_id, invoice_id, credit_id) order by 1, 2, 3) k
      cross join lateral (
        select c.partner_id, c.invoice_id, c.credit_id, c.credited_at from invoice_credits c
        where c.partner_id = k.partner_id and c.invoice_id = k.invoice_id and c.credit_id = k.credit_id offset 0) ic
      order by ic.partner_id, ic.invoice_id, ic.credit_id
      for update of ic`.execute(trx)
  ).rows;
  const c = columns(
    winners,
    ({ event: e }) =>
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
    select * from unnest(${c[0]}::text[], ${c[1]}::text[], ${c[2]}::text[], ${c[3]}::numeric[], ${c[4]}::text[], ${c[5]}::numeric[], ${c[6]}::date[], ${c[7]}::text[], ${c[8]}::text[])
    on conflict (partner_id, invoice_id, credit_id) do update set
      amount = excluded.amount, currency = excluded.currency, fx_rate = excluded.fx_rate, credited_at = excluded.credited_at,
      source = excluded.source, event_id = excluded.event_id`.execute(trx);
  const before = new Map(
    previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}\u0000${r.credit_id}`, r.credited_at]),
  );
  for (const { event: e } of winners)
    touch(
      affected,
      e.partnerId,
      e.data.creditedAt,
      before.get(`${e.partnerId}\u0000${e.data.invoiceId}\u0000${e.data.creditId}`),
    );
}
