// The console's reads (SPEC §12): overview counts, the partners list (search, filters, sort,
// keyset pages, CSV), at-risk and near-promotion lists, dead letters, program versions.
// Input from query strings is checked here, once: anything unusable reads as "no filter" or
// "first page", never as an error page or an expensive query.
import type { Kysely } from 'kysely';
import {
  atRiskPage,
  deadLetterById,
  deadLettersPage,
  decisionsPerDay,
  foldScorecardCounts,
  nearPromotionPage,
  partnersPage,
  tierCounts,
  type PartnerCursor,
  type PartnerFilter,
  type PartnerSort,
} from '../../db/repositories/console.ts';
import { listProgramVersions } from '../../db/repositories/programs.ts';
import type { DB } from '../../db/types.ts';
import { formatDay, type Day } from '../../domain/dates.ts';

export const PAGE_SIZE = 50;
const MAX_TEXT = 200;
const STATUSES = ['qualified', 'grace', 'hold', 'review', 'override', 'none'] as const;

export interface PartnerQuery {
  filter: PartnerFilter;
  sort: PartnerSort;
  after?: PartnerCursor | undefined;
}

/** A filter's text: trimmed, cut to MAX_TEXT (a long search still filters, it just matches nothing). */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, MAX_TEXT) : undefined;

export function encodeCursor(cursor: PartnerCursor): string {
  return Buffer.from(JSON.stringify([cursor.key, cursor.id]), 'utf8').toString('base64url');
}

export function decodeCursor(value: unknown): PartnerCursor | undefined {
  if (typeof value !== 'string' || value.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((p) => typeof p === 'string'))
      return { key: parsed[0] as string, id: parsed[1] as string };
  } catch {
    // A cursor that is not ours reads as the first page.
  }
  return undefined;
}

/** The partners-list query of a request's query string. */
export function partnerQuery(query: Record<string, unknown>): PartnerQuery {
  const status = text(query.status);
  return {
    filter: {
      search: text(query.q),
      tier: text(query.tier),
      status: (STATUSES as readonly string[]).includes(status ?? '') ? status : undefined,
      atRisk: query.risk === '1' || query.risk === 'on',
    },
    sort: query.sort === 'name' ? 'name' : 'id',
    after: decodeCursor(query.after),
  };
}

export async function listPartners(db: Kysely<DB>, q: PartnerQuery, limit = PAGE_SIZE) {
  const rows = await partnersPage(db, { ...q, limit: limit + 1 });
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  const next =
    rows.length > limit && last
      ? encodeCursor({ key: q.sort === 'name' ? last.name : last.partner_id, id: last.partner_id })
      : undefined;
  return { rows: shown, next };
}

const CSV_COLUMNS = [
  'partner_id',
  'name',
  'partner_type',
  'region',
  'track',
  'tier',
  'qualified_tier',
  'status',
] as const;

/**
 * A CSV field: quoted, and a leading =, +, - or @ defused so a spreadsheet never runs it as a
 * formula; a plain decimal number (a negative amount) is left as it is, it cannot be one.
 */
export function csvField(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-[0-9]+(\.[0-9]+)?$/.test(s)) s = `'${s}`;
  return `"${s.replaceAll('"', '""')}"`;
}

/** Every partner matching the filters as CSV, read page by page. */
export async function* partnersCsv(db: Kysely<DB>, q: PartnerQuery): AsyncGenerator<string> {
  yield `${[...CSV_COLUMNS, 'grace_ends_on', 'first_risk_on'].join(',')}\r\n`;
  let after: PartnerCursor | undefined;
  for (;;) {
    const rows = await partnersPage(db, { filter: q.filter, sort: q.sort, after, limit: 1000 });
    if (rows.length === 0) return;
    yield rows
      .map((r) => [...CSV_COLUMNS.map((c) => r[c]), r.grace_ends_on, r.first_risk_on].map(csvField).join(',') + '\r\n')
      .join('');
    const last = rows[rows.length - 1];
    if (!last || rows.length < 1000) return;
    after = { key: q.sort === 'name' ? last.name : last.partner_id, id: last.partner_id };
  }
}

export async function overview(db: Kysely<DB>, today: Day) {
  const from = formatDay(today - 89);
  await foldScorecardCounts(db);
  const [tiers, perDay] = await Promise.all([tierCounts(db), decisionsPerDay(db, from)]);
  const byDay = new Map(perDay.map((d) => [d.day, Number(d.decisions)]));
  const days: Array<{ day: string; decisions: number }> = [];
  for (let d = today - 89; d <= today; d++) days.push({ day: formatDay(d), decisions: byDay.get(formatDay(d)) ?? 0 });
  return { tiers, days, total: tiers.reduce((sum, t) => sum + Number(t.partners), 0) };
}

export const atRisk = (db: Kysely<DB>) => atRiskPage(db, 200);
export const nearPromotion = (db: Kysely<DB>) => nearPromotionPage(db, 200);
export const programVersions = listProgramVersions;

/** A page of dead letters, newest first; `before` is an id from the previous page. */
export async function deadLetters(db: Kysely<DB>, query: Record<string, unknown>) {
  const before = typeof query.before === 'string' && /^[1-9][0-9]{0,17}$/.test(query.before) ? query.before : undefined;
  const all = query.all === '1';
  const rows = await deadLettersPage(db, { before, all, limit: PAGE_SIZE + 1 });
  const shown = rows.slice(0, PAGE_SIZE);
  return { rows: shown, all, next: rows.length > PAGE_SIZE ? shown[shown.length - 1]?.id : undefined };
}

/** One dead letter with its raw text (invalid UTF-8 shown replaced), or undefined. */
export async function deadLetter(db: Kysely<DB>, id: string) {
  if (!/^[1-9][0-9]{0,17}$/.test(id)) return undefined;
  const row = await deadLetterById(db, id);
  if (!row) return undefined;
  const raw = row.raw.subarray(0, 64 * 1024).toString('utf8');
  return { ...row, rawText: row.raw.length > 64 * 1024 ? `${raw}\n… (${row.raw.length} bytes in all)` : raw };
}
