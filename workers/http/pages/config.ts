// Where the partner-page link secret comes from: TIERLINE_LINK_SECRET, else a fixed
// development secret (links then open only on a development server; `serve` warns).
import { readVariable, type Env } from '../../../config/env.ts';

export const DEVELOPMENT_LINK_SECRET = 'tierline-development-partner-link-secret';

export function linkSecretFromEnv(env: Env = process.env): { secret: string; development: boolean } {
  const secret = readVariable('TIERLINE_LINK_SECRET', env);
  return secret === undefined ? { secret: DEVELOPMENT_LINK_SECRET, development: true } : { secret, development: false };
}

export function publicUrlFromEnv(env: Env = process.env): string {
  return readVariable('TIERLINE_PUBLIC_URL', env);
}
