// Every metric is a sum over "contributions": a value (or a distinct key) that counts on the
// days [start, end). Windows only decide `end`; the way a contribution stops counting
// (`endKind`) is what the risk walk attributes a fall to.
import { nextPeriodStart, type Day } from '../dates.ts';
import { parsePeriod, firstDayOutside } from '../period.ts';
import type { Metric } from '../program/schema.ts';
import type { PartnerFacts } from '../facts/types.ts';

export type EndKind = 'expiry' | 'rolloff' | 'calendar' | 'revoked' | 'departed' | 'never';

export interface Contribution {
  start: Day;
  end: Day;
  endKind: EndKind;
  value: bigint;
  key?: string | undefined;
}

type FieldValue = string | boolean | undefined;

interface Item {
  day: Day;
  value: bigint;
  fields: Record<string, FieldValue>;
  /** Credits subtract from sums but are not invoices to count. */
  countable: boolean;
}

export interface BuildOptions {
  /** Only facts dated ≤ this day exist (the risk walk); revocations and departures after it are ignored. */
  knownUpTo?: Day | undefined;
}

function matches(where: Metric['where'], fields: Record<string, FieldValue>): boolean {
  if (!where) return true;
  for (const [key, wanted] of Object.entries(where)) {
    const actual = fields[key];
    if (actual === undefined) return false;
    if (Array.isArray(wanted) ? !wanted.includes(actual) : wanted !== actual) return false;
  }
  return true;
}

function dealItems(facts: PartnerFacts, by: 'closedAt' | 'registeredAt'): Item[] {
  const items: Item[] = [];
  for (const deal of facts.deals.values()) {
    const day = deal[by];
    if (day === undefined || (by === 'closedAt' && deal.stage !== 'closed_won')) continue;
    items.push({
      day,
      value: deal.amountMinor,
      countable: true,
      fields: {
        dealId: deal.dealId,
        stage: deal.stage,
        amount: deal.amount,
        currency: deal.currency,
        customerId: deal.customerId,
      },
    });
  }
  return items;
}

function invoiceItems(facts: PartnerFacts): Item[] {
  const items: Item[] = [];
  for (const inv of facts.invoices.values()) {
    items.push({
      day: inv.bookedAt,
      value: inv.amountMinor,
      countable: true,
      fields: { invoiceId: inv.invoiceId, currency: inv.currency, recurring: inv.recurring },
    });
  }
  for (const credit of facts.credits.values()) {
    const recurring = facts.invoices.get(credit.invoiceId)?.recurring;
    items.push({
      day: credit.creditedAt,
      value: -credit.amountMinor,
      countable: false,
      fields: { invoiceId: credit.invoiceId, currency: credit.currency, recurring },
    });
  }
  return items;
}

function certificationItems(facts: PartnerFacts): Item[] {
  return facts.certifications.map((c) => ({
    day: c.earnedAt,
    value: 1n,
    countable: true,
    fields: { personId: c.personId, certificationId: c.certificationId },
  }));
}

/** Contributions of certifications active on a day (docs/events.md#certificationearned). */
function activeCertifications(metric: Metric, facts: PartnerFacts, knownUpTo: Day): Contribution[] {
  const departed = new Map<string, Day>();
  for (const d of facts.departures) {
    if (d.departedAt > knownUpTo) continue;
    departed.set(d.personId, Math.min(departed.get(d.personId) ?? Infinity, d.departedAt));
  }
  const out: Contribution[] = [];
  for (const cert of facts.certifications) {
    const fields = { personId: cert.personId, certificationId: cert.certificationId };
    if (!matches(metric.where, fields)) continue;
    let end = Infinity;
    let endKind: EndKind = 'never';
    const stop = (day: Day | undefined, kind: EndKind): void => {
      if (day !== undefined && day < end) {
        end = day;
        endKind = kind;
      }
    };
    stop(cert.expiresAt, 'expiry');
    for (const r of facts.revocations) {
      if (
        r.personId === cert.personId &&
        r.certificationId === cert.certificationId &&
        r.revokedAt >= cert.earnedAt &&
        r.revokedAt <= knownUpTo
      ) {
        stop(r.revokedAt, 'revoked');
      }
    }
    stop(departed.get(cert.personId), 'departed');
    if (end <= cert.earnedAt) continue;
    out.push({
      start: cert.earnedAt,
      end,
      endKind,
      value: 1n,
      key: metric.aggregate === 'countDistinct' ? String(fields[metric.field as keyof typeof fields]) : undefined,
    });
  }
  return out;
}

export function buildContributions(metric: Metric, facts: PartnerFacts, options: BuildOptions = {}): Contribution[] {
  const knownUpTo = options.knownUpTo ?? Infinity;
  if (metric.window === 'active') return activeCertifications(metric, facts, knownUpTo);
  const items =
    metric.from === 'deals'
      ? dealItems(facts, 'closedAt')
      : metric.from === 'registrations'
        ? dealItems(facts, 'registeredAt')
        : metric.from === 'invoices'
          ? invoiceItems(facts)
          : certificationItems(facts);
  const window = metric.window;
  const period = window !== undefined && 'trailing' in window ? parsePeriod(window.trailing) : undefined;
  const out: Contribution[] = [];
  for (const item of items) {
    if (!matches(metric.where, item.fields)) continue;
    let key: string | undefined;
    if (metric.aggregate !== 'sum') {
      if (!item.countable) continue;
      if (metric.aggregate === 'countDistinct') {
        const v = item.fields[metric.field ?? ''];
        if (v === undefined) continue;
        key = String(v);
      }
    }
    let end = Infinity;
    let endKind: EndKind = 'never';
    if (period) {
      end = firstDayOutside(item.day, period);
      endKind = 'rolloff';
    } else if (typeof window === 'object' && 'calendar' in window) {
      end = nextPeriodStart(item.day, window.calendar);
      endKind = 'calendar';
    }
    out.push({ start: item.day, end, endKind, value: metric.aggregate === 'sum' ? item.value : 1n, key });
  }
  return out;
}

/** The metric's value on `day` from scratch (used by the risk walk and as a test oracle). */
export function valueOn(
  metric: Metric,
  contributions: readonly Contribution[],
  day: Day,
  counts: (c: Contribution) => boolean = (c) => c.start <= day && day < c.end,
): bigint {
  if (metric.aggregate === 'countDistinct') {
    const keys = new Set<string>();
    for (const c of contributions) if (counts(c) && c.key !== undefined) keys.add(c.key);
    return BigInt(keys.size);
  }
  let total = 0n;
  for (const c of contributions) if (counts(c)) total += c.value;
  return total;
}
