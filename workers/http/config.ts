// Receiver settings from the environment: one shared secret per source, and the body limit.
import { ConfigError, readVariable } from '../../config/env.ts';
import { SOURCES, type Source } from '../../domain/events/schema.ts';

export type SourceSecrets = Partial<Record<Source, string>>;

export const DEFAULT_BODY_LIMIT = readVariable('TIERLINE_HTTP_BODY_LIMIT', {});

/** The variable holding a source's secret, e.g. TIERLINE_SECRET_CRM. */
export const secretVariable = (source: Source) =>
  `TIERLINE_SECRET_${source.toUpperCase() as Uppercase<Source>}` as const;

/** Secrets from TIERLINE_SECRET_CRM / _LMS / _ERP; an empty value counts as unset. */
export function secretsFromEnv(env: Record<string, string | undefined> = process.env): SourceSecrets {
  const secrets: SourceSecrets = {};
  for (const source of SOURCES) {
    const value = readVariable(secretVariable(source), env);
    if (value) secrets[source] = value;
  }
  return secrets;
}

export class HttpConfigError extends ConfigError {
  override name = 'HttpConfigError';
}

/** TIERLINE_HTTP_BODY_LIMIT in bytes (default 10 MiB). */
export function bodyLimitFromEnv(env: Record<string, string | undefined> = process.env): number {
  try {
    return readVariable('TIERLINE_HTTP_BODY_LIMIT', env);
  } catch (error) {
    if (error instanceof ConfigError) throw new HttpConfigError(error.message, { cause: error });
    throw error;
  }
}
