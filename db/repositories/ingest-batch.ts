// One batch of received events into Postgres, in one transaction: invalid ones to the
// dead-letter store, the first valid delivery of each (source, id) claims the inbox row,
// facts written set-based, and the partners whose history moved owe a recompute. The
// inbox key is the second guard of exactly-once (the first is the job id).
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { canonicalJson, parseEventLine, type EventResult } from '../../domain/events/parse.ts';
import type { EventContext, Source } from '../../domain/events/schema.ts';
import { toJsonb } from '../json.ts';
import { inTransaction, isBadData } from '../transactions.ts';
import type { DB } from '../types.ts';
import { identify, recordDeadLetters, type DeadLetterInput } from './dead-letters.ts';
import { writeFacts, type Claimed } from './facts-write.ts';
import { pendingRecomputes, requestRecomputes, type OwedRecompute } from './recompute-requests.ts';

export { pendingRecomputes, type OwedRecompute };

export type Outcome = 'accepted' | 'duplicate' | 'stale' | 'conflict' | 'dead-lettered';

export interface Incoming {
  /** The queue (or path) it arrived on; the envelope's source must match. Absent: any. */
  source?: Source | undefined;
  raw: string | Buffer;
}

export interface BatchResult {
  outcomes: Outcome[];
  recompute: OwedRecompute[];
}

export type OutcomeCounts = Record<Outcome, number>;

export function countOutcomes(outcomes: readonly Outcome[]): OutcomeCounts {
  const counts: OutcomeCounts = { accepted: 0, duplicate: 0, stale: 0, conflict: 0, 'dead-lettered': 0 };
  for (const o of outcomes) counts[o]++;
  return counts;
}

function validate(item: Incoming, ctx: EventContext): EventResult {
  const result = parseEventLine(item.raw, ctx);
  if (result.ok && item.source !== undefined && result.event.source !== item.source) {
    return { ok: false, reason: `source: "${result.event.source}" event received on the ${item.source} queue`, raw: result.raw };
  }
  return result;
}

const fingerprint = (raw: unknown): string => createHash('sha256').update(canonicalJson(raw)).digest('hex');
const bytesOf = (raw: string | Buffer): Buffer => (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);

async function claimInbox(trx: Transaction<DB>, valid: Array<Claimed & { hash: string; raw: unknown }>, outcomes: Outcome[]): Promise<Claimed[]> {
  type Valid = (typeof valid)[number];
  const keyOf = (v: Valid): string => `${v.event.source}\u0000${v.event.id}`;
  // Every delivery of each key in this batch, in arrival order; the first one is the candidate.
  const byKey = new Map<string, Valid[]>();
  for (const v of valid) {
    const copies = byKey.get(keyOf(v));
    if (copies) copies.push(v);
    else byKey.set(keyOf(v), [v]);
  }
  if (byKey.size === 0) return [];
  // Key order: concurrent batches then take the inbox rows' locks in the same order.
  const candidates = [...byKey.keys()].sort().map((k) => (byKey.get(k) as Valid[])[0] as Valid);
  const inserted = await trx
    .insertInto('inbox')
    .values(candidates.map((c) => ({ source: c.event.source, event_id: c.event.id, partner_id: c.event.partnerId, type: c.event.type, payload: toJsonb(c.raw as object), payload_hash: c.hash, outcome: 'accepted' as const })))
    .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
    .returning(['source', 'event_id'])
    .execute();
  const claimedKeys = new Set(inserted.map((r) => `${r.source}\u0000${r.event_id}`));
  // Deliveries that claim nothing: every copy of a key claimed before this batch, and the
  // later copies of a key claimed now. Each is judged against the claimed payload.
  const others = [...byKey.entries()].flatMap(([k, copies]) => (claimedKeys.has(k) ? copies.slice(1) : copies));
  if (others.length > 0) {
    const extra = new Map<string, { source: Source; eventId: string; n: number }>();
    for (const o of others) {
      const e = extra.get(keyOf(o)) ?? { source: o.event.source, eventId: o.event.id, n: 0 };
      e.n++;
      extra.set(keyOf(o), e);
    }
    const byCount = new Map<number, Array<{ source: Source; eventId: string }>>();
    for (const e of extra.values()) byCount.set(e.n, [...(byCount.get(e.n) ?? []), e]);
    const hashOf = new Map<string, string>();
    for (const [n, keys] of byCount) {
      const stored = await trx
        .updateTable('inbox')
        .set({ deliveries: sql`inbox.deliveries + ${n}`, last_delivered_at: sql`now()` })
        .where((eb) => eb.or(keys.map((k) => eb.and([eb('source', '=', k.source), eb('event_id', '=', k.eventId)]))))
        .returning(['source', 'event_id', 'payload_hash'])
        .execute();
      for (const r of stored) hashOf.set(`${r.source}\u0000${r.event_id}`, r.payload_hash);
    }
    const conflicts = others.filter((o) => hashOf.get(keyOf(o)) !== o.hash);
    for (const o of others) outcomes[o.index] = hashOf.get(keyOf(o)) === o.hash ? 'duplicate' : 'conflict';
    if (conflicts.length > 0) {
      await trx
        .insertInto('inbox_conflicts')
        .values(conflicts.map((c) => ({ source: c.event.source, event_id: c.event.id, payload: toJsonb(c.raw as object), payload_hash: c.hash })))
        .onConflict((oc) => oc.columns(['source', 'event_id', 'payload_hash']).doNothing())
        .execute();
    }
  }
  // Arrival order: writing facts relies on it (equal versions go to the one received last).
  return candidates.filter((c) => claimedKeys.has(keyOf(c))).sort((a, b) => a.index - b.index);
}

