import { ConfigError, readEnv, type TierlineEnv } from '../../config/env.ts';
import { CliError } from './errors.ts';

/** The whole environment, checked before a long-running command starts anything (config/env.ts): a bad value is one line naming it. */
export function startupConfig(): TierlineEnv {
  try {
    return readEnv();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}
