// xAPI 1.0.3 statements (SPEC §13): passed/completed (result.success not false) of a mapped
// certification activity → certification.earned; a `voided` statement of such a statement →
// certification.revoked on the voiding statement's day.
import { formatDay, parseDay } from '../dates.ts';
import { businessDay } from '../timestamps.ts';
import { partnerFor } from './mapping.ts';
import { problem, skipped, type ConvertContext, type Outcome } from './outcome.ts';

export const VERBS = {
  passed: 'http://adlnet.gov/expapi/verbs/passed',
  completed: 'http://adlnet.gov/expapi/verbs/completed',
  voided: 'http://adlnet.gov/expapi/verbs/voided',
} as const;

const DEFAULT_VALID_FOR_DAYS = 730;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** An earlier statement by id (for `voided`), as stored or seen before in the same file. */
export type StatementLookup = (id: string) => unknown;

function personOf(actor: unknown): string | undefined {
  if (!isObj(actor)) return undefined;
  if (isObj(actor.account)) return str(actor.account.name);
  const mbox = str(actor.mbox);
  return mbox?.replace(/^mailto:/i, '');
}

function certificationOf(statement: Obj, ctx: ConvertContext): string | undefined {
  const certs = ctx.mapping.xapi?.certifications ?? {};
  const object = isObj(statement.object) ? str(statement.object.id) : undefined;
  if (object && certs[object]) return certs[object];
  const context = isObj(statement.context) ? statement.context : {};
  const activities = isObj(context.contextActivities) ? context.contextActivities : {};
  const parents = Array.isArray(activities.parent)
    ? activities.parent
    : isObj(activities.parent)
      ? [activities.parent]
      : [];
  for (const parent of parents) {
    const id = isObj(parent) ? str(parent.id) : undefined;
    if (id && certs[id]) return certs[id];
  }
  return undefined;
}

function partnerOf(statement: Obj): string | undefined {
  const context = isObj(statement.context) ? statement.context : {};
  const team = isObj(context.team) ? context.team : {};
  return isObj(team.account) ? str(team.account.name) : undefined;
}

function dayOf(statement: Obj, ctx: ConvertContext): string | undefined {
  const ts = str(statement.timestamp) ?? str(statement.stored);
  const day = ts === undefined ? undefined : businessDay(ts, ctx.timezone);
  return day === undefined ? undefined : formatDay(day);
}

function extension(statement: Obj, iri: string): unknown {
  for (const holder of [statement.result, statement.context]) {
    if (isObj(holder) && isObj(holder.extensions) && iri in holder.extensions) return holder.extensions[iri];
  }
  return undefined;
}

interface Earned {
  personId: string;
  certificationId: string;
  partnerId: string;
  earnedAt: string;
}

/** The certification a statement earns, or why it earns none (a skip) or is broken (a problem). */
function earned(statement: Obj, ctx: ConvertContext): Earned | { skip: string } | { problem: string } {
  const verb = isObj(statement.verb) ? str(statement.verb.id) : undefined;
  if (verb !== VERBS.passed && verb !== VERBS.completed) return { skip: `verb ${verb ?? '(none)'} earns nothing` };
  const result = isObj(statement.result) ? statement.result : {};
  if (result.success === false) return { skip: 'result.success is false' };
  const certificationId = certificationOf(statement, ctx);
  if (!certificationId) return { skip: 'no activity in the mapping’s certifications' };
  const account = partnerOf(statement);
  if (!account) return { skip: 'no context.team.account.name (no partner)' };
  const personId = personOf(statement.actor);
  if (!personId) return { problem: 'the actor has no account name or mbox' };
  const earnedAt = dayOf(statement, ctx);
  if (!earnedAt) return { problem: 'no timestamp' };
  return { personId, certificationId, partnerId: partnerFor(ctx.mapping, account), earnedAt };
}

export function convertStatement(statement: unknown, ctx: ConvertContext, lookup: StatementLookup): Outcome {
  const id = isObj(statement) ? str(statement.id) : undefined;
  const ref = `statement ${id ?? '?'}`;
  const xapi = ctx.mapping.xapi;
  if (!xapi) return problem(ref, 'the mapping has no xapi section');
  if (!isObj(statement) || !id) return problem(ref, 'not an xAPI statement with an id');
  const verb = isObj(statement.verb) ? str(statement.verb.id) : undefined;
  if (verb === VERBS.voided) return voided(statement, id, ref, ctx, lookup);
  const e = earned(statement, ctx);
  if ('skip' in e) return skipped(ref, e.skip);
  if ('problem' in e) return problem(ref, e.problem);
  let expiresAt: string | undefined;
  const iri = xapi.expiresAtExtension;
  const ext = iri ? extension(statement, iri) : undefined;
  if (ext !== undefined) {
    const day = typeof ext === 'string' ? businessDay(ext, ctx.timezone) : undefined;
    if (day === undefined) return problem(ref, `extension ${iri} ${JSON.stringify(ext)} is not a date`);
    expiresAt = formatDay(day);
  } else {
    const start = parseDay(e.earnedAt) ?? 0;
    expiresAt = formatDay(start + (xapi.validForDays ?? DEFAULT_VALID_FOR_DAYS));
  }
  const { partnerId, ...rest } = e;
  return {
    kind: 'event',
    ref,
    event: {
      id: `xapi-${id}`,
      source: 'lms',
      type: 'certification.earned',
      occurredAt: str(statement.timestamp) ?? `${e.earnedAt}T00:00:00Z`,
      partnerId,
      data: { ...rest, expiresAt },
    },
  };
}

function voided(statement: Obj, id: string, ref: string, ctx: ConvertContext, lookup: StatementLookup): Outcome {
  const target =
    isObj(statement.object) && statement.object.objectType === 'StatementRef' ? str(statement.object.id) : undefined;
  if (!target) return problem(ref, 'a voiding statement must reference a statement (object.objectType StatementRef)');
  const original = lookup(target);
  if (!isObj(original)) return skipped(ref, `voids ${target}, which is not a known certification statement`);
  const e = earned(original, ctx);
  if (!('personId' in e)) return skipped(ref, `voids ${target}, which earned no certification`);
  const revokedAt = dayOf(statement, ctx);
  if (!revokedAt) return problem(ref, 'no timestamp');
  return {
    kind: 'event',
    ref,
    event: {
      id: `xapi-${id}`,
      source: 'lms',
      type: 'certification.revoked',
      occurredAt: str(statement.timestamp) ?? `${revokedAt}T00:00:00Z`,
      partnerId: e.partnerId,
      data: { personId: e.personId, certificationId: e.certificationId, revokedAt },
    },
  };
}
