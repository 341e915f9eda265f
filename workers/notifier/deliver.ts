// One recipient's delivery, shared by single emails and daily digests: record `sending`,
// hand the message to the transport, then record `sent`, `failed` (a permanent refusal) or
// `retry`. Every record goes through the caller's fenced write, so a notifier that lost its
// claim stops before it could send twice (docs/notifications.md, exactly once).
import type { Logger } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Delivery } from '../../db/types.ts';
import { errorMessage } from '../../lib/errors.ts';
import type { TokenBucket } from './rate.ts';
import { classifySendError, type MailTransport, type OutgoingMail } from './transport.ts';

export class LostClaim extends Error {
  override name = 'LostClaim';
}

/** A fenced write of one recipient's delivery; throws LostClaim once the claim is gone. */
export type RecordDelivery = (key: string, delivery: Delivery) => Promise<void>;

/**
 * The server has the message once it answered: losing the `sent` write to a failing database
 * would send it again once the claim times out, so it gets a few more tries. (If a write
 * committed and only its answer was lost, the retry finds the lease renewed and gives up.)
 */
export function retryingRecord(record: RecordDelivery, log: Logger, what: string): RecordDelivery {
  return async (key, delivery) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await record(key, delivery);
      } catch (error) {
        if (error instanceof LostClaim || attempt >= 5) throw error;
        log.warn({ attempt, err: errorMessage(error) }, `cannot record a sent ${what} yet; retrying`);
        await sleep(100 * 2 ** attempt);
      }
    }
  };
}

export interface DeliverySteps {
  transport: MailTransport;
  bucket: TokenBucket;
  record: RecordDelivery;
  recordSent: RecordDelivery;
  /** Test hook between the server's answer and the `sent` record. */
  afterSend: (messageId: string) => Promise<void> | void;
  log: Logger;
  /** "message" or "digest", for the log lines. */
  what: string;
  /** "email" or "digest": the "sent" and "written to file" log lines. */
  sentAs: string;
  /** The log line of a permanent refusal (operators search for these words). */
  refusedLine: string;
  /** Extra fields of the "sent" log line. */
  sentFields?: Record<string, unknown>;
}

export interface Attempt {
  key: string;
  mail: OutgoingMail;
  messageId: string;
  attempts: number;
  prior: Delivery | undefined;
}

/** 'sent', 'refused' (recorded failed), or the transient error (recorded retry: stop this row). */
export async function deliverTo(steps: DeliverySteps, a: Attempt): Promise<'sent' | 'refused' | { transient: string }> {
  const { log } = steps;
  await steps.bucket.take();
  if (a.prior?.status === 'sending')
    log.warn(
      { messageId: a.messageId },
      `resending a ${steps.what} whose outcome is unknown (a notifier stopped between sending and recording it); same Message-ID`,
    );
  const base = { messageId: a.messageId, attempts: a.attempts };
  await steps.record(a.key, { status: 'sending', ...base, at: new Date().toISOString() });
  let result;
  try {
    result = await steps.transport.send(a.mail);
  } catch (error) {
    const failure = classifySendError(error);
    const status = failure.permanent ? 'failed' : 'retry';
    await steps.record(a.key, { status, ...base, at: new Date().toISOString(), error: failure.message });
    if (!failure.permanent) return { transient: failure.message };
    log.warn({ err: failure.message }, steps.refusedLine);
    return 'refused';
  }
  await steps.afterSend(a.messageId);
  await steps.recordSent(a.key, {
    status: 'sent',
    messageId: result.messageId || a.messageId,
    attempts: a.attempts,
    at: new Date().toISOString(),
    response: result.response.slice(0, 500),
    ...(result.path ? { path: result.path } : {}),
  });
  if (result.path) log.info({ path: result.path }, `${steps.sentAs} written to file`);
  else log.info({ messageId: a.messageId, ...steps.sentFields }, `${steps.sentAs} sent`);
  return 'sent';
}

/** A recipient of a notification or digest: its delivery key and address (undefined: unusable). */
export interface RecipientAddress {
  key: string;
  address: string | undefined;
}

/**
 * Delivers to each recipient in turn, skipping those already `sent` or `failed` (a claim
 * taken again after a crash) and recording an unusable address as failed. Stops at the first
 * transient failure and returns it. `compose` may throw (a PayloadError ends the row).
 */
export async function deliverAll<R extends RecipientAddress>(
  steps: DeliverySteps,
  deliveries: Readonly<Record<string, Delivery>>,
  recipients: readonly R[],
  messageIdOf: (r: R) => string,
  compose: (r: R, messageId: string) => OutgoingMail,
  sentFields?: (r: R) => Record<string, unknown>,
): Promise<{ transient?: string }> {
  for (const r of recipients) {
    const prior = deliveries[r.key];
    if (prior?.status === 'sent' || prior?.status === 'failed') continue;
    const messageId = messageIdOf(r);
    if (!r.address) {
      await steps.record(r.key, {
        status: 'failed',
        messageId,
        attempts: prior?.attempts ?? 0,
        at: new Date().toISOString(),
        error: 'invalid address',
      });
      steps.log.warn('a primary contact has an invalid address; not sent');
      continue;
    }
    const mail = compose(r, messageId);
    const attempts = (prior?.attempts ?? 0) + 1;
    const outcome = await deliverTo(sentFields ? { ...steps, sentFields: sentFields(r) } : steps, {
      key: r.key,
      mail,
      messageId,
      attempts,
      prior,
    });
    if (typeof outcome === 'object') return outcome;
  }
  return {};
}
