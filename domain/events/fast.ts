// A fast path for the common, plainly valid event, beside the zod schemas of schema.ts: it
// accepts an event only when every field is present with the type, range and spelling the
// schemas accept, builds the same canonical event the schemas would, and otherwise answers
// undefined, so that the schemas judge the event (and word the reason). It never rejects.
// Extra keys, partner.upserted (e-mail addresses), anything unusual: left to the schemas.
// test/domain/events-fast.test.ts checks it against the schemas, field by field.
import { formatDay, MAX_DAY, MIN_DAY } from '../dates.ts';
import { canonicalDecimal, currencyDigits, decimalPlaces, isDecimalString, isPositiveDecimal } from '../money.ts';
import { businessDay, parseInstant } from '../timestamps.ts';
import { TYPES_BY_SOURCE, type CanonicalEvent, type EventContext, type Source } from './schema.ts';

type Json = Record<string, unknown>;

/** Marks a field the schemas would refuse (the fast path then gives up). */
const NO = Symbol('no');
type Maybe<T> = T | typeof NO;

const isRecord = (value: unknown): value is Json => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/** Every own key is one of `allowed` (and the object is a plain one). */
function onlyKeys(value: Json, allowed: ReadonlySet<string>): boolean {
  for (const key of Object.keys(value)) if (!allowed.has(key)) return false;
  return true;
}

const text = (v: unknown): Maybe<string> => (typeof v === 'string' && v.length >= 1 && v.length <= 1000 ? v : NO);
const amount = (v: unknown): Maybe<string> => (typeof v === 'string' && isDecimalString(v) ? canonicalDecimal(v) : NO);
const rate = (v: unknown): Maybe<string> => (typeof v === 'string' && isPositiveDecimal(v) ? canonicalDecimal(v) : NO);
const currency = (v: unknown): Maybe<string> => (typeof v === 'string' && currencyDigits(v) !== undefined ? v : NO);
const version = (v: unknown): Maybe<number> => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : NO);

/** Business days already worked out, per timezone (the same few thousand strings recur). */
const dateChecks = new Map<string, (v: unknown) => Maybe<string>>();
const DAY_CACHE_LIMIT = 50_000;

function dateIn(timezone: string): (v: unknown) => Maybe<string> {
  const existing = dateChecks.get(timezone);
  if (existing) return existing;
  const days = new Map<string, string | typeof NO>();
  const check = (v: unknown): Maybe<string> => {
    if (typeof v !== 'string') return NO;
    const known = days.get(v);
    if (known !== undefined) return known;
    const day = businessDay(v, timezone);
    const result = day === undefined || day < MIN_DAY || day > MAX_DAY ? NO : formatDay(day);
    if (days.size < DAY_CACHE_LIMIT) days.set(v, result);
    return result;
  };
  dateChecks.set(timezone, check);
  return check;
}

/**
 * An optional field: absent stays absent, null is present and undefined (as the schemas'
 * preprocess makes it), anything else must pass `check`. Returns false when it does not.
 */
function optional<T>(into: Json, from: Json, key: string, check: (v: unknown) => Maybe<T>): boolean {
  if (!(key in from)) return true;
  const value = from[key];
  if (value === null || value === undefined) {
    into[key] = undefined;
    return true;
  }
  const checked = check(value);
  if (checked === NO) return false;
  into[key] = checked;
  return true;
}

/** Required fields in the schema's key order; false when one is missing or refused. */
function required(
  into: Json,
  from: Json,
  fields: ReadonlyArray<readonly [string, (v: unknown) => Maybe<unknown>]>,
): boolean {
  for (const [key, check] of fields) {
    if (!(key in from)) return false;
    const checked = check(from[key]);
    if (checked === NO) return false;
    into[key] = checked;
  }
  return true;
}

/** The schemas' money refinement: no more decimals than the currency has, fxRate for a foreign one. */
function moneyOk(data: Json, programCurrency: string): boolean {
  const code = data.currency as string;
  const digits = currencyDigits(code);
  if (digits !== undefined && decimalPlaces(data.amount as string) > digits) return false;
  return code === programCurrency || data.fxRate !== undefined;
}

