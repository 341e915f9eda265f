// The web pages of `tierline serve` (issue 18, SPEC §12): assets, the partner page
// GET /p/{token} and the console under /console. server.ts registers them with one call.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../../db/types.ts';
import type { Day } from '../../../domain/dates.ts';
import type { Queues } from '../../../queues/queues.ts';
import { today as clockToday } from '../../clock.ts';
import { NoProgramError, ProgramCache } from '../../program-cache.ts';
import { registerAssets } from './assets.ts';
import { linkSecretFromEnv, publicUrlFromEnv } from './config.ts';
import { registerConsole } from './console.ts';
import { registerPartnerPage } from './partner.ts';

export interface PagesOptions {
  /** Signs and checks partner-page tokens; TIERLINE_LINK_SECRET (or the development secret) by default. */
  linkSecret?: string;
  /** TIERLINE_PUBLIC_URL by default. */
  publicUrl?: string;
  /** "Today" in a time zone; the workers' clock (TIERLINE_TODAY) by default. */
  today?: (timezone: string) => Day;
}

export function registerPages(
  app: FastifyInstance,
  deps: { db: Kysely<DB>; queues: Queues; log: Logger; adminToken: string | undefined },
  options: PagesOptions = {},
): void {
  let linkSecret = options.linkSecret;
  if (linkSecret === undefined) {
    const fromEnv = linkSecretFromEnv();
    if (fromEnv.development)
      deps.log.warn(
        'TIERLINE_LINK_SECRET is unset: partner-page links use a development secret; set one in production',
      );
    linkSecret = fromEnv.secret;
  }
  const today = options.today ?? ((timezone: string) => clockToday(timezone));
  // Re-read every few seconds, as the workers do: a `program load` shows without a restart.
  const cache = new ProgramCache(deps.db);
  const program = () =>
    cache.get().catch((error: unknown) => {
      if (error instanceof NoProgramError) return undefined;
      throw error;
    });
  registerAssets(app);
  registerPartnerPage(app, { db: deps.db, secret: linkSecret, today, program });
  registerConsole(app, {
    db: deps.db,
    queues: deps.queues,
    token: deps.adminToken,
    linkSecret,
    publicUrl: options.publicUrl ?? publicUrlFromEnv(),
    today,
    program,
  });
}
