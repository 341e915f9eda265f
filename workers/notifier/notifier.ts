// The outbox relay (docs/notifications.md, issue 5). A loop claims owed outbox rows in id order, and for
// each row sends one message per recipient (the partner's primary contacts, minus opt-outs)
// and records the outcome. It polls every pollMs and runs at once when woken.
//
// Exactly once, as far as SMTP allows: a recipient's delivery is written as 'sending'
// (committed) before the message goes out and 'sent' after the server's 250, and a
// re-claimed row never sends again to a recipient marked sent. The one window left is a
// crash after the server accepted the message and before 'sent' is committed: the next claim
// sends it again, with the same Message-ID (derived from the dedup key and the recipient),
// so the receiving side can recognise it as the same message.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../db/types.ts';
import { formatDay } from '../../domain/dates.ts';
import { composeNotification, parsePayload, PayloadError } from '../../email/content.ts';
import { headerText, normaliseAddress } from '../../email/safety.ts';
import { renderEmail } from '../../email/templates.ts';
import { versionIndexOn, type ProgramSet } from '../../domain/program/load.ts';
import type { Program } from '../../domain/program/schema.ts';
import { today as clockToday } from '../clock.ts';
import { NoProgramError, ProgramCache } from '../program-cache.ts';
import type { NotifierConfig } from './config.ts';
import { finishRow, writeDelivery, type Settle } from '../../db/repositories/outbox.ts';
import { writeDigestDelivery } from '../../db/repositories/digests.ts';
import { optedOut } from '../../db/repositories/notification-preferences.ts';
import { partnerContacts } from '../../db/repositories/partners.ts';
import type { Deliveries, Delivery } from '../../db/types.ts';
import { claimRows, type ClaimedRow } from '../../services/notifications/claim.ts';
import { recheckStoredState } from '../../services/notifications/recheck.ts';
import { TokenBucket } from './rate.ts';
import { deliverAll, LostClaim, retryingRecord, type DeliverySteps } from './deliver.ts';
import { isReviewerKind, reviewerRecipients } from './reviewers.ts';
import { createMailTransport, type MailTransport, type OutgoingMail } from './transport.ts';
import { signUnsubscribeToken, unsubscribeUrl, type UnsubscribeClaims } from './unsubscribe.ts';
import { partnerPageUrl, signPartnerToken } from '../../services/links.ts';
import {
  claimDigests,
  endItem,
  finishDigest,
  itemsOfDigest,
  type ClaimedDigest,
  type DigestItem,
  type DigestOutcome,
} from '../../services/notifications/digests.ts';
import { itemsFor } from '../../domain/digest.ts';
import { composeDigest } from '../../email/digest.ts';
import { renderDigest } from '../../email/templates.ts';

/** Days a partner-page link in an email opens the page (from the day it is sent). */
const PAGE_LINK_DAYS = 30;
import { errorMessage } from '../../lib/errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NotifierHooks {
  /** Runs after the server accepted a message and before it is marked sent (tests inject crashes here). */
  afterSend?(row: ClaimedRow, messageId: string): void | Promise<void>;
  /** The same for a daily digest. */
  afterDigestSend?(digest: ClaimedDigest, messageId: string): void | Promise<void>;
}

export interface NotifierDeps {
  db: Kysely<DB>;
  log: Logger;
  config: NotifierConfig;
  programs?: ProgramCache;
  transport?: MailTransport;
  hooks?: NotifierHooks;
  /**
   * When the oldest ingest job not yet finished was queued (queues/backlog.ts; undefined:
   * none). Notifications that settled after it wait for it: events accepted before they
   * settled are still on their way. Throws when it cannot tell (Redis unreachable): then
   * nothing is sent that round. Absent: no such wait (tests of the notifier alone).
   */
  backlog?: () => Promise<Date | undefined>;
}

