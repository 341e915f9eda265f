// Why a partner stood where it did on a day: the metric values and, for every tier of its
// track, whether the tier's criteria held and what was unmet. Stored with each decision.
import type { Day } from '../dates.ts';
import type { PartnerFacts } from '../facts/types.ts';
import { seriesValueOn } from '../metrics/series.ts';
import { versionIndexOn, type ProgramSet } from '../program/load.ts';
import { compileProgramSet, formatValue } from './compiled.ts';
import { holds, unmet } from './criteria.ts';
import { buildSegment } from './timeline.ts';

export interface DayExplanation {
  programVersion: string;
  track: string | null;
  metrics: Record<string, string>;
  tiers: Array<{
    tier: string;
    holds: boolean;
    unmet: Array<{ path: string; metric: string; actual: string; required: string; shortBy: string }>;
  }>;
}

export function explainDay(set: ProgramSet, facts: PartnerFacts, day: Day): DayExplanation {
  const version = compileProgramSet(set)[versionIndexOn(set, day)];
  if (!version) throw new Error('program set without versions');
  const segment = buildSegment(version, facts);
  const values = new Map([...segment.series].map(([name, s]) => [name, seriesValueOn(s, day)]));
  const metrics: Record<string, string> = {};
  for (const [name, value] of values) metrics[name] = formatValue(value, version.units.get(name));
  const tiers = (segment.track?.track.tiers ?? []).map((tier) => ({
    tier: tier.id,
    holds: tier.criteria === null || holds(tier.criteria, values, version.units),
    unmet:
      tier.criteria === null
        ? []
        : unmet(tier.criteria, values, version.units).map(({ path, metric, actual, required, shortBy }) => ({
            path,
            metric,
            actual,
            required,
            shortBy,
          })),
  }));
  return { programVersion: version.program.version, track: segment.track?.track.id ?? null, metrics, tiers };
}
