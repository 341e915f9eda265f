// `tierline links create`: a signed partner-page URL for a partner some event has named,
// valid through `days` days from today in the program's timezone.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { formatDay, type Day } from '../../domain/dates.ts';
import { Refusal } from '../errors.ts';
import { partnerPageUrl, signPartnerToken } from '../links.ts';
import { loadProgramSet } from '../programs.ts';
import { knownPartner } from '../reads.ts';

export const DEFAULT_LINK_DAYS = 30;
export const MAX_LINK_DAYS = 3660;

export interface LinkSettings {
  secret: string;
  publicUrl: string;
  today(timezone: string): Day;
}

/** `--days` as given on a command line: a whole number from 1 to MAX_LINK_DAYS. */
export function checkLinkDays(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LINK_DAYS;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) < 1 || Number(text) > MAX_LINK_DAYS)
    throw new Refusal(
      `--days: expected a whole number of days from 1 to ${MAX_LINK_DAYS}, got ${JSON.stringify(text)}`,
    );
  return Number(text);
}

export async function createPartnerLink(
  db: Kysely<DB>,
  request: { partnerId: string; days: number },
  settings: LinkSettings,
): Promise<{ url: string; expiresOn: string }> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  await knownPartner(db, request.partnerId);
  // Valid through the last of `days` days, today being the first.
  const expiresOn = formatDay(settings.today(program.timezone) + request.days - 1);
  const token = signPartnerToken({ partnerId: request.partnerId, expiresOn }, settings.secret);
  return { url: partnerPageUrl(settings.publicUrl, token), expiresOn };
}
