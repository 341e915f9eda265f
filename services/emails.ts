// The outbox as operators see it (docs/notifications.md): which emails were asked for, sent,
// skipped (and why) or failed; the text of one, rendered as the notifier renders it; and a
// resend, queued as a new outbox row with its own deduplication key and audited.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/repositories/audit.ts';
import { toJsonb } from '../db/json.ts';
import {
  insertOutboxRow,
  listOutboxRows,
  lockOutboxRow,
  outboxRow,
  notificationAndResends,
} from '../db/repositories/outbox.ts';
import { partnerContacts } from '../db/repositories/partners.ts';
import type { Contact, DB, OutboxStatus } from '../db/types.ts';
import { composeNotification, PayloadError } from '../email/content.ts';
import { renderEmail, type RenderedEmail } from '../email/templates.ts';
import { Refusal } from './errors.ts';
import { loadProgramSet } from './programs.ts';
import { knownPartner } from './reads.ts';
import { REVIEW_PENDING } from '../domain/review-alerts.ts';
import { digestById, digestsByIds, rowsOfDigest } from '../db/repositories/digests.ts';
import { composeDigest } from '../email/digest.ts';
import { renderDigest } from '../email/templates.ts';
import type { Program } from '../domain/program/schema.ts';
import type { ProgramSet } from '../domain/program/load.ts';

export const OUTBOX_STATUSES: readonly OutboxStatus[] = [
  'pending',
  'claimed',
  'sent',
  'skipped',
  'failed',
  'withdrawn',
];

