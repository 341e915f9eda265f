// A metric over time as a step function: the value changes only on the days a contribution
// starts or ends, so a multi-year timeline costs O(contributions · log) per metric rather
// than a rescan per day.
import type { Day } from '../dates.ts';
import type { Metric } from '../program/schema.ts';
import type { Contribution } from './contributions.ts';

export interface Series {
  /** Days on which the value changes, ascending. Before days[0] the value is 0. */
  days: Day[];
  values: bigint[];
}

interface Edge {
  day: Day;
  delta: bigint;
  key?: string | undefined;
}

export function buildSeries(metric: Metric, contributions: readonly Contribution[]): Series {
  const edges: Edge[] = [];
  for (const c of contributions) {
    if (c.end <= c.start) continue;
    edges.push({ day: c.start, delta: c.value, key: c.key });
    if (c.end !== Infinity) edges.push({ day: c.end, delta: -c.value, key: c.key });
  }
  edges.sort((a, b) => a.day - b.day);
  const distinct = metric.aggregate === 'countDistinct';
  const keyCounts = new Map<string, number>();
  const series: Series = { days: [], values: [] };
  let value = 0n;
  for (let i = 0; i < edges.length;) {
    const day = edges[i]?.day ?? 0;
    for (; i < edges.length && edges[i]?.day === day; i++) {
      const edge = edges[i];
      if (!edge) continue;
      if (distinct) {
        const key = edge.key ?? '';
        const count = (keyCounts.get(key) ?? 0) + (edge.delta > 0n ? 1 : -1);
        if (count === 0) keyCounts.delete(key);
        else keyCounts.set(key, count);
      } else value += edge.delta;
    }
    const next = distinct ? BigInt(keyCounts.size) : value;
    const last = series.values[series.values.length - 1] ?? 0n;
    if (next !== last || series.days.length === 0) {
      series.days.push(day);
      series.values.push(next);
    }
  }
  return series;
}

/** Reads a series at increasing days in amortised O(1). */
export class SeriesCursor {
  private index = -1;

  constructor(readonly series: Series) {}

  at(day: Day): bigint {
    const { days, values } = this.series;
    if (this.index >= 0 && (days[this.index] ?? Infinity) > day) this.index = -1;
    while (this.index + 1 < days.length && (days[this.index + 1] ?? Infinity) <= day) this.index++;
    return this.index < 0 ? 0n : (values[this.index] ?? 0n);
  }
}

export function seriesValueOn(series: Series, day: Day): bigint {
  let lo = 0;
  let hi = series.days.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((series.days[mid] ?? Infinity) <= day) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? 0n : (series.values[found] ?? 0n);
}