export interface Notifier {
  readonly transport: MailTransport;
  /** Runs a round now instead of at the next poll. */
  wake(): void;
  /** Claims and processes one batch; resolves with the number of rows claimed. */
  runOnce(): Promise<number>;
  /** Finishes the row in hand (up to timeoutMs), hands unstarted claims back and closes the transport. */
  stop(timeoutMs?: number): Promise<void>;
}

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** Message-ID for one notification and recipient: the same for every resend. */
export function stableMessageId(dedupKey: string, email: string): string {
  return `<${sha256(dedupKey).slice(0, 40)}.${sha256(email.toLowerCase()).slice(0, 12)}@tierline>`;
}

interface Recipient {
  /** Lower-cased, trimmed: the key of deliveries and opt-outs. */
  key: string;
  /** Undefined when the address is not usable. */
  address: string | undefined;
  name: string;
}

function primaryContacts(contacts: unknown): Recipient[] {
  if (!Array.isArray(contacts)) return [];
  const seen = new Map<string, Recipient>();
  for (const c of contacts as Array<Record<string, unknown>>) {
    if (typeof c !== 'object' || c === null) continue;
    if (typeof c.role !== 'string' || c.role.trim().toLowerCase() !== 'primary') continue;
    if (typeof c.email !== 'string' || c.email.trim() === '') continue;
    const key = c.email.trim().toLowerCase();
    if (!seen.has(key))
      seen.set(key, {
        key,
        address: normaliseAddress(c.email),
        name: typeof c.name === 'string' ? headerText(c.name, 100) : '',
      });
  }
  return [...seen.values()];
}

function programFor(set: ProgramSet, version: string, today: number): Program {
  const exact = set.versions.find((v) => v.program.version === version);
  return (exact ?? set.versions[versionIndexOn(set, today)] ?? set.versions[set.versions.length - 1])
    ?.program as Program;
}

/** The program version in force today. */
function programInForce(set: ProgramSet, today: number): Program | undefined {
  return set.versions[versionIndexOn(set, today)]?.program ?? set.versions[set.versions.length - 1]?.program;
}

/** How long a new notification waits before it is claimed: the override, else the program version in force today. */
export function settleSeconds(config: NotifierConfig, set: ProgramSet, today: number): number {
  if (config.settleSeconds !== undefined) return config.settleSeconds;
  const program = set.versions[versionIndexOn(set, today)]?.program ?? set.versions[set.versions.length - 1]?.program;
  return Math.round((program?.alerts.settleMinutes ?? 0) * 60);
}

function retryDelay(config: NotifierConfig, attempts: number): number {
  const exponential = config.retryBaseMs * 2 ** Math.min(30, Math.max(0, attempts - 1));
  const capped = Math.min(config.maxRetryMs, exponential);
  // ±10 % so rows that failed together do not all come back together.
  return Math.round(capped * (0.9 + Math.random() * 0.2));
}

