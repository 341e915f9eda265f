// One batch of received events into Postgres, in one transaction: invalid ones to the
// dead-letter store, the first valid delivery of each (source, id) claims the inbox row,
// facts written set-based, and the partners whose history moved owe a recompute. The
// inbox key is the second guard of exactly-once (the first is the job id).
import * as crypto from 'node:crypto';
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
    return {
      ok: false,
      reason: `source: "${result.event.source}" event received on the ${item.source} queue`,
      raw: result.raw,
    };
  }
  return result;
}

// crypto.hash (Node ≥ 20.12) hashes a string in one call, several times faster than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256 = (text: string): string =>
  oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
const fingerprint = (raw: unknown): string => sha256(canonicalJson(raw));
/** Characters of payload JSON per inbox statement. */
const PAYLOAD_CHUNK_CHARS = 32 * 1024 * 1024;

const bytesOf = (raw: string | Buffer): Buffer => (typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);

async function claimInbox(
  trx: Transaction<DB>,
  valid: Array<Claimed & { hash: string; raw: unknown }>,
  outcomes: Outcome[],
): Promise<Claimed[]> {
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
  const inserted: Array<{ source: string; event_id: string }> = [];
  for (let from = 0; from < candidates.length;) {
    // The payloads travel as one JSON array (no per-element escaping on either side), of at
    // most PAYLOAD_CHUNK_CHARS (jsonb values stay far below their 255 MB limit), and their
    // hashes (hex) as one comma-separated text.
    const texts: string[] = [];
    for (let size = 0; from + texts.length < candidates.length && (texts.length === 0 || size < PAYLOAD_CHUNK_CHARS);) {
      const text = toJsonb((candidates[from + texts.length] as Valid).raw as object);
      texts.push(text);
      size += text.length;
    }
    const chunk = candidates.slice(from, from + texts.length);
    from += texts.length;
    // source, id, partnerId and type are the payload's own (validated, untransformed) strings.
    const rows = await sql<{ source: string; event_id: string }>`
      insert into inbox (source, event_id, partner_id, type, payload, payload_hash, outcome)
      select c.payload->>'source', c.payload->>'id', c.payload->>'partnerId', c.payload->>'type', c.payload, c.payload_hash, 'accepted'
      from rows from (jsonb_array_elements(${`[${texts.join(',')}]`}::jsonb), string_to_table(${chunk.map((c) => c.hash).join(',')}::text, ','))
           with ordinality as c(payload, payload_hash, n)
      order by c.n
      on conflict (source, event_id) do nothing
      returning source, event_id`.execute(trx);
    inserted.push(...rows.rows);
  }
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
    const keys = [...extra.values()];
    const stored = (
      await sql<{ source: string; event_id: string; payload_hash: string }>`
        update inbox set deliveries = inbox.deliveries + k.n, last_delivered_at = now()
        from unnest(${keys.map((k) => k.source)}::text[], ${keys.map((k) => k.eventId)}::text[], ${keys.map((k) => k.n)}::int[]) as k(source, event_id, n)
        where inbox.source = k.source and inbox.event_id = k.event_id
        returning inbox.source, inbox.event_id, inbox.payload_hash`.execute(trx)
    ).rows;
    const hashOf = new Map(stored.map((r) => [`${r.source}\u0000${r.event_id}`, r.payload_hash]));
    const conflicts = others.filter((o) => hashOf.get(keyOf(o)) !== o.hash);
    for (const o of others) outcomes[o.index] = hashOf.get(keyOf(o)) === o.hash ? 'duplicate' : 'conflict';
    if (conflicts.length > 0) {
      await trx
        .insertInto('inbox_conflicts')
        .values(
          conflicts.map((c) => ({
            source: c.event.source,
            event_id: c.event.id,
            payload: toJsonb(c.raw as object),
            payload_hash: c.hash,
          })),
        )
        .onConflict((oc) => oc.columns(['source', 'event_id', 'payload_hash']).doNothing())
        .execute();
    }
  }
  // Arrival order: writing facts relies on it (equal versions go to the one received last).
  return candidates.filter((c) => claimedKeys.has(keyOf(c))).sort((a, b) => a.index - b.index);
}

