// Metrics and unmet criteria in words, from the program's own metric definitions:
// revenue12m (deals, sum, trailing P12M) is "trailing-12-month revenue", techCertified
// (certifications, countDistinct personId, certificationId tech-expert) counts "people with
// tech-expert". A metric's `label` (its display name) wins, then its `description`; one the
// rules cannot name keeps its id. Certification ids read as their `certifications` labels.
import type { UnmetEntry } from '../domain/evaluation/scorecard.ts';
import { parsePeriod } from '../domain/period.ts';
import type { Criterion, Metric, Program } from '../domain/program/schema.ts';
import { capitalise, formatCount, formatMoney, isOne } from './format.ts';

export interface MetricWords {
  money: boolean;
  /** Money: the noun phrase ("trailing-12-month revenue"). */
  label: string;
  /** Counts: the counted thing, singular and plural ("person with tech-expert", "people with tech-expert"). */
  one: string;
  many: string;
  /** Counts: where the window goes, after the noun (" in the last 12 months"). */
  suffix: string;
}

function periodWords(text: string): { adjective: string; span: string } {
  const period = parsePeriod(text);
  const simple = /^P(\d+)([YMWD])$/.exec(text);
  if (period && simple) {
    const n = Number(simple[1]);
    const unit = { Y: 'year', M: 'month', W: 'week', D: 'day' }[simple[2] as 'Y' | 'M' | 'W' | 'D'];
    return { adjective: `trailing-${n}-${unit}`, span: n === 1 ? `the last ${unit}` : `the last ${n} ${unit}s` };
  }
  return { adjective: `trailing (${text})`, span: `the trailing period ${text}` };
}

function windowWords(metric: Metric): { prefix: string; suffix: string } {
  const w = metric.window;
  if (w === undefined || w === 'active') return { prefix: '', suffix: '' };
  if ('trailing' in w) {
    const words = periodWords(w.trailing);
    return { prefix: `${words.adjective} `, suffix: ` in ${words.span}` };
  }
  return { prefix: '', suffix: ` this ${w.calendar}` };
}

function whereList(metric: Metric, field: string): string[] {
  const value = metric.where?.[field];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** How a metric reads in an email; `certifications` gives display names to certification ids. */
export function metricWords(
  name: string,
  metric: Metric | undefined,
  certifications: Program['certifications'] = {},
): MetricWords {
  const fallback: MetricWords = { money: metric?.aggregate === 'sum', label: name, one: name, many: name, suffix: '' };
  if (!metric) return fallback;
  const { prefix, suffix } = windowWords(metric);
  const given = metric.label?.trim() || metric.description?.trim();
  if (given) return { money: metric.aggregate === 'sum', label: given, one: given, many: given, suffix: '' };
  if (metric.aggregate === 'sum') {
    const recurring = metric.where?.recurring === true;
    const noun = metric.from === 'invoices' ? (recurring ? 'recurring revenue' : 'invoiced revenue') : 'revenue';
    // Money reads best with the window up front when it is trailing ("trailing-12-month
    // revenue") and after it when it is a calendar period ("recurring revenue this month").
    return { ...fallback, money: true, label: prefix ? `${prefix}${noun}` : `${noun}${suffix}` };
  }
  const counted = ((): { one: string; many: string } | undefined => {
    if (metric.from === 'certifications') {
      const certs = whereList(metric, 'certificationId').map((id) => certifications?.[id]?.label ?? id);
      const what = certs.length > 0 ? certs.join(' or ') : 'a certification';
      if (metric.aggregate === 'countDistinct' && metric.field === 'personId')
        return { one: `person with ${what}`, many: `people with ${what}` };
      return certs.length > 0
        ? { one: `${what} certification`, many: `${what} certifications` }
        : { one: 'certification', many: 'certifications' };
    }
    if (metric.from === 'registrations') return { one: 'deal registration', many: 'deal registrations' };
    if (metric.from === 'deals') {
      if (metric.aggregate === 'countDistinct' && metric.field === 'customerId')
        return { one: 'customer', many: 'customers' };
      if (metric.aggregate === 'count') return { one: 'closed deal', many: 'closed deals' };
    }
    if (metric.from === 'invoices' && metric.aggregate === 'count') return { one: 'invoice', many: 'invoices' };
    return undefined;
  })();
  if (!counted) return fallback;
  return { money: false, label: counted.many, ...counted, suffix: metric.window === 'active' ? '' : suffix };
}

/** "Trailing-12-month revenue", "People with tech-expert": a row label. */
export function metricLabel(words: MetricWords): string {
  return capitalise(words.money ? words.label : `${words.many}${words.suffix}`);
}

/** A metric value in words: money with the currency, counts as numbers. */
export function metricValue(words: MetricWords, value: string, currency: string): string {
  return words.money ? formatMoney(value, currency) : formatCount(value);
}

export type CriterionKind = 'atLeast' | 'atMost' | 'score';

/** The kind of leaf a scorecard `next.unmet` path points at (docs/scorecard.md#next). */
export function criterionKindAt(criteria: Criterion | null | undefined, path: string): CriterionKind | undefined {
  let node: Criterion | undefined = criteria ?? undefined;
  if (!node) return undefined;
  if (path !== '') {
    for (const step of path.split('.')) {
      const match = /^(allOf|anyOf|parts)\[(\d+)\]$/.exec(step);
      if (step === 'score') {
        if (!('score' in node)) return undefined;
        continue;
      }
      if (!match) return undefined;
      const index = Number(match[2]);
      if (match[1] === 'parts') return 'score' in node && node.score.parts[index] ? 'score' : undefined;
      const list: Criterion[] | undefined =
        match[1] === 'allOf' ? ('allOf' in node ? node.allOf : undefined) : 'anyOf' in node ? node.anyOf : undefined;
      node = list?.[index];
      if (!node) return undefined;
    }
  }
  if ('atLeast' in node && 'metric' in node) return 'atLeast';
  if ('atMost' in node) return 'atMost';
  return undefined;
}

/**
 * One unmet criterion as a phrase: "$88,000 more trailing-12-month revenue", "1 more person
 * with tech-expert", "mrr to come down by $500" (an atMost limit).
 */
export function needPhrase(entry: UnmetEntry, program: Program, kind: CriterionKind | undefined): string {
  const words = metricWords(entry.metric, program.metrics[entry.metric], program.certifications);
  const amount = words.money ? formatMoney(entry.shortBy, program.currency) : formatCount(entry.shortBy);
  if (kind === 'atMost')
    return `${words.money ? words.label : `${words.many}${words.suffix}`} to come down by ${amount}`;
  if (words.money) return `${amount} more ${words.label}`;
  return `${amount} more ${isOne(entry.shortBy) ? words.one : words.many}${words.suffix}`;
}
