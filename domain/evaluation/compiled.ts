// What evaluation needs from a program version, computed once per version: the track of each
// partner type, the metrics each track reads and each metric's unit.
import { formatMinor } from '../money.ts';
import type { ProgramSet } from '../program/load.ts';
import type { Metric, Program, Track } from '../program/schema.ts';
import { referencedMetrics, type MetricUnit } from './criteria.ts';

export interface CompiledTrack {
  track: Track;
  /** The metrics this track's criteria read, in the program's order. */
  metricNames: string[];
}

export interface CompiledVersion {
  index: number;
  program: Program;
  effectiveFrom: number;
  units: Map<string, MetricUnit>;
  tracks: Map<string, CompiledTrack>;
}

export function isMoneyMetric(metric: Metric): boolean {
  return metric.aggregate === 'sum';
}

const cache = new WeakMap<ProgramSet, CompiledVersion[]>();

export function compileProgramSet(set: ProgramSet): CompiledVersion[] {
  const cached = cache.get(set);
  if (cached) return cached;
  const compiled = set.versions.map(({ program, effectiveFrom }, index) => {
    const units = new Map<string, MetricUnit>();
    for (const [name, metric] of Object.entries(program.metrics)) {
      const money = isMoneyMetric(metric);
      units.set(name, { money, digits: money ? set.digits : 0, scale: money ? 10n ** BigInt(set.digits) : 1n });
    }
    const tracks = new Map<string, CompiledTrack>();
    for (const track of program.tracks) {
      const used = new Set<string>();
      for (const tier of track.tiers) referencedMetrics(tier.criteria, used);
      const metricNames = Object.keys(program.metrics).filter((name) => used.has(name));
      for (const type of track.partnerTypes) tracks.set(type, { track, metricNames });
    }
    return { index, program, effectiveFrom, units, tracks };
  });
  cache.set(set, compiled);
  return compiled;
}

/** A metric value as printed: money in the currency's minor unit, counts as integers. */
export function formatValue(value: bigint, unit: MetricUnit | undefined): string {
  return unit?.money ? formatMinor(value, unit.digits) : value.toString();
}