const keys = (...names: string[]): ReadonlySet<string> => new Set(names);
const ENVELOPE_KEYS = keys('id', 'source', 'type', 'occurredAt', 'partnerId', 'data');
const DEAL_KEYS = keys(
  'dealId',
  'stage',
  'amount',
  'currency',
  'fxRate',
  'customerId',
  'registeredAt',
  'closedAt',
  'version',
);
const EARNED_KEYS = keys('personId', 'certificationId', 'earnedAt', 'expiresAt');
const REVOKED_KEYS = keys('personId', 'certificationId', 'revokedAt');
const DEPARTED_KEYS = keys('personId', 'departedAt');
const BOOKED_KEYS = keys('invoiceId', 'amount', 'currency', 'fxRate', 'bookedAt', 'recurring');
const CREDITED_KEYS = keys('invoiceId', 'creditId', 'amount', 'currency', 'fxRate', 'creditedAt');
const STAGES = new Set(['open', 'closed_won', 'closed_lost']);
const stage = (v: unknown): Maybe<string> => (typeof v === 'string' && STAGES.has(v) ? v : NO);
const bool = (v: unknown): Maybe<boolean> => (typeof v === 'boolean' ? v : NO);

function fastData(type: string, data: Json, ctx: EventContext): Json | undefined {
  const date = dateIn(ctx.timezone);
  const out: Json = {};
  switch (type) {
    case 'deal.upserted': {
      if (!onlyKeys(data, DEAL_KEYS)) return undefined;
      if (
        !required(out, data, [
          ['dealId', text],
          ['stage', stage],
          ['amount', amount],
          ['currency', currency],
        ])
      )
        return undefined;
      if (
        !optional(out, data, 'fxRate', rate) ||
        !optional(out, data, 'customerId', text) ||
        !optional(out, data, 'registeredAt', date) ||
        !optional(out, data, 'closedAt', date)
      )
        return undefined;
      if (!required(out, data, [['version', version]])) return undefined;
      if (!moneyOk(out, ctx.currency) || (out.stage === 'closed_won' && out.closedAt === undefined)) return undefined;
      return out;
    }
    case 'certification.earned':
      if (
        !onlyKeys(data, EARNED_KEYS) ||
        !required(out, data, [
          ['personId', text],
          ['certificationId', text],
          ['earnedAt', date],
        ])
      )
        return undefined;
      return optional(out, data, 'expiresAt', date) ? out : undefined;
    case 'certification.revoked':
      return onlyKeys(data, REVOKED_KEYS) &&
        required(out, data, [
          ['personId', text],
          ['certificationId', text],
          ['revokedAt', date],
        ])
        ? out
        : undefined;
    case 'person.departed':
      return onlyKeys(data, DEPARTED_KEYS) &&
        required(out, data, [
          ['personId', text],
          ['departedAt', date],
        ])
        ? out
        : undefined;
    case 'invoice.booked':
      if (
        !onlyKeys(data, BOOKED_KEYS) ||
        !required(out, data, [
          ['invoiceId', text],
          ['amount', amount],
          ['currency', currency],
        ])
      )
        return undefined;
      if (
        !optional(out, data, 'fxRate', rate) ||
        !required(out, data, [
          ['bookedAt', date],
          ['recurring', bool],
        ])
      )
        return undefined;
      return moneyOk(out, ctx.currency) ? out : undefined;
    case 'invoice.credited':
      if (
        !onlyKeys(data, CREDITED_KEYS) ||
        !required(out, data, [
          ['invoiceId', text],
          ['creditId', text],
          ['amount', amount],
          ['currency', currency],
        ])
      )
        return undefined;
      if (!optional(out, data, 'fxRate', rate) || !required(out, data, [['creditedAt', date]])) return undefined;
      return moneyOk(out, ctx.currency) ? out : undefined;
    default:
      // partner.upserted (contacts' e-mail addresses) and unknown types: the schemas.
      return undefined;
  }
}

/**
 * The canonical event of a plainly valid event, exactly as the schemas would build it, or
 * undefined when the schemas must decide. Call it only on what structuralProblem accepts.
 */
export function fastEvent(raw: unknown, ctx: EventContext): CanonicalEvent | undefined {
  if (!isRecord(raw) || !onlyKeys(raw, ENVELOPE_KEYS)) return undefined;
  const { id, source, type, occurredAt, partnerId, data } = raw;
  if (
    text(id) === NO ||
    text(partnerId) === NO ||
    typeof type !== 'string' ||
    typeof occurredAt !== 'string' ||
    !isRecord(data)
  )
    return undefined;
  if (source !== 'crm' && source !== 'lms' && source !== 'erp') return undefined;
  if (!(TYPES_BY_SOURCE[source as Source] as readonly string[]).includes(type)) return undefined;
  if (parseInstant(occurredAt) === undefined) return undefined;
  const out = fastData(type, data, ctx);
  if (!out) return undefined;
  return { id, source, type, occurredAt, partnerId, data: out } as CanonicalEvent;
}
