// Receiver settings from the environment: one shared secret per source, and the body limit.
import { SOURCES, type Source } from '../../domain/events/schema.ts';

export type SourceSecrets = Partial<Record<Source, string>>;

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

/** The variable holding a source's secret, e.g. TIERLINE_SECRET_CRM. */
export const secretVariable = (source: Source): string => `TIERLINE_SECRET_${source.toUpperCase()}`;

/** Secrets from TIERLINE_SECRET_CRM / _LMS / _ERP; an empty value counts as unset. */
export function secretsFromEnv(env: Record<string, string | undefined> = process.env): SourceSecrets {
  const secrets: SourceSecrets = {};
  for (const source of SOURCES) {
    const value = env[secretVariable(source)]?.trim();
    if (value) secrets[source] = value;
  }
  return secrets;
}

export class HttpConfigError extends Error {
  override name = 'HttpConfigError';
}

/** TIERLINE_HTTP_BODY_LIMIT in bytes (default 10 MiB). */
export function bodyLimitFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.TIERLINE_HTTP_BODY_LIMIT?.trim();
  if (!raw) return DEFAULT_BODY_LIMIT;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) {
    throw new HttpConfigError(`TIERLINE_HTTP_BODY_LIMIT is not valid (expected a number of bytes, e.g. 10485760): ${raw.slice(0, 40)}`);
  }
  return Number(raw);
}