async function applyValidated(trx: Transaction<DB>, results: EventResult[], items: readonly Incoming[], outcomes: Outcome[]): Promise<string[]> {
  const dead: DeadLetterInput[] = [];
  const valid: Array<Claimed & { hash: string; raw: unknown }> = [];
  results.forEach((r, index) => {
    if (r.ok) valid.push({ index, event: r.event, raw: r.raw, hash: fingerprint(r.raw) });
    else {
      outcomes[index] = 'dead-lettered';
      dead.push({ raw: bytesOf(items[index]?.raw ?? ''), reason: r.reason, ...identify(r.raw) });
    }
  });
  await recordDeadLetters(trx, dead);
  const claimed = await claimInbox(trx, valid, outcomes);
  const { stale, affected } = await writeFacts(trx, claimed);
  for (const c of claimed) outcomes[c.index] = stale.has(c.index) ? 'stale' : 'accepted';
  const staleKeys = claimed.filter((c) => stale.has(c.index));
  if (staleKeys.length > 0) {
    await trx
      .updateTable('inbox')
      .set({ outcome: 'stale' })
      .where((eb) => eb.or(staleKeys.map((c) => eb.and([eb('source', '=', c.event.source), eb('event_id', '=', c.event.id)]))))
      .execute();
  }
  const eventIds = new Map<string, string[]>();
  for (const c of claimed) if (!stale.has(c.index)) eventIds.set(c.event.partnerId, [...(eventIds.get(c.event.partnerId) ?? []), `${c.event.source}:${c.event.id}`]);
  await requestRecomputes(trx, affected, eventIds);
  return [...new Set(valid.map((v) => v.event.partnerId))];
}

/**
 * Applies a batch. A batch that Postgres refuses for its data (not for the moment) is
 * retried event by event, so one bad event is dead-lettered with the database's reason
 * and the rest are stored.
 */
export async function applyEventBatch(db: Kysely<DB>, ctx: EventContext, items: readonly Incoming[]): Promise<BatchResult> {
  const results = items.map((item) => validate(item, ctx));
  const outcomes: Outcome[] = new Array<Outcome>(items.length).fill('dead-lettered');
  try {
    const partners = await inTransaction(db, (trx) => applyValidated(trx, results, items, outcomes));
    return { outcomes, recompute: await pendingRecomputes(db, partners) };
  } catch (error) {
    if (!isBadData(error) || items.length === 1) {
      if (isBadData(error) && items.length === 1) return await deadLetterOne(db, items[0] as Incoming, error);
      throw error;
    }
  }
  const merged: BatchResult = { outcomes: [], recompute: [] };
  for (const item of items) {
    const one = await applyEventBatch(db, ctx, [item]);
    merged.outcomes.push(...one.outcomes);
    merged.recompute.push(...one.recompute);
  }
  return merged;
}

async function deadLetterOne(db: Kysely<DB>, item: Incoming, error: unknown): Promise<BatchResult> {
  const raw = bytesOf(item.raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const message = error instanceof Error ? error.message : String(error);
  await recordDeadLetters(db, [{ raw, reason: `database refused the event: ${message}`, ...identify(parsed) }]);
  return { outcomes: ['dead-lettered'], recompute: [] };
}
