// Claiming owed notifications for sending: a batch of rows taken in one transaction, each
// partner's daily cap charged exactly across notifiers (a per-partner advisory lock). A row
// is charged to the cap once, on its first claim; rows over the cap stay pending and are
// looked at again after capRecheckMs. A row is claimable only once it has settled.
import type { Kysely } from 'kysely';
import {
  chargedOn,
  claimByIds,
  deferRows,
  lockPartnerCap,
  owedRows,
  type Settle,
} from '../../db/repositories/outbox.ts';
import type { DB, Deliveries, NotificationKind } from '../../db/types.ts';

export interface ClaimedRow {
  id: string;
  dedupKey: string;
  kind: NotificationKind;
  partnerId: string;
  payload: unknown;
  /** Claims so far, this one included. */
  attempts: number;
  deliveries: Deliveries;
  /** The lease: the claimed_at this notifier holds. */
  claimedAt: Date;
}

export interface ClaimOptions {
  limit: number;
  claimTimeoutMs: number;
  perPartnerPerDay: number;
  /** 'YYYY-MM-DD' in the program's timezone: the day a newly claimed row is charged to. */
  today: string;
  capRecheckMs: number;
  /** When a new row may be claimed (alerts.settleMinutes, measured by Postgres' clock, and the ingest backlog). */
  settle: Settle;
  /** alerts.digest is "daily": rows with a digest day are left to their day's digest. */
  digestDaily?: boolean;
}

export interface ClaimResult {
  claimed: ClaimedRow[];
  /** Rows left pending because their partner reached today's cap. */
  deferred: number;
}

/** Claims owed rows in id order: pending ones that are due, and claimed ones whose claim timed out. */
export async function claimRows(db: Kysely<DB>, options: ClaimOptions): Promise<ClaimResult> {
  return db.transaction().execute(async (trx) => {
    const candidates = await owedRows(
      trx,
      options.limit,
      options.claimTimeoutMs,
      options.settle,
      options.digestDaily ?? false,
    );
    if (candidates.length === 0) return { claimed: [], deferred: 0 };

    const charging = [...new Set(candidates.filter((c) => c.quota_day === null).map((c) => c.partner_id))].sort();
    // Sorted, so two notifiers never wait on each other's locks in opposite orders.
    for (const partnerId of charging) await lockPartnerCap(trx, partnerId);
    const used = await chargedOn(trx, charging, options.today);
    const take: string[] = [];
    const defer: string[] = [];
    for (const c of candidates) {
      if (c.quota_day !== null) {
        take.push(c.id);
        continue;
      }
      const n = used.get(c.partner_id) ?? 0;
      if (n < options.perPartnerPerDay) {
        used.set(c.partner_id, n + 1);
        take.push(c.id);
      } else defer.push(c.id);
    }
    await deferRows(trx, defer, options.capRecheckMs);
    if (take.length === 0) return { claimed: [], deferred: defer.length };
    const rows = await claimByIds(trx, take, options.today);
    const claimed = rows
      .map((r) => ({
        id: r.id,
        dedupKey: r.dedup_key,
        kind: r.kind,
        partnerId: r.partner_id,
        payload: r.payload as unknown,
        attempts: r.attempts,
        deliveries: r.deliveries ?? {},
        claimedAt: r.claimed_at as Date,
      }))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    return { claimed, deferred: defer.length };
  });
}
