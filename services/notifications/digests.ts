// Daily digests (docs/notifications.md#daily-digest): assembling a partner's settled rows of a
// past day into one digest (its key `partner|day` unique in Postgres, the rows linked to it
// and claimed in the same transaction), claiming digests again after a crash or a transient
// failure, and ending a digest together with its rows in one transaction.
import type { Kysely } from 'kysely';
import {
  claimDigestsByIds,
  digestCandidates,
  digestRows,
  digestsOfDay,
  endDigestRow,
  finishDigestRow,
  insertDigest,
  linkRows,
  markDigestRowsSent,
  owedDigests,
  renewDigest,
  tryLockDigestAssembly,
  type DigestFinish,
} from '../../db/repositories/digests.ts';
import type { Settle } from '../../db/repositories/outbox.ts';
import type { DB, Deliveries, NotificationKind } from '../../db/types.ts';
import { digestKey, dueDigests, orderDigestItems } from '../../domain/digest.ts';

export interface ClaimedDigest {
  id: string;
  key: string;
  partnerId: string;
  day: string;
  /** Claims so far, this one included. */
  attempts: number;
  deliveries: Deliveries;
  /** The lease: the claimed_at this notifier holds. */
  claimedAt: Date;
}

export interface DigestItem {
  id: string;
  dedupKey: string;
  kind: NotificationKind;
  payload: unknown;
}

export interface DigestClaimOptions {
  /** The notifier's business day ('YYYY-MM-DD'): days before it have ended. */
  today: string;
  settle: Settle;
  claimTimeoutMs: number;
  limit: number;
  /** alerts.digest is "daily" now: assemble new digests (owed ones are finished either way). */
  assemble: boolean;
}

type DigestRecord = {
  id: string;
  digest_key: string;
  partner_id: string;
  day: string;
  attempts: number;
  deliveries: Deliveries | null;
  claimed_at: Date | null;
};

const claimed = (d: DigestRecord): ClaimedDigest => ({
  id: d.id,
  key: d.digest_key,
  partnerId: d.partner_id,
  day: typeof d.day === 'string' ? d.day : String(d.day),
  attempts: d.attempts,
  deliveries: d.deliveries ?? {},
  claimedAt: d.claimed_at as Date,
});

/**
 * Assembles the digests due now (one per partner and ended day whose rows have all settled)
 * and claims them, with the digests owed again (a crashed notifier's, a transient failure's).
 */
export async function claimDigests(db: Kysely<DB>, options: DigestClaimOptions): Promise<ClaimedDigest[]> {
  return db.transaction().execute(async (trx) => {
    const out: ClaimedDigest[] = [];
    const again = await owedDigests(trx, options.limit, options.claimTimeoutMs);
    for (const d of await claimDigestsByIds(
      trx,
      again.map((r) => r.id),
    ))
      out.push(claimed(d));
    // One notifier assembles at a time, so a day's rows are never split between two digests.
    if (options.assemble && out.length < options.limit && (await tryLockDigestAssembly(trx))) {
      const candidates = await digestCandidates(trx, options.today, options.settle);
      const groups = dueDigests(
        candidates.map((c) => ({
          id: c.id,
          partnerId: c.partner_id,
          day: c.day,
          kind: c.kind,
          settled: c.settled === true,
        })),
        options.today,
      ).slice(0, options.limit - out.length);
      for (const g of groups) {
        const key = digestKey(g.partnerId, g.day, await digestsOfDay(trx, g.partnerId, g.day));
        const digest = await insertDigest(trx, { key, partnerId: g.partnerId, day: g.day });
        if (!digest) continue;
        await linkRows(trx, g.ids, digest.id, digest.claimed_at as Date);
        out.push(claimed(digest));
      }
    }
    return out.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  });
}

/** The rows a claimed digest carries, in digest order (kind, then as written). */
export async function itemsOfDigest(db: Kysely<DB>, digestId: string): Promise<DigestItem[]> {
  const rows = await digestRows(db, digestId);
  return orderDigestItems(
    rows.map((r) => ({ id: r.id, dedupKey: r.dedup_key, kind: r.kind, payload: r.payload as unknown })),
  );
}

/** Ends one row of the digest unsent (withdrawn by the re-check, unreadable), fenced on the digest's claim. */
export async function endItem(
  db: Kysely<DB>,
  digestId: string,
  lease: Date,
  rowId: string,
  end: Parameters<typeof endDigestRow>[3],
): Promise<Date | undefined> {
  return db.transaction().execute(async (trx) => {
    const renewed = await renewDigest(trx, digestId, lease);
    if (renewed) await endDigestRow(trx, digestId, rowId, end);
    return renewed;
  });
}

export interface DigestOutcome {
  finish: DigestFinish;
  /** With 'sent': the rows that went out, each with the Message-IDs of the messages that carried it. */
  sent?: ReadonlyArray<{ id: string; messageIds: readonly string[] }>;
  /** Rows no recipient's message carried (every recipient opted out of the kind). */
  skipped?: ReadonlyArray<{ id: string; reason: string }>;
}

/**
 * Ends a digest and its rows in one transaction: the rows sent (linked to the digest) are
 * committed with the digest's own status, or nothing is. False when the claim was lost.
 */
export async function finishDigest(
  db: Kysely<DB>,
  digestId: string,
  lease: Date,
  outcome: DigestOutcome,
): Promise<boolean> {
  const lost = new Error('claim lost');
  try {
    return await db.transaction().execute(async (trx) => {
      if (outcome.sent) await markDigestRowsSent(trx, digestId, outcome.sent, null);
      for (const s of outcome.skipped ?? [])
        await endDigestRow(trx, digestId, s.id, { status: 'skipped', reason: s.reason });
      if (!(await finishDigestRow(trx, digestId, lease, outcome.finish))) throw lost;
      return true;
    });
  } catch (error) {
    if (error === lost) return false;
    throw error;
  }
}