export interface EmailSummary {
  id: string;
  partnerId: string;
  kind: string;
  /** The business day the notification is about. */
  day: string | null;
  status: OutboxStatus;
  /** Why it was skipped or withdrawn, or the last error of a failed or retried one. */
  reason: string | null;
  attempts: number;
  createdAt: string;
  claimedAt: string | null;
  sentAt: string | null;
  messageIds: string[];
  /** The outbox row this one resends. */
  resendOf: string | null;
  dedupKey: string;
  /** The day whose daily digest the row belongs to (alerts.digest "daily"); null: sent on its own. */
  digestDay: string | null;
  /** The daily digest that carries it, once assembled. */
  digest: { id: string; key: string; status: OutboxStatus } | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export async function listEmails(
  db: Kysely<DB>,
  filter: { partnerId?: string | undefined; status?: string | undefined; limit: number },
): Promise<EmailSummary[]> {
  const status = filter.status;
  if (status !== undefined && !OUTBOX_STATUSES.includes(status as OutboxStatus))
    throw new Refusal(`--status: expected one of ${OUTBOX_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  if (filter.partnerId !== undefined) await knownPartner(db, filter.partnerId);
  const rows = await listOutboxRows(db, {
    partnerId: filter.partnerId,
    status: status as OutboxStatus | undefined,
    limit: filter.limit,
  });
  const digests = new Map(
    (await digestsByIds(db, [...new Set(rows.flatMap((r) => (r.digest_id === null ? [] : [r.digest_id])))])).map(
      (d) => [d.id, { id: d.id, key: d.digest_key, status: d.status }],
    ),
  );
  return rows.map((r) => ({
    id: r.id,
    partnerId: r.partner_id,
    kind: r.kind,
    day: r.day,
    status: r.status,
    reason:
      r.status === 'skipped' || r.status === 'withdrawn' ? (r.skip_reason ?? 'not sent (recorded only)') : r.last_error,
    attempts: r.attempts,
    createdAt: r.created_at.toISOString(),
    claimedAt: iso(r.claimed_at),
    sentAt: iso(r.sent_at),
    messageIds: r.message_id ? r.message_id.split(' ') : [],
    resendOf: r.resend_of,
    dedupKey: r.dedup_key,
    digestDay: r.digest_day,
    digest: r.digest_id === null ? null : (digests.get(r.digest_id) ?? null),
  }));
}

async function existingRow(db: Kysely<DB>, id: string) {
  if (!/^\d{1,18}$/.test(id))
    throw new Refusal(`expected an email id (a number from \`emails list\`), got ${JSON.stringify(id)}`);
  const row = await outboxRow(db, id);
  if (!row) throw new Refusal(`no email #${id}: see \`tierline emails list\``);
  return row;
}

export interface ShownEmail {
  id: string;
  partnerId: string;
  kind: string;
  status: OutboxStatus;
  /** Who it goes to: the partner's primary contacts, or the reviewers for `tier.review-pending` (opt-outs are applied when sending). */
  to: string[];
  rendered: RenderedEmail;
  /** The daily digest that carries it: the email as the partner received it (its sent rows; before sending, the rows it holds). */
  digest?: { id: string; key: string; status: OutboxStatus; rendered: RenderedEmail };
}

const UNSUBSCRIBE_PLACEHOLDER = 'https://unsubscribe.invalid/(signed-per-recipient-when-sent)';

const versionOf = (set: ProgramSet, payload: unknown): Program | undefined => {
  const version = (payload as { scorecard?: { program?: { version?: unknown } } }).scorecard?.program?.version;
  return (set.versions.find((v) => v.program.version === version) ?? set.versions[set.versions.length - 1])?.program;
};

async function shownDigest(
  db: Kysely<DB>,
  set: ProgramSet,
  digestId: string,
  partnerName: string,
  recipientName: string | undefined,
): Promise<ShownEmail['digest']> {
  const digest = await digestById(db, digestId);
  if (!digest) return undefined;
  const rows = await rowsOfDigest(db, digestId);
  const carried = rows.filter((r) => r.status === (digest.status === 'sent' ? 'sent' : 'claimed'));
  const latest = set.versions[set.versions.length - 1]?.program;
  if (carried.length === 0 || !latest) return undefined;
  const content = composeDigest({
    day: digest.day,
    program: latest,
    partnerName,
    recipientName,
    items: carried.map((r) => ({
      id: r.id,
      kind: r.kind,
      payload: r.payload,
      program: versionOf(set, r.payload) ?? latest,
      unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
    })),
    unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
  });
  return { id: digest.id, key: digest.digest_key, status: digest.status, rendered: renderDigest(content) };
}

/** The email of an outbox row, rendered with the program version of its scorecard, as the notifier does. */
export async function showEmail(db: Kysely<DB>, id: string): Promise<ShownEmail> {
  const row = await existingRow(db, id);
  const set = await loadProgramSet(db);
  if (!set) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const partner = await partnerContacts(db, row.partner_id);
  const version = (row.payload as { scorecard?: { program?: { version?: unknown } } }).scorecard?.program?.version;
  const program = (set.versions.find((v) => v.program.version === version) ?? set.versions[set.versions.length - 1])
    ?.program;
  if (!program) throw new Refusal('no program version to render with');
  const primaries = ((partner?.contacts ?? []) as Contact[]).filter((c) => c.role === 'primary');
  // The reviewers' kind goes to the program's reviewers, not to the partner.
  const reviewers = row.kind === REVIEW_PENDING ? (program.alerts.reviewersEmail ?? []) : undefined;
  try {
    const content = composeNotification({
      kind: row.kind,
      payload: row.payload,
      program,
      partnerName: partner?.name ?? row.partner_id,
      recipientName: reviewers ? undefined : primaries[0]?.name,
      unsubscribeUrl: UNSUBSCRIBE_PLACEHOLDER,
    });
    const digest =
      row.digest_id === null
        ? undefined
        : await shownDigest(db, set, row.digest_id, partner?.name ?? row.partner_id, primaries[0]?.name);
    return {
      id: row.id,
      partnerId: row.partner_id,
      kind: row.kind,
      status: row.status,
      to: reviewers ?? primaries.map((c) => c.email),
      rendered: renderEmail(content),
      ...(digest ? { digest } : {}),
    };
  } catch (error) {
    if (error instanceof PayloadError) throw new Refusal(`email #${id} cannot be rendered: ${error.message}`);
    throw error;
  }
}

export interface Resent {
  id: string;
  dedupKey: string;
}

/**
 * Queues an email again as a new outbox row keyed `<original key>|resend:N`: its own
 * Message-ID (derived from the key), the notifier's usual checks and exactly-once delivery.
 * Refused while the original or a resend of it is still owed (pending or claimed), so a
 * retried command does not queue two; two at once collide on the key and one wins.
 */
export async function resendEmail(db: Kysely<DB>, id: string, by: string): Promise<Resent> {
  await existingRow(db, id);
  return db.transaction().execute(async (trx) => {
    const row = await lockOutboxRow(trx, id);
    if (!row) throw new Refusal(`no email #${id}: see \`tierline emails list\``);
    // A resend of a resend resends the original.
    const originalKey = row.dedup_key.replace(/\|resend:\d+$/, '');
    const rows = await notificationAndResends(trx, originalKey);
    const owed = rows.find((r) => r.status === 'pending' || r.status === 'claimed');
    if (owed) throw new Refusal(`email #${owed.id} is still ${owed.status}: it will be sent; nothing queued`);
    const resends = rows.filter((r) => r.dedup_key !== originalKey).length;
    const dedupKey = `${originalKey}|resend:${resends + 1}`;
    const payload = { ...(row.payload as Record<string, unknown>), resendOf: row.id };
    const newId = await insertOutboxRow(trx, {
      dedup_key: dedupKey,
      kind: row.kind,
      partner_id: row.partner_id,
      payload: toJsonb(payload),
    });
    if (newId === undefined) throw new Refusal(`email #${id} is being resent by someone else; nothing queued`);
    await recordAudit(trx, {
      actor: by,
      action: 'email.resend',
      partner_id: row.partner_id,
      details: toJsonb({ id: row.id, resentAs: newId, kind: row.kind, dedupKey, previousStatus: row.status }),
    });
    return { id: newId, dedupKey };
  });
}