async function applyValidated(trx: Transaction<DB>, batch: PreparedBatch, outcomes: Outcome[]): Promise<string[]> {
  const dead: DeadLetterInput[] = [];
  const valid: Array<Claimed & { hash: string; raw: unknown }> = [];
  batch.results.forEach((r, index) => {
    if (r.ok) valid.push({ index, event: r.event, raw: r.raw, hash: batch.hashes[index] as string });
    else {
      outcomes[index] = 'dead-lettered';
      dead.push({ raw: bytesOf(batch.items[index]?.raw ?? ''), reason: r.reason, ...identify(r.raw) });
    }
  });
  await recordDeadLetters(trx, dead);
  const claimed = await claimInbox(trx, valid, outcomes);
  const { stale, affected } = await writeFacts(trx, claimed);
  for (const c of claimed) outcomes[c.index] = stale.has(c.index) ? 'stale' : 'accepted';
  const staleKeys = claimed.filter((c) => stale.has(c.index));
  if (staleKeys.length > 0) {
    await sql`
      update inbox set outcome = 'stale'
      from unnest(${staleKeys.map((c) => c.event.source)}::text[], ${staleKeys.map((c) => c.event.id)}::text[]) as k(source, event_id)
      where inbox.source = k.source and inbox.event_id = k.event_id`.execute(trx);
  }
  const eventIds = new Map<string, string[]>();
  for (const c of claimed) {
    if (stale.has(c.index)) continue;
    const ids = eventIds.get(c.event.partnerId);
    if (ids) ids.push(`${c.event.source}:${c.event.id}`);
    else eventIds.set(c.event.partnerId, [`${c.event.source}:${c.event.id}`]);
  }
  await requestRecomputes(trx, affected, eventIds);
  return [...new Set(valid.map((v) => v.event.partnerId))];
}

/** A batch validated and fingerprinted: the work done in JavaScript, before any statement. */
export interface PreparedBatch {
  items: Incoming[];
  results: EventResult[];
  /** The payload hash of each valid event (undefined for invalid ones). */
  hashes: Array<string | undefined>;
}

export function prepareEventBatch(ctx: EventContext, items: readonly Incoming[]): PreparedBatch {
  const batch: PreparedBatch = { items: [], results: [], hashes: [] };
  for (const item of items) prepareEvent(batch, ctx, item);
  return batch;
}

/** Adds one event to a batch being prepared (so a caller can validate as it reads). */
export function prepareEvent(batch: PreparedBatch, ctx: EventContext, item: Incoming): void {
  const result = validate(item, ctx);
  batch.items.push(item);
  batch.results.push(result);
  batch.hashes.push(result.ok ? fingerprint(result.raw) : undefined);
}

/**
 * Applies a prepared batch and returns the outcomes and the partners with a valid event
 * (the ones that may owe a recompute). A batch that Postgres refuses for its data (not for
 * the moment) is retried event by event, so one bad event is dead-lettered with the
 * database's reason and the rest are stored.
 */
export async function applyPreparedBatch(
  db: Kysely<DB>,
  batch: PreparedBatch,
): Promise<{ outcomes: Outcome[]; partners: string[] }> {
  const outcomes: Outcome[] = new Array<Outcome>(batch.items.length).fill('dead-lettered');
  try {
    const partners = await inTransaction(db, (trx) => applyValidated(trx, batch, outcomes));
    return { outcomes, partners };
  } catch (error) {
    if (!isBadData(error)) throw error;
    if (batch.items.length === 1) {
      await deadLetterOne(db, batch.items[0] as Incoming, error);
      return { outcomes: ['dead-lettered'], partners: [] };
    }
  }
  const merged = { outcomes: [] as Outcome[], partners: [] as string[] };
  for (let i = 0; i < batch.items.length; i++) {
    const one = await applyPreparedBatch(db, {
      items: batch.items.slice(i, i + 1),
      results: batch.results.slice(i, i + 1),
      hashes: batch.hashes.slice(i, i + 1),
    });
    merged.outcomes.push(...one.outcomes);
    merged.partners.push(...one.partners);
  }
  return merged;
}

/** Validates and applies a batch, then reads the affected partners' owed recomputes. */
export async function applyEventBatch(
  db: Kysely<DB>,
  ctx: EventContext,
  items: readonly Incoming[],
): Promise<BatchResult> {
  const { outcomes, partners } = await applyPreparedBatch(db, prepareEventBatch(ctx, items));
  return { outcomes, recompute: await pendingRecomputes(db, partners) };
}

async function deadLetterOne(db: Kysely<DB>, item: Incoming, error: unknown): Promise<void> {
  const raw = bytesOf(item.raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const message = error instanceof Error ? error.message : String(error);
  await recordDeadLetters(db, [{ raw, reason: `database refused the event: ${message}`, ...identify(parsed) }]);
}
