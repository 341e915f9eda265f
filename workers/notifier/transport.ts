// Where messages go: SMTP through nodemailer (SMTP_URL; TLS from the first byte with
// smtps:// or ?secure=true, STARTTLS when the server offers it), or, without SMTP_URL, one
// .eml file per message in MAIL_OUTBOX_DIR. Send failures are classified here: transient
// ones (no connection, timeouts, 4xx) are retried later, permanent ones (5xx, a refused
// address) are recorded and never retried.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { SendMailOptions, SMTPPoolOptions } from 'nodemailer';

export interface OutgoingMail {
  from: { name: string; address: string };
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** "<...@tierline>", stable for the notification and recipient. */
  messageId: string;
  headers: Record<string, string>;
  /** File name (without .eml) in file mode; stable per message, so a resend overwrites. */
  fileStem: string;
}

export interface SendResult {
  messageId: string;
  /** The server's reply ("250 2.0.0 Ok: queued as ..."), or the file written. */
  response: string;
  /** File mode: where the message was written. */
  path?: string;
}

export interface MailTransport {
  /** "smtp://host:port" (no credentials) or "files in DIR". */
  readonly description: string;
  send(mail: OutgoingMail): Promise<SendResult>;
  close(): void;
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
  rejectUnauthorized: boolean;
  auth?: { user: string; pass: string };
}

const truthy = (value: string | null): boolean =>
  value !== null && ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());

/**
 * SMTP_URL → connection settings: smtps:// or ?secure=true is TLS from the start (port 465 by default),
 * else 587 with STARTTLS when offered.
 */
export function parseSmtpUrl(url: string): SmtpSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('SMTP_URL is not a URL');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${u.protocol}//`);
  if (!u.hostname) throw new Error('SMTP_URL has no host');
  const secure = u.protocol === 'smtps:' || truthy(u.searchParams.get('secure'));
  const settings: SmtpSettings = {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    requireTLS: truthy(u.searchParams.get('requireTLS')),
    ignoreTLS: truthy(u.searchParams.get('ignoreTLS')),
    rejectUnauthorized: u.searchParams.get('rejectUnauthorized')?.toLowerCase() !== 'false',
  };
  if (u.username) settings.auth = { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) };
  return settings;
}

function mailOptions(mail: OutgoingMail): SendMailOptions {
  return {
    from: mail.from,
    to: [mail.to],
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    headers: mail.headers,
    // Nothing in a notification may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export function smtpTransport(url: string, timeoutMs: number): MailTransport {
  const s = parseSmtpUrl(url);
  const options: SMTPPoolOptions & { pool: true } = {
    pool: true,
    maxConnections: 2,
    maxMessages: 100,
    host: s.host,
    port: s.port,
    secure: s.secure,
    requireTLS: s.requireTLS,
    ignoreTLS: s.ignoreTLS,
    tls: { rejectUnauthorized: s.rejectUnauthorized },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(s.auth ? { auth: s.auth } : {}),
  };
  const transporter = nodemailer.createTransport(options);
  // A pooled connection that fails between messages is reported as an 'error' event, which
  // would crash the process without a listener. The pool drops it and the next send
  // reconnects; failures of a send itself reach sendMail's promise.
  transporter.on('error', () => {});
  return {
    description: `${s.secure ? 'smtps' : 'smtp'}://${s.host}:${s.port}`,
    async send(mail) {
      const info = await transporter.sendMail(mailOptions(mail));
      // A message with one recipient that the server refused comes back as an error
      // (EENVELOPE); this is belt and braces for servers that answer otherwise.
      if (info.rejected.length > 0 && info.accepted.length === 0) {
        const error = Object.assign(new Error(`recipient refused: ${info.rejected.join(', ')}`), {
          code: 'EENVELOPE',
          responseCode: 550,
        });
        throw error;
      }
      return { messageId: info.messageId, response: info.response };
    },
    close() {
      transporter.close();
    },
  };
}

/** One .eml file per message, written whole (temporary file, then rename) so a reader never sees half a message. */
export function fileTransport(dir: string): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `files in ${dir}`,
    async send(mail) {
      const info = await transporter.sendMail(mailOptions(mail));
      const message = info.message;
      if (!Buffer.isBuffer(message)) throw new Error('the stream transport returned no buffer');
      await mkdir(dir, { recursive: true });
      const file = path.resolve(dir, `${mail.fileStem}.eml`);
      const temporary = `${file}.${process.pid}.tmp`;
      await writeFile(temporary, message);
      await rename(temporary, file);
      return { messageId: info.messageId, response: `written to ${file}`, path: file };
    },
    close() {
      transporter.close();
    },
  };
}

export function createMailTransport(config: {
  smtpUrl: string | undefined;
  outboxDir: string;
  smtpTimeoutMs: number;
}): MailTransport {
  return config.smtpUrl ? smtpTransport(config.smtpUrl, config.smtpTimeoutMs) : fileTransport(config.outboxDir);
}

export interface SendFailure {
  permanent: boolean;
  /** One line for last_error: code, reply code and the server's words. */
  message: string;
}

// Connection-level trouble, and the server's authentication refusals (a configuration
// problem, not the message's: the operator fixes it and the retries go through).
const TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'EMAXLIMIT',
  'ECLOSED',
]);
const AUTH_REPLIES = new Set([530, 534, 535, 538]);
// Refused before any server was asked: the message or the address itself is at fault.
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EADDRESS']);

export function classifySendError(error: unknown): SendFailure {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; response?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const text =
    typeof e.response === 'string' && e.response
      ? e.response
      : typeof e.message === 'string'
        ? e.message
        : String(error);
  const words = text.replace(/\s+/g, ' ').trim();
  // Server replies usually start with their own code; say it once.
  const message = [code, reply !== undefined && !words.startsWith(String(reply)) ? reply : undefined, words]
    .filter((x) => x !== undefined && x !== '')
    .join(' ')
    .slice(0, 1000);
  if (reply !== undefined) {
    if (reply >= 500 && !AUTH_REPLIES.has(reply)) return { permanent: true, message };
    return { permanent: false, message };
  }
  if (code && PERMANENT_CODES.has(code)) return { permanent: true, message };
  if (code && TRANSIENT_CODES.has(code)) return { permanent: false, message };
  // Unknown trouble is retried; maxAttempts bounds it.
  return { permanent: false, message };
}
