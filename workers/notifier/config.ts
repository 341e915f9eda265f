// The notifier's settings, from the environment (README "Notifications"). Numbers are
// checked here so a typo fails at start-up with the variable's name, not mid-send.
import { headerText, normaliseAddress } from '../../domain/email/safety.ts';

export interface NotifierConfig {
  /** smtp://, smtps:// or smtp://...?secure=true; undefined = write .eml files to outboxDir. */
  smtpUrl: string | undefined;
  outboxDir: string;
  /** Envelope and From address. */
  fromAddress: string;
  /** From display name; default the program's name. */
  fromName: string | undefined;
  /** Notifications per partner per day (program timezone), beyond which rows wait for the next day. */
  perPartnerPerDay: number;
  /** SMTP messages per second, for this notifier process. */
  perSecond: number;
  unsubscribeSecret: string;
  publicUrl: string;
  /** How often the outbox is polled when nothing wakes the notifier. */
  pollMs: number;
  /** A claim older than this is taken to be a crashed notifier's and claimed again. */
  claimTimeoutMs: number;
  /** Rows claimed per round trip. */
  batchSize: number;
  /** First retry delay after a transient failure; doubles per attempt up to maxRetryMs. */
  retryBaseMs: number;
  maxRetryMs: number;
  /** Claims before a row that keeps failing transiently is recorded as failed. */
  maxAttempts: number;
  /** How long a row over its partner's daily cap waits before it is looked at again. */
  capRecheckMs: number;
  /** SMTP connection, greeting and socket timeouts (ms). Must stay well under claimTimeoutMs. */
  smtpTimeoutMs: number;
}

export class NotifierConfigError extends Error {
  override name = 'NotifierConfigError';
}

/** Signs unsubscribe tokens when TIERLINE_UNSUBSCRIBE_SECRET is unset and mail only goes to .eml files (development). */
export const DEVELOPMENT_UNSUBSCRIBE_SECRET = 'tierline-development-unsubscribe-secret';

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new NotifierConfigError(`${name} must be a whole number ≥ ${min}: ${raw}`);
  return Number(raw);
}

function rate(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !(value > 0)) throw new NotifierConfigError(`${name} must be a positive number: ${raw}`);
  return value;
}

function httpUrl(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new NotifierConfigError(`${name} is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new NotifierConfigError(`${name} must be an http:// or https:// URL: ${raw}`);
  return url.toString().replace(/\/+$/, '');
}

export function notifierConfigFromEnv(env: Env = process.env): NotifierConfig {
  const smtpUrl = env.SMTP_URL?.trim() || undefined;
  if (smtpUrl && !/^smtps?:\/\//i.test(smtpUrl)) throw new NotifierConfigError(`SMTP_URL must be an smtp:// or smtps:// URL`);
  const secret = env.TIERLINE_UNSUBSCRIBE_SECRET?.trim();
  if (smtpUrl && !secret) throw new NotifierConfigError('TIERLINE_UNSUBSCRIBE_SECRET must be set when SMTP_URL is (it signs the unsubscribe links)');
  const from = env.TIERLINE_MAIL_FROM?.trim() || 'no-reply@tierline.localhost';
  const fromAddress = normaliseAddress(from);
  if (!fromAddress) throw new NotifierConfigError(`TIERLINE_MAIL_FROM is not an email address: ${from}`);
  const config: NotifierConfig = {
    smtpUrl,
    outboxDir: env.MAIL_OUTBOX_DIR?.trim() || './outbox',
    fromAddress,
    fromName: env.TIERLINE_MAIL_FROM_NAME?.trim() ? headerText(env.TIERLINE_MAIL_FROM_NAME, 100) : undefined,
    perPartnerPerDay: integer(env, 'TIERLINE_MAIL_PER_PARTNER_PER_DAY', 5, 1),
    perSecond: rate(env, 'TIERLINE_MAIL_PER_SECOND', 10),
    unsubscribeSecret: secret || DEVELOPMENT_UNSUBSCRIBE_SECRET,
    publicUrl: httpUrl(env, 'TIERLINE_PUBLIC_URL', 'http://localhost:8080'),
    pollMs: integer(env, 'TIERLINE_MAIL_POLL_MS', 500, 10),
    claimTimeoutMs: integer(env, 'TIERLINE_MAIL_CLAIM_TIMEOUT_MS', 300_000, 100),
    batchSize: integer(env, 'TIERLINE_MAIL_BATCH', 20, 1),
    retryBaseMs: integer(env, 'TIERLINE_MAIL_RETRY_BASE_MS', 30_000, 1),
    maxRetryMs: integer(env, 'TIERLINE_MAIL_RETRY_MAX_MS', 3_600_000, 1),
    maxAttempts: integer(env, 'TIERLINE_MAIL_MAX_ATTEMPTS', 10, 1),
    capRecheckMs: integer(env, 'TIERLINE_MAIL_CAP_RECHECK_MS', 900_000, 10),
    smtpTimeoutMs: integer(env, 'TIERLINE_SMTP_TIMEOUT_MS', 30_000, 100),
  };
  if (config.smtpTimeoutMs * 3 >= config.claimTimeoutMs) {
    throw new NotifierConfigError('TIERLINE_MAIL_CLAIM_TIMEOUT_MS must be more than three times TIERLINE_SMTP_TIMEOUT_MS: a live send must never look crashed');
  }
  return config;
}
