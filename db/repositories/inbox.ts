// The inbox: one row per (source, event id) ever accepted, with the hash of the payload that
// claimed it, and the other payloads seen under the same key (conflicts).
import { sql, type Kysely } from 'kysely';
import { toJsonb } from '../json.ts';
import type { DB, EventSource } from '../types.ts';

export interface InboxKey {
  source: string;
  eventId: string;
}

/** Characters of payload JSON per inbox statement. */
const PAYLOAD_CHUNK_CHARS = 32 * 1024 * 1024;

/**
 * Inserts the candidates (in the order given) and returns the keys they claimed: a key
 * already in the inbox claims nothing. source, id, partnerId and type are read from the
 * payload itself (validated, untransformed strings).
 */
export async function claimInboxRows(
  db: Kysely<DB>,
  candidates: ReadonlyArray<{ raw: unknown; hash: string }>,
): Promise<InboxKey[]> {
  const inserted: InboxKey[] = [];
  for (let from = 0; from < candidates.length;) {
    // The payloads travel as one JSON array (no per-element escaping on either side), of at
    // most PAYLOAD_CHUNK_CHARS (jsonb values stay far below their 255 MB limit), and their
    // hashes (hex) as one comma-separated text.
    const texts: string[] = [];
    for (let size = 0; from + texts.length < candidates.length && (texts.length === 0 || size < PAYLOAD_CHUNK_CHARS);) {
      const text = toJsonb((candidates[from + texts.length] as { raw: unknown }).raw as object);
      texts.push(text);
      size += text.length;
    }
    const chunk = candidates.slice(from, from + texts.length);
    from += texts.length;
    const rows = await sql<{ source: string; event_id: string }>`
      insert into inbox (source, event_id, partner_id, type, payload, payload_hash, outcome)
      select c.payload->>'source', c.payload->>'id', c.payload->>'partnerId', c.payload->>'type', c.payload, c.payload_hash, 'accepted'
      from rows from (jsonb_array_elements(${`[${texts.join(',')}]`}::jsonb), string_to_table(${chunk.map((c) => c.hash).join(',')}::text, ','))
           with ordinality as c(payload, payload_hash, n)
      order by c.n
      on conflict (source, event_id) do nothing
      returning source, event_id`.execute(db);
    inserted.push(...rows.rows.map((r) => ({ source: r.source, eventId: r.event_id })));
  }
  return inserted;
}

/** Counts n more deliveries of each key and returns the hash of the payload that claimed it. */
export async function countDeliveries(
  db: Kysely<DB>,
  keys: ReadonlyArray<InboxKey & { n: number }>,
): Promise<Array<InboxKey & { payloadHash: string }>> {
  const rows = await sql<{ source: string; event_id: string; payload_hash: string }>`
    update inbox set deliveries = inbox.deliveries + k.n, last_delivered_at = now()
    from unnest(${keys.map((k) => k.source)}::text[], ${keys.map((k) => k.eventId)}::text[], ${keys.map((k) => k.n)}::int[]) as k(source, event_id, n)
    where inbox.source = k.source and inbox.event_id = k.event_id
    returning inbox.source, inbox.event_id, inbox.payload_hash`.execute(db);
  return rows.rows.map((r) => ({ source: r.source, eventId: r.event_id, payloadHash: r.payload_hash }));
}

/** Keeps each differing payload once per key. */
export async function recordConflicts(
  db: Kysely<DB>,
  conflicts: ReadonlyArray<{ source: EventSource; eventId: string; raw: unknown; hash: string }>,
): Promise<void> {
  if (conflicts.length === 0) return;
  await db
    .insertInto('inbox_conflicts')
    .values(
      conflicts.map((c) => ({
        source: c.source,
        event_id: c.eventId,
        payload: toJsonb(c.raw as object),
        payload_hash: c.hash,
      })),
    )
    .onConflict((oc) => oc.columns(['source', 'event_id', 'payload_hash']).doNothing())
    .execute();
}

export async function markStale(db: Kysely<DB>, keys: readonly InboxKey[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    update inbox set outcome = 'stale'
    from unnest(${keys.map((k) => k.source)}::text[], ${keys.map((k) => k.eventId)}::text[]) as k(source, event_id)
    where inbox.source = k.source and inbox.event_id = k.event_id`.execute(db);
}

/** Of these partner ids, the ones no `partner.upserted` event has ever been stored for. */
export async function partnersNeverUpserted(db: Kysely<DB>, partnerIds: readonly string[]): Promise<string[]> {
  if (partnerIds.length === 0) return [];
  const rows = await sql<{ partner_id: string }>`
    select k.partner_id from unnest(${[...partnerIds]}::text[]) as k(partner_id)
    where not exists (
      select 1 from inbox i where i.partner_id = k.partner_id and i.type = 'partner.upserted')
    order by k.partner_id`.execute(db);
  return rows.rows.map((r) => r.partner_id);
}
