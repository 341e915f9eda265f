// Rules a program must satisfy that the schema alone cannot express (issue #2 §2).
import { decimalToRatio } from '../money.ts';
import type { Criterion, Metric, Program } from './schema.ts';
import { formatPath } from './issues.ts';

type Path = Array<string | number>;

const FIELDS: Record<Metric['from'], readonly string[]> = {
  deals: ['dealId', 'stage', 'amount', 'currency', 'customerId', 'registeredAt', 'closedAt'],
  registrations: ['dealId', 'stage', 'amount', 'currency', 'customerId', 'registeredAt', 'closedAt'],
  invoices: ['invoiceId', 'amount', 'currency', 'recurring'],
  certifications: ['personId', 'certificationId'],
};

function checkMetric(name: string, metric: Metric, problems: string[]): void {
  const at = (...rest: Path): string => formatPath(['metrics', name, ...rest]);
  const fields = FIELDS[metric.from];
  if (metric.aggregate === 'sum') {
    if (metric.field !== 'amount') problems.push(`${at('field')}: sum needs field "amount"`);
    if (metric.from === 'certifications') problems.push(`${at('aggregate')}: certifications cannot be summed`);
  }
  if (metric.aggregate === 'countDistinct' && metric.field === undefined)
    problems.push(`${at('field')}: countDistinct needs a field`);
  if (metric.field !== undefined && !fields.includes(metric.field)) {
    problems.push(`${at('field')}: unknown field "${metric.field}" for ${metric.from} (known: ${fields.join(', ')})`);
  }
  for (const key of Object.keys(metric.where ?? {})) {
    if (!fields.includes(key)) problems.push(`${at('where', key)}: unknown field "${key}" for ${metric.from}`);
  }
  if (metric.window === 'active' && metric.from !== 'certifications') {
    problems.push(`${at('window')}: "active" applies to certifications only`);
  }
}

/** What an unknown metric's message offers instead: the metrics the program defines, sorted. */
function definedMetrics(metrics: Record<string, Metric>): string {
  const names = Object.keys(metrics).sort();
  const defined = names.length > 0 ? `defined: ${names.join(', ')}` : 'no metrics are defined';
  return `${defined}; see docs/program.md#metrics`;
}

function checkCriterion(criterion: Criterion, path: Path, metrics: Record<string, Metric>, problems: string[]): void {
  const unknown = (metric: string, at: Path): void => {
    if (!(metric in metrics))
      problems.push(`${formatPath(at)}: unknown metric "${metric}" (${definedMetrics(metrics)})`);
  };
  if ('allOf' in criterion)
    criterion.allOf.forEach((c, i) => checkCriterion(c, [...path, 'allOf', i], metrics, problems));
  else if ('anyOf' in criterion)
    criterion.anyOf.forEach((c, i) => checkCriterion(c, [...path, 'anyOf', i], metrics, problems));
  else if ('score' in criterion) {
    criterion.score.parts.forEach((part, i) => {
      const at: Path = [...path, 'score', 'parts', i];
      unknown(part.metric, [...at, 'metric']);
      if (decimalToRatio(part.target).num === 0n)
        problems.push(`${formatPath([...at, 'target'])}: target must be greater than 0`);
    });
  } else unknown(criterion.metric, [...path, 'metric']);
}

function checkRate(rate: string | undefined, path: Path, problems: string[]): void {
  if (typeof rate !== 'string') return;
  const { num, den } = decimalToRatio(rate);
  if (num < 0n || num > den) problems.push(`${formatPath(path)}: rate ${rate} is outside 0..1`);
}

/**
 * Also run on documents the schema refused, so one pass lists every problem: a check that
 * meets a malformed part stops there, keeping what it found before.
 */
export function crossCheckDocument(doc: unknown): string[] {
  const problems: string[] = [];
  try {
    crossCheckInto(doc as Program, problems);
  } catch {
    // the schema's own messages already describe the malformed part
  }
  return problems;
}

export function crossCheckProgram(program: Program): string[] {
  const problems: string[] = [];
  crossCheckInto(program, problems);
  return problems;
}

/** Runs one check; a malformed part it meets is the schema's to report, not a reason to stop. */
function tolerant(check: () => void): void {
  try {
    check();
  } catch {
    // reported by the schema
  }
}

function crossCheckInto(program: Program, problems: string[]): void {
  for (const [name, metric] of Object.entries(program.metrics ?? {}))
    tolerant(() => checkMetric(name, metric, problems));
  const typeOwner = new Map<string, number>();
  const trackIds = new Set<string>();
  const tracks: Program['tracks'] = Array.isArray(program.tracks) ? program.tracks : [];
  tracks.forEach((track, t) =>
    tolerant(() => {
      if (trackIds.has(track.id)) problems.push(`${formatPath(['tracks', t, 'id'])}: duplicate track id "${track.id}"`);
      trackIds.add(track.id);
      for (const [p, type] of (Array.isArray(track.partnerTypes) ? track.partnerTypes : []).entries()) {
        const owner = typeOwner.get(type);
        if (owner !== undefined)
          problems.push(
            `${formatPath(['tracks', t, 'partnerTypes', p])}: partner type "${type}" is already in tracks[${owner}]`,
          );
        else typeOwner.set(type, t);
      }
      const tierIds = new Set<string>();
      (Array.isArray(track.tiers) ? track.tiers : []).forEach((tier, i) =>
        tolerant(() => {
          const at: Path = ['tracks', t, 'tiers', i];
          if (tierIds.has(tier.id)) problems.push(`${formatPath([...at, 'id'])}: duplicate tier id "${tier.id}"`);
          tierIds.add(tier.id);
          if (i === 0 && tier.criteria !== null)
            problems.push(`${formatPath([...at, 'criteria'])}: the first (entry) tier must have criteria null`);
          if (i > 0 && tier.criteria === null)
            problems.push(`${formatPath([...at, 'criteria'])}: only the first tier may have criteria null`);
          if (tier.criteria) checkCriterion(tier.criteria, [...at, 'criteria'], program.metrics, problems);
          for (const [key, rate] of Object.entries(tier.benefits ?? {}))
            checkRate(rate, [...at, 'benefits', key], problems);
        }),
      );
    }),
  );
  if (program.alerts) checkRate(program.alerts.nearPromotionWithin, ['alerts', 'nearPromotionWithin'], problems);
}
