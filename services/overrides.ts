// The override use case: a manual effective tier for a partner over a span of days, checked
// against the tiers of the partner's track, stored and audited with the recompute it owes in
// one transaction (Postgres is the record: waking the workers through Redis is the caller's
// extra); the timeline applies it from the next recompute. Clearing is audited too.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/repositories/audit.ts';
import {
  clearActiveOverrides,
  findActiveOverride,
  insertOverride,
  listActiveOverrides,
  lockPartnerOverrides,
  partnerTypeOf,
} from '../db/repositories/overrides.ts';
import { pendingRecomputes, requestRecomputes } from '../db/repositories/recompute-requests.ts';
import { toJsonb } from '../db/json.ts';
import type { DB } from '../db/types.ts';
import { formatDay, parseDay, type Day } from '../domain/dates.ts';
import type { ProgramSet } from '../domain/program/load.ts';
import { enqueueRecomputes, type Queues } from '../queues/queues.ts';
import { Refusal } from './errors.ts';
import { loadProgramSet } from './programs.ts';

export interface OverrideRequest {
  partnerId: string;
  tier: string;
  /** First day; absent: today in the program's timezone. */
  from?: string | undefined;
  until: string;
  reason: string;
  /** Who; absent: the caller's current user. */
  by?: string | undefined;
}

/** Where "today" and "who" come from when the request leaves them out. */
export interface OverrideDefaults {
  today(timezone: string): Day;
  currentUser(): string;
}

export interface OverrideSet {
  id: string;
  from: string;
  by: string;
  /** False: the same partner, tier and days were already overridden; nothing was stored. */
  created: boolean;
  /** The stored override's reason and author (the earlier ones when not created). */
  reason: string;
}

const nonEmpty = (name: string, value: string | undefined): void => {
  if (value !== undefined && value.trim() === '') throw new Refusal(`${name} must not be empty`);
};

const day = (option: string, value: string | undefined): void => {
  if (value !== undefined && parseDay(value) === undefined)
    throw new Refusal(`${option}: expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
};

/** The checks that need no services (ids non-empty, dates parse), run before opening any. */
export function checkOverrideRequest(request: OverrideRequest): void {
  nonEmpty('the partner id', request.partnerId);
  nonEmpty('the tier', request.tier);
  nonEmpty('--reason', request.reason);
  nonEmpty('--by', request.by);
  day('--from', request.from);
  day('--until', request.until);
  if (request.from !== undefined && request.until < request.from)
    throw new Refusal(`--until ${request.until} is before --from ${request.from}`);
}

/** The checks of `overrides clear` that need no services. */
export function checkClearRequest(partnerId: string, by: string | undefined): void {
  nonEmpty('the partner id', partnerId);
  nonEmpty('--by', by);
}

const list = (ids: readonly string[]): string => ids.join(', ');

/**
 * Why `tier` cannot be the partner's override, or undefined if it can. Tier ids are compared
 * exactly; the message lists the tiers of the partner's track (of every track when the
 * partner's track is unknown) and suggests a tier that differs only in case.
 */
export function unknownTierMessage(
  program: ProgramSet,
  partnerId: string,
  partnerType: string | undefined,
  tier: string,
): string | undefined {
  // Later versions first: their tier order is the one users see now.
  const tracks = program.versions.toReversed().flatMap((v) => v.program.tracks);
  const tiersOf = (trackId: string): string[] => [
    ...new Set(tracks.filter((t) => t.id === trackId).flatMap((t) => t.tiers.map((x) => x.id))),
  ];
  const trackIds = [...new Set(tracks.map((t) => t.id))];
  const own = partnerType === undefined ? undefined : tracks.find((t) => t.partnerTypes.includes(partnerType))?.id;
  const candidates = own === undefined ? trackIds.flatMap(tiersOf) : tiersOf(own);
  if (candidates.includes(tier)) return undefined;
  const near = candidates.find((c) => c.toLowerCase() === tier.toLowerCase());
  const hint = near === undefined ? '' : `; did you mean ${JSON.stringify(near)}?`;
  if (own !== undefined)
    return `unknown tier ${JSON.stringify(tier)} for track ${own} (tiers: ${list(tiersOf(own))})${hint}`;
  const why =
    partnerType === undefined
      ? `partner ${partnerId} is not known yet`
      : `partner type ${JSON.stringify(partnerType)} is in no track`;
  return `unknown tier ${JSON.stringify(tier)} in program ${program.id} (${why}; tiers: ${trackIds.map((t) => `${t}: ${list(tiersOf(t))}`).join('; ')})${hint}`;
}

/**
 * Stores an override, audited, with the recompute it owes, in one transaction. The same
 * partner, tier and days again store nothing (a retry after an error must not duplicate it).
 */
export async function setOverride(
  db: Kysely<DB>,
  request: OverrideRequest,
  defaults: OverrideDefaults,
): Promise<OverrideSet> {
  checkOverrideRequest(request);
  const { partnerId, tier, until, reason } = request;
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const unknown = unknownTierMessage(program, partnerId, await partnerTypeOf(db, partnerId), tier);
  if (unknown !== undefined) throw new Refusal(unknown);
  const from = request.from ?? formatDay(defaults.today(program.timezone));
  if (until < from) throw new Refusal(`--until ${until} is before --from ${from} (today)`);
  const by = request.by ?? defaults.currentUser();
  return db.transaction().execute(async (trx) => {
    await lockPartnerOverrides(trx, partnerId);
    const existing = await findActiveOverride(trx, { partnerId, tier, from, until });
    if (existing) return { id: existing.id, from, by: existing.created_by, reason: existing.reason, created: false };
    const id = await insertOverride(trx, {
      partner_id: partnerId,
      tier_id: tier,
      from_day: from,
      until_day: until,
      reason,
      created_by: by,
    });
    await recordAudit(trx, {
      actor: by,
      action: 'override.set',
      partner_id: partnerId,
      details: toJsonb({ id, tier, from, until, reason }),
    });
    await requestRecomputes(trx, new Map([[partnerId, from]]), new Map([[partnerId, [`override:${id}`]]]));
    return { id, from, by, reason, created: true };
  });
}

export const listOverrides = listActiveOverrides;

/** Clears a partner's active overrides; returns how many there were. `reason` (the console asks for one) is audited. */
export async function clearOverrides(db: Kysely<DB>, partnerId: string, by: string, reason?: string): Promise<number> {
  checkClearRequest(partnerId, by);
  return db.transaction().execute(async (trx) => {
    const rows = await clearActiveOverrides(trx, partnerId, by);
    if (rows.length === 0) return 0;
    await recordAudit(trx, {
      actor: by,
      action: 'override.clear',
      partner_id: partnerId,
      details: toJsonb({ ids: rows.map((r) => r.id), ...(reason === undefined ? {} : { reason }) }),
    });
    const earliest = rows.map((r) => r.from_day).sort()[0] ?? null;
    await requestRecomputes(
      trx,
      new Map([[partnerId, earliest]]),
      new Map([[partnerId, rows.map((r) => `override-cleared:${r.id}`)]]),
    );
    return rows.length;
  });
}

/** Wakes the recompute workers for what a partner owes (the request is in Postgres already). */
export async function wakePartner(db: Kysely<DB>, queues: Queues, partnerId: string): Promise<void> {
  await enqueueRecomputes(queues, await pendingRecomputes(db, [partnerId]));
}