class OutboxNotifier implements Notifier {
  readonly transport: MailTransport;
  private readonly programs: ProgramCache;
  private readonly bucket: TokenBucket;
  private stopping = false;
  private backlogWarnedAt = 0;
  private woken = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: NotifierDeps) {
    this.transport = deps.transport ?? createMailTransport(deps.config);
    this.programs = deps.programs ?? new ProgramCache(deps.db);
    this.bucket = new TokenBucket(deps.config.perSecond);
  }

  start(): void {
    this.deps.log.info(
      {
        transport: this.transport.description,
        perSecond: this.deps.config.perSecond,
        perPartnerPerDay: this.deps.config.perPartnerPerDay,
      },
      'notifier started',
    );
    this.loop = this.run();
  }

  wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    if (wakeUp) wakeUp();
    else this.woken = true;
  }

  private pause(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    const woken = new AbortController();
    this.wakeUp = () => woken.abort();
    return sleep(ms, undefined, { signal: woken.signal }).then(
      () => void (this.wakeUp = undefined),
      () => {}, // woken early; wake() has cleared wakeUp
    );
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let claimed = 0;
      try {
        claimed = await this.runOnce();
        failures = 0;
      } catch (error) {
        failures++;
        this.deps.log.error({ err: errorMessage(error) }, 'notifier round failed');
        await this.pause(Math.min(30_000, this.deps.config.pollMs * 2 ** Math.min(6, failures)));
        continue;
      }
      // A full batch: there may be more owed right away.
      if (claimed < this.deps.config.batchSize) await this.pause(this.deps.config.pollMs);
    }
  }

  /** The settle rule of this round; undefined when the ingest backlog cannot be read (nothing is sent). */
  private async settle(seconds: number): Promise<Settle | undefined> {
    if (this.deps.backlog === undefined) return { seconds };
    try {
      return { seconds, backlogSince: await this.deps.backlog() };
    } catch (error) {
      const now = Date.now();
      if (now - this.backlogWarnedAt > 60_000) {
        this.backlogWarnedAt = now;
        this.deps.log.warn(
          { err: errorMessage(error) },
          'cannot read the ingest backlog from Redis; notifications wait until it can be read',
        );
      }
      return undefined;
    }
  }

  async runOnce(): Promise<number> {
    let set: ProgramSet;
    try {
      set = await this.programs.get();
    } catch (error) {
      if (error instanceof NoProgramError) return 0;
      throw error;
    }
    const today = clockToday(set.timezone);
    const { config } = this.deps;
    const daily = programInForce(set, today)?.alerts.digest === 'daily';
    const settle = await this.settle(settleSeconds(config, set, today));
    if (settle === undefined) return 0;
    const { claimed, deferred } = await claimRows(this.deps.db, {
      digestDaily: daily,
      limit: config.batchSize,
      claimTimeoutMs: config.claimTimeoutMs,
      perPartnerPerDay: config.perPartnerPerDay,
      today: formatDay(today),
      capRecheckMs: config.capRecheckMs,
      settle,
    });
    if (deferred > 0)
      this.deps.log.info(
        { deferred, perPartnerPerDay: config.perPartnerPerDay },
        'notifications over their partner’s daily cap wait for the next day',
      );
    for (let i = 0; i < claimed.length; i++) {
      const row = claimed[i] as ClaimedRow;
      if (this.stopping) {
        for (const rest of claimed.slice(i)) await finishRow(this.deps.db, rest, rest.claimedAt, { status: 'release' });
        break;
      }
      try {
        await this.process(row, set, today);
      } catch (error) {
        // A bug or a lost database: leave the row claimed; it is re-claimed after the timeout.
        if (error instanceof LostClaim)
          this.deps.log.warn({ outboxId: row.id }, 'claim lost to another notifier; leaving the row to it');
        else
          this.deps.log.error(
            { outboxId: row.id, partnerId: row.partnerId, err: errorMessage(error) },
            'notification not finished; it will be claimed again',
          );
      }
    }
    if (this.stopping) return claimed.length;
    const digests = await claimDigests(this.deps.db, {
      today: formatDay(today),
      settle,
      claimTimeoutMs: config.claimTimeoutMs,
      limit: config.batchSize,
      assemble: daily,
    });
    for (let i = 0; i < digests.length; i++) {
      const digest = digests[i] as ClaimedDigest;
      if (this.stopping) {
        for (const rest of digests.slice(i))
          await finishDigest(this.deps.db, rest.id, rest.claimedAt, { finish: { status: 'release' } });
        break;
      }
      try {
        await this.processDigest(digest, set, today);
      } catch (error) {
        if (error instanceof LostClaim)
          this.deps.log.warn({ digestId: digest.id }, 'digest claim lost to another notifier; leaving it to it');
        else
          this.deps.log.error(
            { digestId: digest.id, partnerId: digest.partnerId, err: errorMessage(error) },
            'digest not finished; it will be claimed again',
          );
      }
    }
    return claimed.length + digests.length;
  }

  /**
   * One daily digest (docs/notifications.md#daily-digest): its rows re-checked (those no longer
   * true withdrawn), then one message per recipient with the rows whose kinds the recipient
   * has not opted out of, with the single path's exactly-once steps (sending, 250, sent), and
   * the digest and its rows ended in one transaction.
   */
  private async processDigest(digest: ClaimedDigest, set: ProgramSet, today: number): Promise<void> {
    const { db, config } = this.deps;
    const log = this.deps.log.child({ digestId: digest.id, partnerId: digest.partnerId, day: digest.day });
    let lease = digest.claimedAt;
    const finish = async (outcome: DigestOutcome): Promise<void> => {
      if (!(await finishDigest(db, digest.id, lease, outcome))) throw new LostClaim();
    };
    const end = async (rowId: string, how: Parameters<typeof endItem>[4]): Promise<void> => {
      const renewed = await endItem(db, digest.id, lease, rowId, how);
      if (!renewed) throw new LostClaim();
      lease = renewed;
    };
    const started = Object.values(digest.deliveries).some((d) => d.status === 'sent' || d.status === 'sending');
    const items: Array<DigestItem & { program: Program }> = [];
    for (const item of await itemsOfDigest(db, digest.id)) {
      let payload;
      try {
        payload = parsePayload(item.payload);
      } catch (error) {
        log.error({ outboxId: item.id, err: (error as Error).message }, 'notification payload unreadable');
        await end(item.id, { status: 'failed', error: (error as Error).message.slice(0, 1000) });
        continue;
      }
      const program = programFor(set, payload.scorecard.program.version, today);
      // As on the single path: a digest that had reached a recipient is finished, not re-checked.
      const recheck = started
        ? { stands: true as const }
        : await recheckStoredState(
            db,
            digest.partnerId,
            { kind: item.kind, payload: item.payload as Record<string, unknown> },
            program.alerts.nearPromotionWithin,
          );
      if (!recheck.stands) {
        log.info({ outboxId: item.id, reason: recheck.reason }, 'notification withdrawn from the digest');
        await end(item.id, { status: 'withdrawn', reason: recheck.reason.slice(0, 1000) });
        continue;
      }
      items.push({ ...item, program });
    }
    if (items.length === 0)
      return finish({ finish: { status: 'withdrawn', reason: 'nothing left after the re-check: no email' } });
    const partner = await partnerContacts(db, digest.partnerId);
    if (!partner) return finish({ finish: { status: 'skipped', reason: 'unknown partner' } });
    if (partner.status === 'terminated') return finish({ finish: { status: 'skipped', reason: 'partner terminated' } });
    const primaries = primaryContacts(partner.contacts);
    if (primaries.length === 0) return finish({ finish: { status: 'skipped', reason: 'no primary contact' } });
    const optOuts = new Map<string, Set<string>>(primaries.map((p) => [p.key, new Set<string>()]));
    for (const kind of new Set(items.map((i) => i.kind)))
      for (const email of await optedOut(
        db,
        digest.partnerId,
        kind,
        primaries.map((p) => p.key),
      ))
        optOuts.get(email)?.add(kind);
    const recipients = primaries
      .map((r) => ({ ...r, items: itemsFor(items, optOuts.get(r.key) ?? new Set()) }))
      .filter((r) => r.items.length > 0);
    const carried = new Set(recipients.flatMap((r) => r.items.map((i) => i.id)));
    const skipped = items
      .filter((i) => !carried.has(i.id))
      .map((i) => ({ id: i.id, reason: `every primary contact opted out of ${i.kind}` }));
    if (recipients.length === 0)
      return finish({
        finish: {
          status: 'skipped',
          reason: `every primary contact opted out of ${[...new Set(items.map((i) => i.kind))].join(', ')}`,
        },
        skipped,
      });

    const deliveries: Deliveries = { ...digest.deliveries };
    let transient: string | undefined;
    const record = async (key: string, delivery: Delivery): Promise<void> => {
      deliveries[key] = delivery;
      const renewed = await writeDigestDelivery(db, digest.id, lease, key, delivery);
      if (!renewed) throw new LostClaim();
      lease = renewed;
    };
    const steps: DeliverySteps = {
      transport: this.transport,
      bucket: this.bucket,
      record,
      recordSent: retryingRecord(record, log, 'digest'),
      afterSend: (messageId) => this.deps.hooks?.afterDigestSend?.(digest, messageId),
      log,
      what: 'digest',
      sentAs: 'digest',
      refusedLine: 'a recipient refused the digest permanently; recorded as failed',
    };

    try {
      ({ transient } = await deliverAll(
        steps,
        deliveries,
        recipients,
        (r) => stableMessageId(`digest|${digest.key}`, r.key),
        (r, messageId) => this.composeDigestMail(digest, set, partner.name, r, r.items, messageId, today),
        (r) => ({ notifications: r.items.length }),
      ));
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      return finish({ finish: { status: 'failed', error: error.message.slice(0, 1000) } });
    }

    if (transient !== undefined) {
      if (digest.attempts >= config.maxAttempts) {
        log.error(
          { attempts: digest.attempts, err: transient },
          'giving up on a digest after repeated transient failures',
        );
        return finish({
          finish: { status: 'failed', error: `gave up after ${digest.attempts} attempts: ${transient}` },
        });
      }
      const delayMs = retryDelay(config, digest.attempts);
      log.warn({ attempts: digest.attempts, delayMs, err: transient }, 'transient send failure; will retry the digest');
      return finish({ finish: { status: 'retry', error: transient, delayMs } });
    }
    const sentTo = recipients.filter((r) => deliveries[r.key]?.status === 'sent');
    const failed = recipients.filter((r) => deliveries[r.key]?.status === 'failed');
    const failures =
      failed.length > 0
        ? (
            `${failed.length} of ${recipients.length} recipients ` +
            `failed: ${failed.map((r) => deliveries[r.key]?.error ?? 'failed').join('; ')}`
          ).slice(0, 1000)
        : null;
    if (sentTo.length === 0)
      return finish({ finish: { status: 'failed', error: failures ?? 'no recipient accepted the message' }, skipped });
    const sent = items
      .map((i) => ({
        id: i.id,
        messageIds: sentTo
          .filter((r) => r.items.some((x) => x.id === i.id))
          .map((r) => (deliveries[r.key] as Delivery).messageId),
      }))
      .filter((s) => s.messageIds.length > 0);
    return finish({
      finish: {
        status: 'sent',
        messageIds: sentTo.map((r) => (deliveries[r.key] as Delivery).messageId),
        lastError: failures,
      },
      sent,
      skipped,
    });
  }

  private composeDigestMail(
    digest: ClaimedDigest,
    set: ProgramSet,
    partnerName: string,
    recipient: Recipient,
    items: ReadonlyArray<DigestItem & { program: Program }>,
    messageId: string,
    today: number,
  ): OutgoingMail {
    const { config } = this.deps;
    const address = recipient.address as string;
    const program = programInForce(set, today) ?? (items[0] as { program: Program }).program;
    const link = (kind: UnsubscribeClaims['kind']): string =>
      unsubscribeUrl(
        config.publicUrl,
        signUnsubscribeToken({ partnerId: digest.partnerId, email: recipient.key, kind }, config.unsubscribeSecret),
      );
    const all = link('*');
    const pageUrl = partnerPageUrl(
      config.publicUrl,
      signPartnerToken(
        { partnerId: digest.partnerId, expiresOn: formatDay(today + PAGE_LINK_DAYS) },
        config.linkSecret,
      ),
    );
    const content = composeDigest({
      day: digest.day,
      program,
      partnerName,
      recipientName: recipient.name,
      items: items.map((i) => ({
        id: i.id,
        kind: i.kind,
        payload: i.payload,
        program: i.program,
        unsubscribeUrl: link(i.kind),
      })),
      pageUrl,
      unsubscribeUrl: all,
    });
    const rendered = renderDigest(content);
    const notification = sha256(`digest|${digest.key}`);
    const partner = digest.partnerId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
    const stem = `digest-${partner}-${notification.slice(0, 12)}-${sha256(recipient.key).slice(0, 8)}`;
    return {
      from: { name: config.fromName ?? headerText(program.name, 100), address: config.fromAddress },
      to: { name: recipient.name, address },
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      headers: {
        'List-Unsubscribe': `<${all}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-Tierline-Kind': 'digest',
        'X-Tierline-Digest': digest.key.replace(/[^\x20-\x7e]/g, '_'),
        'X-Tierline-Notification': notification,
      },
      fileStem: stem,
    };
  }

  private async process(row: ClaimedRow, set: ProgramSet, today: number): Promise<void> {
    const { db, config } = this.deps;
    const log = this.deps.log.child({ outboxId: row.id, partnerId: row.partnerId, kind: row.kind });
    let lease = row.claimedAt;
    const finish = async (outcome: Parameters<typeof finishRow>[3]): Promise<void> => {
      if (!(await finishRow(db, row, lease, outcome))) throw new LostClaim();
    };

    let payload;
    try {
      payload = parsePayload(row.payload);
    } catch (error) {
      log.error({ err: (error as Error).message }, 'notification payload unreadable; recorded as failed');
      return finish({ status: 'failed', error: (error as Error).message.slice(0, 1000) });
    }
    const program = programFor(set, payload.scorecard.program.version, today);
    // A row claimed again after a crash that had reached a recipient is finished, not
    // withdrawn: its other recipients get the email the first one got.
    const started = Object.values(row.deliveries).some((d) => d.status === 'sent' || d.status === 'sending');
    const recheck = started
      ? { stands: true as const }
      : await recheckStoredState(
          db,
          row.partnerId,
          { kind: row.kind, payload: row.payload as Record<string, unknown> },
          program.alerts.nearPromotionWithin,
        );
    if (!recheck.stands) {
      log.info({ reason: recheck.reason }, 'notification withdrawn: no longer true of the partner’s state');
      return finish({ status: 'withdrawn', reason: recheck.reason.slice(0, 1000) });
    }
    const partner = await partnerContacts(db, row.partnerId);
    if (!partner) return finish({ status: 'skipped', reason: 'unknown partner' });
    if (partner.status === 'terminated') return finish({ status: 'skipped', reason: 'partner terminated' });
    const reviewers = isReviewerKind(row.kind);
    const primaries = reviewers ? reviewerRecipients(program) : primaryContacts(partner.contacts);
    if (primaries.length === 0)
      return finish({
        status: 'skipped',
        reason: reviewers ? 'no reviewers (alerts.reviewersEmail)' : 'no primary contact',
      });
    const out = await optedOut(
      db,
      row.partnerId,
      row.kind,
      primaries.map((p) => p.key),
    );
    const recipients = primaries.filter((p) => !out.has(p.key));
    if (recipients.length === 0)
      return finish({ status: 'skipped', reason: `every primary contact opted out of ${row.kind}` });

    const deliveries: Deliveries = { ...row.deliveries };
    let transient: string | undefined;
    const record = async (key: string, delivery: Delivery): Promise<void> => {
      deliveries[key] = delivery;
      const renewed = await writeDelivery(db, row, lease, key, delivery);
      if (!renewed) throw new LostClaim();
      lease = renewed;
    };

    const steps: DeliverySteps = {
      transport: this.transport,
      bucket: this.bucket,
      record,
      recordSent: retryingRecord(record, log, 'message'),
      afterSend: (messageId) => this.deps.hooks?.afterSend?.(row, messageId),
      log,
      what: 'message',
      sentAs: 'email',
      refusedLine: 'a recipient refused permanently; recorded as failed',
    };

    try {
      ({ transient } = await deliverAll(
        steps,
        deliveries,
        recipients,
        (r) => stableMessageId(row.dedupKey, r.key),
        (r, messageId) => this.compose(row, program, partner.name, r, messageId, today),
      ));
    } catch (error) {
      if (!(error instanceof PayloadError)) throw error;
      return finish({ status: 'failed', error: error.message.slice(0, 1000) });
    }

    if (transient !== undefined) {
      if (row.attempts >= config.maxAttempts) {
        log.error(
          { attempts: row.attempts, err: transient },
          'giving up on a notification after repeated transient failures',
        );
        return finish({ status: 'failed', error: `gave up after ${row.attempts} attempts: ${transient}` });
      }
      const delayMs = retryDelay(config, row.attempts);
      log.warn({ attempts: row.attempts, delayMs, err: transient }, 'transient send failure; will retry');
      return finish({ status: 'retry', error: transient, delayMs });
    }
    const mine = recipients.map((r) => deliveries[r.key]).filter((d): d is Delivery => d !== undefined);
    const sent = mine.filter((d) => d.status === 'sent');
    const failed = recipients.filter((r) => deliveries[r.key]?.status === 'failed');
    const failures =
      failed.length > 0
        ? (
            `${failed.length} of ${recipients.length} recipients ` +
            `failed: ${failed.map((r) => deliveries[r.key]?.error ?? 'failed').join('; ')}`
          ).slice(0, 1000)
        : null;
    if (sent.length > 0)
      return finish({ status: 'sent', messageIds: sent.map((d) => d.messageId), lastError: failures });
    return finish({ status: 'failed', error: failures ?? 'no recipient accepted the message' });
  }

  private compose(
    row: ClaimedRow,
    program: Program,
    partnerName: string,
    recipient: Recipient,
    messageId: string,
    today: number,
  ): OutgoingMail {
    const { config } = this.deps;
    const address = recipient.address as string;
    const token = signUnsubscribeToken(
      { partnerId: row.partnerId, email: recipient.key, kind: row.kind },
      config.unsubscribeSecret,
    );
    const link = unsubscribeUrl(config.publicUrl, token);
    // Valid for a month from the day it is sent: long enough to come back to, short enough to age out.
    const pageUrl = isReviewerKind(row.kind)
      ? undefined
      : partnerPageUrl(
          config.publicUrl,
          signPartnerToken(
            { partnerId: row.partnerId, expiresOn: formatDay(today + PAGE_LINK_DAYS) },
            config.linkSecret,
          ),
        );
    const content = composeNotification({
      kind: row.kind,
      payload: row.payload,
      program,
      partnerName,
      recipientName: recipient.name,
      unsubscribeUrl: link,
      pageUrl,
      consoleUrl: `${config.publicUrl.replace(/\/+$/, '')}/console`,
    });
    const rendered = renderEmail(content);
    const notification = sha256(row.dedupKey);
    const kind = row.kind.replace(/[^a-z-]/g, '-');
    const partner = row.partnerId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
    const stem = `${kind}-${partner}-${notification.slice(0, 12)}-${sha256(recipient.key).slice(0, 8)}`;
    return {
      from: { name: config.fromName ?? headerText(program.name, 100), address: config.fromAddress },
      to: { name: recipient.name, address },
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      messageId,
      headers: {
        'List-Unsubscribe': `<${link}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-Tierline-Kind': row.kind,
        'X-Tierline-Notification': notification,
      },
      fileStem: stem,
    };
  }

  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    this.wake();
    const stoppedInTime = new AbortController();
    const timedOut = sleep(timeoutMs, 'timeout' as const, { signal: stoppedInTime.signal });
    const outcome = await Promise.race([(this.loop ?? Promise.resolve()).then(() => 'done' as const), timedOut]);
    stoppedInTime.abort();
    if (outcome === 'timeout')
      this.deps.log.warn(
        { timeoutMs },
        'notifier still sending at shutdown; its row is claimed again after the claim timeout',
      );
    this.transport.close();
    this.deps.log.info('notifier stopped');
  }
}

/** Starts the relay loop. */
export function startNotifier(deps: NotifierDeps): Notifier {
  const notifier = new OutboxNotifier(deps);
  notifier.start();
  return notifier;
}

/** A notifier that does not loop: call runOnce() (tests, one-shot commands). */
export function createNotifier(deps: NotifierDeps): Notifier {
  return new OutboxNotifier(deps);
}
