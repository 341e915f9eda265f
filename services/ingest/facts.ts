// Claimed events into facts: keyed facts (partners, deals, invoices, credits, payouts) reduced within
// the batch (one statement may not upsert a row twice), judged against the stored versions,
// and written set-based (db/repositories/facts-write.ts). Returns the events that lost to a
// higher version (stale) and the earliest business day each partner's facts moved.
import type { Kysely } from 'kysely';
import * as facts from '../../db/repositories/facts-write.ts';
import { lockPayouts, upsertPayouts } from '../../db/repositories/payouts.ts';
import type { DB } from '../../db/types.ts';
import type { CanonicalEvent, EventOf } from '../../domain/events/schema.ts';

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

const eventsOf = <T extends Claimed>(items: readonly T[]): Array<T['event']> => items.map((c) => c.event);

export async function writeFacts(db: Kysely<DB>, claimed: readonly Claimed[]): Promise<FactWriteResult> {
  const stale = new Set<number>();
  const affected = new Map<string, string | null>();
  await writePartners(db, ofType(claimed, 'partner.upserted'), stale, affected);
  await writeDeals(db, ofType(claimed, 'deal.upserted'), stale, affected);
  await writeCertificationEvents(db, claimed, affected);
  await writeInvoices(db, ofType(claimed, 'invoice.booked'), affected);
  await writeCredits(db, ofType(claimed, 'invoice.credited'), affected);
  await writePayouts(db, ofType(claimed, 'payout.recorded'), stale);
  return { stale, affected };
}

async function writePartners(
  db: Kysely<DB>,
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
  const previous = await facts.lockPartnerVersions(
    db,
    winners.map((w) => w.event.partnerId),
  );
  const storedVersion = new Map(previous.map((r) => [r.partner_id, Number(r.version)]));
  markSuperseded(
    superseded,
    (c) => storedVersion.get(c.event.partnerId),
    (c) => c.event.data.version,
    stale,
  );
  const won = await facts.upsertPartners(db, eventsOf(winners));
  for (const w of winners) {
    // The track (partnerType) applies to the whole history (docs/events.md#facts).
    if (won.has(w.event.partnerId)) touch(affected, w.event.partnerId, null);
    else stale.add(w.index);
  }
}

async function writeDeals(
  db: Kysely<DB>,
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
  const previous = await facts.lockDeals(db, eventsOf(winners));
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
  const written = await facts.upsertDeals(db, eventsOf(winners));
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
  db: Kysely<DB>,
  claimed: readonly Claimed[],
  affected: Map<string, string | null>,
): Promise<void> {
  const byEvent = <T extends Claimed>(items: T[]): T[] =>
    items.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
  const earned = byEvent(ofType(claimed, 'certification.earned'));
  if (earned.length > 0) {
    await facts.insertCertificationsEarned(db, eventsOf(earned));
    for (const { event: e } of earned) touch(affected, e.partnerId, e.data.earnedAt);
  }
  const revoked = byEvent(ofType(claimed, 'certification.revoked'));
  if (revoked.length > 0) {
    await facts.insertCertificationRevocations(db, eventsOf(revoked));
    for (const { event: e } of revoked) touch(affected, e.partnerId, e.data.revokedAt);
  }
  const departed = byEvent(ofType(claimed, 'person.departed'));
  if (departed.length > 0) {
    await facts.insertPersonDepartures(db, eventsOf(departed));
    for (const { event: e } of departed) touch(affected, e.partnerId, e.data.departedAt);
  }
}

async function writeInvoices(
  db: Kysely<DB>,
  items: Of<'invoice.booked'>[],
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(items, (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}`);
  const events = eventsOf(winners);
  const previous = await facts.lockInvoices(db, events);
  await facts.upsertInvoices(db, events);
  const before = new Map(previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}`, r.booked_at]));
  // Credits take `recurring` from their invoice whatever its date, so a booking touches
  // the history from the earliest of its own and its credits' days.
  const credits = await facts.creditDaysOfInvoices(db, events);
  for (const e of events)
    touch(affected, e.partnerId, e.data.bookedAt, before.get(`${e.partnerId}\u0000${e.data.invoiceId}`));
  for (const c of credits) touch(affected, c.partner_id, c.credited_at);
}

async function writeCredits(
  db: Kysely<DB>,
  items: Of<'invoice.credited'>[],
  affected: Map<string, string | null>,
): Promise<void> {
  if (items.length === 0) return;
  const { winners } = reduceByKey(
    items,
    (c) => `${c.event.partnerId}\u0000${c.event.data.invoiceId}\u0000${c.event.data.creditId}`,
  );
  const events = eventsOf(winners);
  const previous = await facts.lockCredits(db, events);
  await facts.upsertCredits(db, events);
  const before = new Map(
    previous.map((r) => [`${r.partner_id}\u0000${r.invoice_id}\u0000${r.credit_id}`, r.credited_at]),
  );
  for (const e of events)
    touch(
      affected,
      e.partnerId,
      e.data.creditedAt,
      before.get(`${e.partnerId}\u0000${e.data.invoiceId}\u0000${e.data.creditId}`),
    );
}

/** Payouts never change an evaluation: stored for the finance report, no recompute owed. */
async function writePayouts(db: Kysely<DB>, items: Of<'payout.recorded'>[], stale: Set<number>): Promise<void> {
  if (items.length === 0) return;
  const key = (partnerId: string, payoutId: string): string => `${partnerId}\u0000${payoutId}`;
  const { winners, losers, superseded } = reduceByKey(
    items,
    (c) => key(c.event.partnerId, c.event.data.payoutId),
    (c) => c.event.data.version,
  );
  for (const l of losers) stale.add(l.index);
  const previous = await lockPayouts(db, eventsOf(winners));
  const storedVersion = new Map(previous.map((r) => [key(r.partner_id, r.payout_id), Number(r.version)]));
  markSuperseded(
    superseded,
    (c) => storedVersion.get(key(c.event.partnerId, c.event.data.payoutId)),
    (c) => c.event.data.version,
    stale,
  );
  const written = new Set((await upsertPayouts(db, eventsOf(winners))).map((r) => key(r.partner_id, r.payout_id)));
  for (const w of winners) if (!written.has(key(w.event.partnerId, w.event.data.payoutId))) stale.add(w.index);
}
