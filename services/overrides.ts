// The override use case: a manual effective tier for a partner over a span of days, checked
// against the program's tiers, stored and audited with the recompute it owes in one
// transaction; the timeline applies it from the next recompute. Clearing is audited too.
import type { Kysely } from 'kysely';
import { recordAudit } from '../db/repositories/audit.ts';
import { clearActiveOverrides, insertOverride, listActiveOverrides } from '../db/repositories/overrides.ts';
import { pendingRecomputes, requestRecomputes } from '../db/repositories/recompute-requests.ts';
import { toJsonb } from '../db/json.ts';
import type { DB } from '../db/types.ts';
import { formatDay, parseDay, type Day } from '../domain/dates.ts';
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
}

export async function setOverride(
  db: Kysely<DB>,
  request: OverrideRequest,
  defaults: OverrideDefaults,
): Promise<OverrideSet> {
  const { partnerId, tier, until, reason } = request;
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const known = program.versions.some((v) => v.program.tracks.some((t) => t.tiers.some((x) => x.id === tier)));
  if (!known) throw new Refusal(`tier ${tier} is in no track of program ${program.id}`);
  const from = request.from ?? formatDay(defaults.today(program.timezone));
  if (parseDay(from) === undefined)
    throw new Refusal(`--from: expected a date YYYY-MM-DD, got ${JSON.stringify(from)}`);
  if (parseDay(until) === undefined)
    throw new Refusal(`--until: expected a date YYYY-MM-DD, got ${JSON.stringify(until)}`);
  if (until < from) throw new Refusal(`--until ${until} is before --from ${from}`);
  const by = request.by ?? defaults.currentUser();
  const id = await db.transaction().execute(async (trx) => {
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
    return id;
  });
  return { id, from, by };
}

export const listOverrides = listActiveOverrides;

/** Clears a partner's active overrides; returns how many there were. */
export async function clearOverrides(db: Kysely<DB>, partnerId: string, by: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await clearActiveOverrides(trx, partnerId, by);
    if (rows.length === 0) return 0;
    await recordAudit(trx, {
      actor: by,
      action: 'override.clear',
      partner_id: partnerId,
      details: toJsonb({ ids: rows.map((r) => r.id) }),
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
