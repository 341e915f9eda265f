// The first valid delivery of each (source, id) claims the inbox row; every other delivery
// is a duplicate (same payload hash as the claimed one) or a conflict (a different one).
// The inbox key is the second guard of exactly-once (the first is the job id).
import type { Kysely } from 'kysely';
import type { Claimed } from './facts.ts';
import { claimInboxRows, countDeliveries, recordConflicts, type InboxKey } from '../../db/repositories/inbox.ts';
import type { DB } from '../../db/types.ts';
import type { Outcome } from './outcomes.ts';

export type Valid = Claimed & { hash: string; raw: unknown };

/** Inserts the candidates (in key order) whose key is new, returns those keys. */
export type ClaimRows = (db: Kysely<DB>, candidates: readonly Valid[]) => Promise<InboxKey[]>;

const keyOf = (source: string, eventId: string): string => `${source}\u0000${eventId}`;
const keyOfValid = (v: Valid): string => keyOf(v.event.source, v.event.id);

/** Claims the inbox rows, judges the other deliveries into `outcomes`, returns the claimed in arrival order. */
export async function claimInbox(
  db: Kysely<DB>,
  valid: readonly Valid[],
  outcomes: Outcome[],
  claimRows: ClaimRows = claimInboxRows,
): Promise<Claimed[]> {
  // Every delivery of each key in this batch, in arrival order; the first one is the candidate.
  const byKey = new Map<string, Valid[]>();
  for (const v of valid) {
    const copies = byKey.get(keyOfValid(v));
    if (copies) copies.push(v);
    else byKey.set(keyOfValid(v), [v]);
  }
  if (byKey.size === 0) return [];
  // Key order: concurrent batches then take the inbox rows' locks in the same order.
  const candidates = [...byKey.keys()].sort().map((k) => (byKey.get(k) as Valid[])[0] as Valid);
  const inserted = await claimRows(db, candidates);
  const claimedKeys = new Set(inserted.map((r) => keyOf(r.source, r.eventId)));
  // Deliveries that claim nothing: every copy of a key claimed before this batch, and the
  // later copies of a key claimed now. Each is judged against the claimed payload.
  const others = [...byKey.entries()].flatMap(([k, copies]) => (claimedKeys.has(k) ? copies.slice(1) : copies));
  if (others.length > 0) {
    const extra = new Map<string, { source: string; eventId: string; n: number }>();
    for (const o of others) {
      const e = extra.get(keyOfValid(o)) ?? { source: o.event.source, eventId: o.event.id, n: 0 };
      e.n++;
      extra.set(keyOfValid(o), e);
    }
    const stored = await countDeliveries(db, [...extra.values()]);
    const hashOf = new Map(stored.map((r) => [keyOf(r.source, r.eventId), r.payloadHash]));
    const conflicts = others.filter((o) => hashOf.get(keyOfValid(o)) !== o.hash);
    for (const o of others) outcomes[o.index] = hashOf.get(keyOfValid(o)) === o.hash ? 'duplicate' : 'conflict';
    await recordConflicts(
      db,
      conflicts.map((c) => ({ source: c.event.source, eventId: c.event.id, raw: c.raw, hash: c.hash })),
    );
  }
  // Arrival order: writing facts relies on it (equal versions go to the one received last).
  return candidates.filter((c) => claimedKeys.has(keyOfValid(c))).sort((a, b) => a.index - b.index);
}
