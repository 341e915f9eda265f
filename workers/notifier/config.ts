// The notifier's settings, from the environment (README "Notifications", config/env.ts). A
// typo fails at start-up with the variable's name, not mid-send.
import { ConfigError, readVariable, type EnvName } from '../../config/env.ts';
import { linkSecretFromEnv } from '../http/pages/config.ts';

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
  /** Signs the partner-page link every partner email carries (TIERLINE_LINK_SECRET, as `serve` checks it). */
  linkSecret: string;
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
  /** Overrides the program's alerts.settleMinutes (tests, demos); undefined = the program's. */
  settleSeconds: number | undefined;
}

export class NotifierConfigError extends ConfigError {
  override name = 'NotifierConfigError';
}

/** Signs unsubscribe tokens when TIERLINE_UNSUBSCRIBE_SECRET is unset and mail only goes to .eml files (development). */
export const DEVELOPMENT_UNSUBSCRIBE_SECRET = 'tierline-development-unsubscribe-secret';

type Env = Record<string, string | undefined>;

export function notifierConfigFromEnv(env: Env = process.env): NotifierConfig {
  // Each variable is parsed by the environment schema (config/env.ts); only the rules that
  // relate two variables live here.
  const read = <K extends EnvName>(name: K) => {
    try {
      return readVariable(name, env);
    } catch (error) {
      if (error instanceof ConfigError) throw new NotifierConfigError(error.message, { cause: error });
      throw error;
    }
  };
  const smtpUrl = read('SMTP_URL');
  const secret = read('TIERLINE_UNSUBSCRIBE_SECRET');
  if (smtpUrl && !secret)
    throw new NotifierConfigError(
      'TIERLINE_UNSUBSCRIBE_SECRET must be set when SMTP_URL is (it signs the unsubscribe links)',
    );
  const config: NotifierConfig = {
    smtpUrl,
    outboxDir: read('MAIL_OUTBOX_DIR'),
    fromAddress: read('TIERLINE_MAIL_FROM'),
    fromName: read('TIERLINE_MAIL_FROM_NAME'),
    perPartnerPerDay: read('TIERLINE_MAIL_PER_PARTNER_PER_DAY'),
    perSecond: read('TIERLINE_MAIL_PER_SECOND'),
    unsubscribeSecret: secret ?? DEVELOPMENT_UNSUBSCRIBE_SECRET,
    publicUrl: read('TIERLINE_PUBLIC_URL'),
    linkSecret: linkSecretFromEnv(env).secret,
    pollMs: read('TIERLINE_MAIL_POLL_MS'),
    claimTimeoutMs: read('TIERLINE_MAIL_CLAIM_TIMEOUT_MS'),
    batchSize: read('TIERLINE_MAIL_BATCH'),
    retryBaseMs: read('TIERLINE_MAIL_RETRY_BASE_MS'),
    maxRetryMs: read('TIERLINE_MAIL_RETRY_MAX_MS'),
    maxAttempts: read('TIERLINE_MAIL_MAX_ATTEMPTS'),
    capRecheckMs: read('TIERLINE_MAIL_CAP_RECHECK_MS'),
    smtpTimeoutMs: read('TIERLINE_SMTP_TIMEOUT_MS'),
    settleSeconds: read('TIERLINE_MAIL_SETTLE_SECONDS'),
  };
  if (config.smtpTimeoutMs * 3 >= config.claimTimeoutMs) {
    throw new NotifierConfigError(
      'TIERLINE_MAIL_CLAIM_TIMEOUT_MS must be more than three times TIERLINE_SMTP_TIMEOUT_MS: a live send must never look crashed',
    );
  }
  return config;
}
