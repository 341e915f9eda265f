// Structured JSON logs. Partner ids and job ids go in fields; email addresses, tokens and
// signatures never reach the output.
import { pino, type Logger } from 'pino';

export const REDACT_PATHS = ['*.email', '*.contacts', 'email', 'contacts', '*.token', 'token', '*.signature', 'signature', 'headers.authorization', '*.password'];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}
