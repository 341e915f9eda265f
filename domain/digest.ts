// Daily digests (docs/notifications.md#daily-digest): under `alerts.digest: "daily"` a partner's
// notifications of one business day go out together, as one email, once that day has ended
// and every one of them has settled. Pure: which rows make which digest, in what order, and
// under which key. The day a row belongs to is stamped on it when it is written (the
// recompute's day); the notifier's "today" is the clock's (TIERLINE_TODAY honoured).
import type { NotificationKind } from './alerts.ts';

export type DigestMode = 'none' | 'daily';

/**
 * The order of the kinds inside a digest: what changed first (a demotion before a promotion:
 * the loss is the more urgent news), then what is at stake, then what is within reach. The
 * reviewers' `tier.review-pending` never enters a digest: it goes to other people.
 */
export const DIGEST_KIND_ORDER = [
  'tier.demoted',
  'tier.promoted',
  'tier.at-risk',
  'tier.near-promotion',
] as const satisfies readonly NotificationKind[];

export type DigestKind = (typeof DIGEST_KIND_ORDER)[number];

export function isDigestKind(kind: string): kind is DigestKind {
  return (DIGEST_KIND_ORDER as readonly string[]).includes(kind);
}

/**
 * The day a new outbox row is stamped with: the writer's business day for a partner's
 * notification that is to be sent; null (sent on its own) for the reviewers' kind and rows
 * only recorded.
 */
export function digestDayFor(kind: string, send: boolean, today: string): string | null {
  return send && isDigestKind(kind) ? today : null;
}

/**
 * The digest's key: `partner|day`; a digest for rows of a day whose digest is already out
 * (a row revived or written late) is `partner|day|n`, n = 2, 3, ... (`earlier` = digests of
 * that partner and day so far).
 */
export function digestKey(partnerId: string, day: string, earlier = 0): string {
  return earlier === 0 ? `${partnerId}|${day}` : `${partnerId}|${day}|${earlier + 1}`;
}

const rank = (kind: string): number => {
  const i = (DIGEST_KIND_ORDER as readonly string[]).indexOf(kind);
  return i < 0 ? DIGEST_KIND_ORDER.length : i;
};

const byId = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The items of a digest in their fixed order: by kind (DIGEST_KIND_ORDER), then as written (outbox id). */
export function orderDigestItems<T extends { id: string; kind: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => rank(a.kind) - rank(b.kind) || byId(a.id, b.id));
}

/** A pending outbox row of a digest day, as the notifier sees it when assembling. */
export interface DigestCandidate {
  id: string;
  partnerId: string;
  /** The row's digest_day. */
  day: string;
  kind: string;
  /** Written at least settleMinutes ago (Postgres' clock). */
  settled: boolean;
}

export interface DigestGroup {
  partnerId: string;
  day: string;
  /** The rows' ids, in digest order. */
  ids: string[];
}

/**
 * The digests due now: per partner and day, the pending rows of a day before `today`, when
 * every one of them has settled (a day's digest waits for its last row, so it holds the
 * whole day). Groups come out by day, then partner.
 */
export function dueDigests(candidates: readonly DigestCandidate[], today: string): DigestGroup[] {
  const groups = new Map<string, { partnerId: string; day: string; rows: DigestCandidate[] }>();
  for (const c of candidates) {
    if (!(c.day < today)) continue;
    const key = JSON.stringify([c.day, c.partnerId]);
    const group = groups.get(key) ?? { partnerId: c.partnerId, day: c.day, rows: [] };
    group.rows.push(c);
    groups.set(key, group);
  }
  return [...groups.values()]
    .filter((g) => g.rows.every((r) => r.settled))
    .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : a.partnerId < b.partnerId ? -1 : 1))
    .map((g) => ({ partnerId: g.partnerId, day: g.day, ids: orderDigestItems(g.rows).map((r) => r.id) }));
}

/**
 * What one recipient's digest carries: the items whose kind the recipient has not opted out
 * of (`optedOut` holds kinds, or '*' for all). Empty: that recipient gets no digest.
 */
export function itemsFor<T extends { kind: string }>(items: readonly T[], optedOut: ReadonlySet<string>): T[] {
  if (optedOut.has('*')) return [];
  return items.filter((i) => !optedOut.has(i.kind));
}
