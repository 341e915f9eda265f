// Structured JSON logs. Partner ids and job ids go in fields; email addresses, tokens and
// signatures never reach the output: known fields are redacted by path, and any other
// email-shaped text (an SMTP server quoting the address it refused) is masked.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { readVariable } from '../config/env.ts';

export const REDACT_PATHS = [
  '*.email',
  '*.contacts',
  'email',
  'contacts',
  '*.token',
  'token',
  '*.signature',
  'signature',
  'headers.authorization',
  '*.password',
];

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

export function maskEmails<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return value.replace(EMAIL, '[email]') as T;
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => maskEmails(v, depth + 1)) as T;
  // Requests, errors and the like keep their shape: their serializers run after this.
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = maskEmails(v, depth + 1);
  return out as T;
}

export function createLogger(
  name: string,
  level: string = readVariable('LOG_LEVEL'),
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { log: (object) => maskEmails(object) },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskEmails(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
