// Writing accepted events as facts, set-based: one multi-row statement per fact kind for a
// whole batch. Keyed facts (deals, partners, invoices, credits) are reduced within the batch
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

function touch(affected: Map<string, string | null>, partnerId: string, ...days: Array<string | null | undefined>): void {
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
function reduceByKey<T extends Claimed>(items: readonly T[], key: (c: T) => string, version?: (c: T) => number): { winners: T[]; losers: T[]; superseded: T[] } {
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
function markSuperseded<T extends Claimed>(superseded: readonly T[], storedVersion: (c: T) => number | undefined, version: (c: T) => number, stale: Set<number>): void {
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

async function writePartners(trx: Transaction<DB>, items: Of<'partner.upserted'>[], stale: Set<number>, affected: Map<string, string | null>): Promise<void> {
  if (items.length === 0) return;
  const { winners, losers, superseded } = reduceByKey(items, (c) => c.event.partnerId, (c) => c.event.data.version);
  for (const l of losers) stale.add(l.index);
  const previous = await trx.selectFrom('partners').select(['partner_id', 'version']).where('partner_id', 'in', winners.map((w) => w.event.partnerId)).orderBy('partner_id').forUpdate().execute();
  const storedVersion = new Map(previous.map((r) => [r.partner_id, Number(r.version)]));
  markSuperseded(superseded, (c) => storedVersion.get(c.event.partnerId), (c) => c.event.data.version, stale);
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
        contacts: toJsonb(e.data.contacts.map((c) => ({ email: c.email, ...(c.name ? { name: c.name } : {}), ...(c.role ? { role: c.role } : {}) }))),
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
    // The track (partnerType) applies to the whole history (SPEC §3a rule 10).
    if (won.has(w.event.partnerId)) touch(affected, w.event.partnerId, null);
    else stale.add(w.index);
  }
}

async function writeDeals(trx: Transaction<DB>, items: Of<'deal.upserted'>[], stale: Set<number>, affected: Map<string, string | null>): Promise<void> {
  if (items.length === 0) return;
  const { winners, losers, superseded } = reduceByKey(items, (c) => `${c.event.partnerId}\u0000${c.event.data.dealId}`, (c) => c.event.data.version);
  for (const l of losers) stale.add(l.index);
  // The days the previous state counted on are affected too (a deal moved or lost).
  const previous = await trx
    .selectFrom('deals')
    .select(['partner_id', 'deal_id', 'registered_at', 'closed_at', 'version'])
    .where((eb) => eb.or(winners.map(({ event: e }) => eb.and([eb('partner_id', '=', e.partnerId), eb('deal_id', '=', e.data.dealId)]))))
    .orderBy('partner_id')
    .orderBy('deal_id')
    .forUpdate()
    .execute();
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.deal_id}`, r]));
  markSuperseded(superseded, (c) => { const v = before.get(`${c.event.partnerId}\u0000${c.event.data.dealId}`)?.version; return v === undefined ? undefined : Number(v); }, (c) => c.event.data.version, stale);
  const written = await trx
    .insertInto('deals')
    .values(
      winners.map(({ event: e }) => ({
        partner_id: e.partnerId,
        deal_id: e.data.dealId,
        version: e.data.version,
        stage: e.data.stage,
        amount: e.data.amount,
        currency: e.data.currency,
        fx_rate: fxOf(e.data),
        customer_id: e.data.customerId ?? null,
        registered_at: e.data.registeredAt ?? null,
        closed_at: e.data.closedAt ?? null,
        source: e.source,
        event_id: e.id,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['partner_id', 'deal_id'])
        .doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          stage: eb.ref('excluded.stage'),
          amount: eb.ref('excluded.amount'),
          currency: eb.ref('excluded.currency'),
          fx_rate: eb.ref('excluded.fx_rate'),
          customer_id: eb.ref('excluded.customer_id'),
          registered_at: eb.ref('excluded.registered_at'),
          closed_at: eb.ref('excluded.closed_at'),
          source: eb.ref('excluded.source'),
          event_id: eb.ref('excluded.event_id'),
          received_seq: sql`nextval('event_received_seq')`,
          updated_at: sql`now()`,
        }))
        .where('excluded.version', '>=', (eb) => eb.ref('deals.version')),
    )
    .returning(['partner_id', 'deal_id'])
    .execute();
  const won = new Set(written.map((r) => `${r.partner_id}\u0000${r.deal_id}`));
  for (const w of winners) {
    const key = `${w.event.partnerId}\u0000${w.event.data.dealId}`;
    if (!won.has(key)) {
      stale.add(w.index);
      continue;
    }
    const old = before.get(key);
    touch(affected, w.event.partnerId, w.event.data.registeredAt, w.event.data.closedAt, old?.registered_at ?? undefined, old?.closed_at ?? undefined);
  }
}

async function writeCertificationEvents(trx: Transaction<DB>, claimed: readonly Claimed[], affected: Map<string, string | null>): Promise<void> {
  const byEvent = <T extends Claimed>(items: T[]): T[] => items.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  const earned = byEvent(ofType(claimed, 'certification.earned'));
  if (earned.length > 0) {
    await trx
      .insertInto('certifications_earned')
      .values(earned.map(({ event: e }) => ({ source: e.source, event_id: e.id, partner_id: e.partnerId, person_id: e.data.personId, certification_id: e.data.certificationId, earned_at: e.data.earnedAt, expires_at: e.data.expiresAt ?? null })))
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .execute();
    for (const { event: e } of earned) touch(affected, e.partnerId, e.data.earnedAt);
  }
  const revoked = byEvent(ofType(claimed, 'certification.revoked'));
  if (revoked.length > 0) {
    await trx
      .insertInto('certification_revocations')
      .values(revoked.map(({ event: e }) => ({ source: e.source, event_id: e.id, partner_id: e.partnerId, person_id: e.data.personId, certification_id: e.data.certificationId, revoked_at: e.data.revokedAt })))
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .execute();
    for (const { event: e } of revoked) touch(affected, e.partnerId, e.data.revokedAt);
  }
  const departed = byEvent(ofType(claimed, 'person.departed'));
  if (departed.length > 0) {
    await trx
      .insertInto('person_departures')
      .values(departed.map(({ event: e }) => ({ source: e.source, event_id: e.id, partner_id: e.partnerId, person_id: e.data.personId, departed_at: e.data.departedAt })))
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .execute();
    for (const { event: e } of departed) touch(affected, e.partnerId, e.data.departedAt);
  }
}

async function writeInvoices(trx: Transaction<DB>, items: Of<'invoice.booked'>[], affected: Map<string, string | null>): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(items, (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}`);
  const previous = await trx
    .selectFrom('invoices')
    .select(['partner_id', 'invoice_id', 'booked_at'])
    .where((eb) => eb.or(winners.map(({ event: e }) => eb.and([eb('partner_id', '=', e.partnerId), eb('invoice_id', '=', e.data.invoiceId)]))))
    .orderBy('partner_id')
    .orderBy('invoice_id')
    .forUpdate()
    .execute();
  await trx
    .insertInto('invoices')
    .values(winners.map(({ event: e }) => ({ partner_id: e.partnerId, invoice_id: e.data.invoiceId, amount: e.data.amount, currency: e.data.currency, fx_rate: fxOf(e.data), booked_at: e.data.bookedAt, recurring: e.data.recurring, source: e.source, event_id: e.id })))
    .onConflict((oc) =>
      oc.columns(['partner_id', 'invoice_id']).doUpdateSet((eb) => ({
        amount: eb.ref('excluded.amount'),
        currency: eb.ref('excluded.currency'),
        fx_rate: eb.ref('excluded.fx_rate'),
        booked_at: eb.ref('excluded.booked_at'),
        recurring: eb.ref('excluded.recurring'),
        source: eb.ref('excluded.source'),
        event_id: eb.ref('excluded.event_id'),
      })),
    )
    .execute();
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}`, r.booked_at]));
  // Credits take `recurring` from their invoice whatever its date, so a booking touches
  // the history from the earliest of its own and its credits' days.
  const credits = await trx
    .selectFrom('invoice_credits')
    .select(['partner_id', 'credited_at'])
    .where((eb) => eb.or(winners.map(({ event: e }) => eb.and([eb('partner_id', '=', e.partnerId), eb('invoice_id', '=', e.data.invoiceId)]))))
    .execute();
  for (const { event: e } of winners) touch(affected, e.partnerId, e.data.bookedAt, before.get(`${e.partnerId}\u0000${e.data.invoiceId}`));
  for (const c of credits) touch(affected, c.partner_id, c.credited_at);
}

async function writeCredits(trx: Transaction<DB>, items: Of<'invoice.credited'>[], affected: Map<string, string | null>): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(items, (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}\u0000${c.event.data.creditId}`);
  const previous = await trx
    .selectFrom('invoice_credits')
    .select(['partner_id', 'invoice_id', 'credit_id', 'credited_at'])
    .where((eb) =>
      eb.or(winners.map(({ event: e }) => eb.and([eb('partner_id', '=', e.partnerId), eb('invoice_id', '=', e.data.invoiceId), eb('credit_id', '=', e.data.creditId)]))),
    )
    .orderBy('partner_id')
    .orderBy('invoice_id')
    .orderBy('credit_id')
    .forUpdate()
    .execute();
  await trx
    .insertInto('invoice_credits')
    .values(winners.map(({ event: e }) => ({ partner_id: e.partnerId, invoice_id: e.data.invoiceId, credit_id: e.data.creditId, amount: e.data.amount, currency: e.data.currency, fx_rate: fxOf(e.data), credited_at: e.data.creditedAt, source: e.source, event_id: e.id })))
    .onConflict((oc) =>
      oc.columns(['partner_id', 'invoice_id', 'credit_id']).doUpdateSet((eb) => ({
        amount: eb.ref('excluded.amount'),
        currency: eb.ref('excluded.currency'),
        fx_rate: eb.ref('excluded.fx_rate'),
        credited_at: eb.ref('excluded.credited_at'),
        source: eb.ref('excluded.source'),
        event_id: eb.ref('excluded.event_id'),
      })),
    )
    .execute();
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}\u0000${r.credit_id}`, r.credited_at]));
  for (const { event: e } of winners) touch(affected, e.partnerId, e.data.creditedAt, before.get(`${e.partnerId}\u0000${e.data.invoiceId}\u0000${e.data.creditId}`));
}
