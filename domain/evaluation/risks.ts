// Dated risks (docs/scorecard.md#risks): walk D+1 .. D+horizon with only what is known on D and D's
// program version, find the first day q falls below q(D), and name each kind of change that
// causes the fall. Calendar windows are held as they are on D: a month restarting is not a risk.
import { formatDay, type Day } from '../dates.ts';
import type { PartnerFacts } from '../facts/types.ts';
import { buildContributions, valueOn, type Contribution, type EndKind } from '../metrics/contributions.ts';
import type { Metric } from '../program/schema.ts';
import { formatValue, type CompiledTrack, type CompiledVersion } from './compiled.ts';
import { qualifiedIndex } from './qualify.ts';

export type RiskKind = 'certification-expiring' | 'window-roll-off';

/** A metric that falls because of a risk: its value on D, after the fall, and what leaves (from − to). */
export interface RiskMove {
  metric: string;
  from: string;
  to: string;
  leaving: string;
}

/** A dated risk (docs/scorecard.md#risks): structured fields for wording, and `detail` for people reading JSON. */
export interface Risk {
  kind: RiskKind;
  /** The first day q falls below q(D). */
  on: string;
  /** The qualified tier at stake (q(D)) and the one q falls to. */
  tier: string | null;
  fallsTo: string | null;
  /** The metrics this kind of change lowers, with the count or amount that leaves. */
  metrics: RiskMove[];
  /** certification-expiring: the certification ids the falling metrics count (their `where.certificationId`). */
  certifications: string[];
  detail: string;
}

const KIND_OF: Partial<Record<EndKind, RiskKind>> = { expiry: 'certification-expiring', rolloff: 'window-roll-off' };
const KINDS: RiskKind[] = ['certification-expiring', 'window-roll-off'];

interface MetricState {
  name: string;
  metric: Metric;
  contributions: Contribution[];
}

/** The certification ids a certifications metric counts (its `where.certificationId`); none = any. */
function certificationIds(metric: Metric): string[] {
  if (metric.from !== 'certifications') return [];
  const where = metric.where?.certificationId;
  if (where === undefined) return [];
  return (Array.isArray(where) ? where : [where]).filter((v): v is string => typeof v === 'string');
}

export function computeRisks(
  version: CompiledVersion,
  track: CompiledTrack,
  facts: PartnerFacts,
  day: Day,
  qToday: number,
  horizon: number,
): Risk[] {
  if (qToday === 0 || horizon <= 0) return [];
  const metrics: MetricState[] = [];
  const candidates = new Set<Day>();
  for (const name of track.metricNames) {
    const metric = version.program.metrics[name];
    if (!metric) continue;
    const contributions = buildContributions(metric, facts, { knownUpTo: day }).filter(
      (c) => c.start <= day && day < c.end,
    );
    metrics.push({ name, metric, contributions });
    for (const c of contributions) if (KIND_OF[c.endKind] && c.end <= day + horizon) candidates.add(c.end);
  }
  const valuesOn = (on: Day, applied: ReadonlySet<RiskKind>): Map<string, bigint> =>
    new Map(
      metrics.map(({ name, metric, contributions }) => {
        const counts = (c: Contribution): boolean => {
          const kind = KIND_OF[c.endKind];
          return !(kind !== undefined && applied.has(kind) && c.end <= on);
        };
        return [name, valueOn(metric, contributions, on, counts)];
      }),
    );
  const qOn = (on: Day, applied: ReadonlySet<RiskKind>): number =>
    qualifiedIndex(track.track, valuesOn(on, applied), version.units);
  const all = new Set(KINDS);
  const fall = [...candidates].sort((a, b) => a - b).find((on) => qOn(on, all) < qToday);
  if (fall === undefined) return [];
  const today = valuesOn(day, new Set());
  const tiers = track.track.tiers;
  return KINDS.filter((kind) => {
    const alone = qOn(fall, new Set([kind])) < qToday;
    const without = qOn(fall, new Set(KINDS.filter((k) => k !== kind))) >= qToday;
    return alone || without;
  }).map((kind) => {
    const after = valuesOn(fall, new Set([kind]));
    const falling = metrics.filter(({ name }) => after.get(name) !== today.get(name));
    const moves: RiskMove[] = falling.map(({ name }) => {
      const unit = version.units.get(name);
      const before = today.get(name) ?? 0n;
      const then = after.get(name) ?? 0n;
      return {
        metric: name,
        from: formatValue(before, unit),
        to: formatValue(then, unit),
        leaving: formatValue(before - then, unit),
      };
    });
    const certifications =
      kind === 'certification-expiring' ? [...new Set(falling.flatMap(({ metric }) => certificationIds(metric)))] : [];
    const cause = kind === 'certification-expiring' ? 'certifications expire' : 'facts leave the trailing window';
    const tier = tiers[qToday]?.id ?? null;
    const fallsTo = tiers[qOn(fall, all)]?.id ?? null;
    return {
      kind,
      on: formatDay(fall),
      tier,
      fallsTo,
      metrics: moves,
      certifications,
      detail:
        `${cause} by ${formatDay(fall)} (${moves.map((m) => `${m.metric} ${m.from} → ${m.to}`).join(', ')}); qualified ` +
        `tier falls from ${tier} to ${fallsTo}`,
    };
  });
}
