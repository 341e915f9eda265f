// Criteria on a day's metric values: whether they hold, and what is still unmet (docs/scorecard.md
// `next`, §3a rules 7–8). All arithmetic is on exact rationals of bigints.
import { decimalToRatio, formatRatio, type Ratio } from '../money.ts';
import type { Criterion, LeafAtLeast, LeafAtMost, ScoreCriterion } from '../program/schema.ts';

/** A metric's value in its own unit: money in minor units (scale 10^digits), counts (scale 1). */
export interface MetricUnit {
  scale: bigint;
  /** Decimals shown: the currency's minor unit for money, 0 for counts. */
  digits: number;
  money: boolean;
}

export type Values = ReadonlyMap<string, bigint>;
export type Units = ReadonlyMap<string, MetricUnit>;

export interface UnmetLeaf {
  path: string;
  metric: string;
  actual: string;
  required: string;
  shortBy: string;
  /** shortBy / required, or shortBy itself when required is 0: the cost of this leaf. */
  cost: Ratio;
}

const ratioCache = new Map<string, Ratio>();
export function ratio(text: string): Ratio {
  let r = ratioCache.get(text);
  if (!r) {
    r = decimalToRatio(text);
    ratioCache.set(text, r);
  }
  return r;
}

const add = (a: Ratio, b: Ratio): Ratio => ({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
const sub = (a: Ratio, b: Ratio): Ratio => ({ num: a.num * b.den - b.num * a.den, den: a.den * b.den });
export const compare = (a: Ratio, b: Ratio): number => {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
};

function actualOf(metric: string, values: Values, units: Units): Ratio {
  return { num: values.get(metric) ?? 0n, den: units.get(metric)?.scale ?? 1n };
}

function isLeaf(c: Criterion): c is LeafAtLeast | LeafAtMost {
  return 'metric' in c;
}

/** Points a score part earns: points × clamp(actual / target, 0, 1). */
function partPoints(part: ScoreCriterion['score']['parts'][number], values: Values, units: Units): Ratio {
  const actual = actualOf(part.metric, values, units);
  const target = ratio(part.target);
  const points = ratio(part.points);
  if (actual.num <= 0n) return { num: 0n, den: 1n };
  if (compare(actual, target) >= 0) return points;
  return { num: points.num * actual.num * target.den, den: points.den * actual.den * target.num };
}

export function holds(c: Criterion, values: Values, units: Units): boolean {
  if (isLeaf(c)) {
    const actual = actualOf(c.metric, values, units);
    return 'atLeast' in c ? compare(actual, ratio(c.atLeast)) >= 0 : compare(actual, ratio(c.atMost)) <= 0;
  }
  if ('allOf' in c) return c.allOf.every((child) => holds(child, values, units));
  if ('anyOf' in c) return c.anyOf.some((child) => holds(child, values, units));
  let total: Ratio = { num: 0n, den: 1n };
  for (const part of c.score.parts) {
    const earned = partPoints(part, values, units);
    if (c.score.eachAboveZero && earned.num === 0n) return false;
    total = add(total, earned);
  }
  return compare(total, ratio(c.score.atLeast)) >= 0;
}

/** Money in the currency's minor unit; counts exactly, with as many decimals as the requirement. */
function formatShortBy(value: Ratio, unit: MetricUnit | undefined, required: string): string {
  if (unit?.money) return formatRatio(value, unit.digits);
  return formatRatio(value, required.split('.')[1]?.length ?? 0);
}

function unmetLeaf(
  path: string,
  metric: string,
  required: string,
  short: Ratio,
  values: Values,
  units: Units,
): UnmetLeaf {
  const unit = units.get(metric);
  const req = ratio(required);
  const cost = req.num === 0n ? short : { num: short.num * req.den, den: short.den * req.num };
  return {
    path,
    metric,
    actual: formatRatio(actualOf(metric, values, units), unit?.digits ?? 0),
    required,
    shortBy: formatShortBy(short, unit, required),
    cost,
  };
}

const join = (path: string, part: string): string => (path === '' ? part : `${path}.${part}`);

export function costOf(leaves: readonly UnmetLeaf[]): Ratio {
  return leaves.reduce<Ratio>((sum, leaf) => add(sum, leaf.cost), { num: 0n, den: 1n });
}

/** The unmet leaves of a criterion that does not hold (empty when it holds). */
export function unmet(c: Criterion, values: Values, units: Units, path = ''): UnmetLeaf[] {
  if (isLeaf(c)) {
    if (holds(c, values, units)) return [];
    const actual = actualOf(c.metric, values, units);
    return 'atLeast' in c
      ? [unmetLeaf(path, c.metric, c.atLeast, sub(ratio(c.atLeast), actual), values, units)]
      : [unmetLeaf(path, c.metric, c.atMost, sub(actual, ratio(c.atMost)), values, units)];
  }
  if ('allOf' in c) return c.allOf.flatMap((child, i) => unmet(child, values, units, join(path, `allOf[${i}]`)));
  if ('anyOf' in c) {
    if (holds(c, values, units)) return [];
    let best: UnmetLeaf[] | undefined;
    let bestCost: Ratio | undefined;
    c.anyOf.forEach((child, i) => {
      const leaves = unmet(child, values, units, join(path, `anyOf[${i}]`));
      const cost = costOf(leaves);
      const order = bestCost === undefined ? -1 : compare(cost, bestCost);
      if (best === undefined || order < 0 || (order === 0 && leaves.length < best.length)) {
        best = leaves;
        bestCost = cost;
      }
    });
    return best ?? [];
  }
  if (holds(c, values, units)) return [];
  const leaves: UnmetLeaf[] = [];
  c.score.parts.forEach((part, i) => {
    const earned = partPoints(part, values, units);
    if (compare(earned, ratio(part.points)) >= 0) return;
    const short = sub(ratio(part.target), actualOf(part.metric, values, units));
    leaves.push(unmetLeaf(join(path, `score.parts[${i}]`), part.metric, part.target, short, values, units));
  });
  return leaves;
}

/** Metric names a criterion reads, in first-use order. */
export function referencedMetrics(c: Criterion | null, into: Set<string> = new Set()): Set<string> {
  if (c === null) return into;
  if (isLeaf(c)) into.add(c.metric);
  else if ('allOf' in c) c.allOf.forEach((child) => referencedMetrics(child, into));
  else if ('anyOf' in c) c.anyOf.forEach((child) => referencedMetrics(child, into));
  else c.score.parts.forEach((p) => into.add(p.metric));
  return into;
}
