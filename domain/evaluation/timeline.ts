// The day-by-day walk of a partner's effective tier from its first fact to the as-of day.
// The qualified tier is recomputed only on days some metric changes (or the version does);
// the policy step in between is integer arithmetic.
import type { Day } from '../dates.ts';
import type { PartnerFacts } from '../facts/types.ts';
import { buildContributions } from '../metrics/contributions.ts';
import { buildSeries, SeriesCursor, type Series } from '../metrics/series.ts';
import type { CompiledTrack, CompiledVersion } from './compiled.ts';
import type { ReviewDecision } from '../reviews.ts';
import {
  clearPending,
  graceEndsOn,
  initialPolicyState,
  policyStatus,
  stepPolicy,
  type DayDecision,
  type PolicyState,
  type PolicyStatus,
} from './policy.ts';
import { qualifiedIndex } from './qualify.ts';

export interface OverrideRule {
  tier: string;
  from: Day;
  until: Day;
  reason?: string | undefined;
  by?: string | undefined;
}

export interface TierChange {
  day: Day;
  from: string | null;
  to: string | null;
  qualified: string | null;
  kind: 'promoted' | 'demoted' | 'override' | 'restarted' | 'track';
  versionIndex: number;
}

export interface Segment {
  version: CompiledVersion;
  track: CompiledTrack | undefined;
  series: Map<string, Series>;
  changeDays: Day[];
}

export interface DayState {
  versionIndex: number;
  /** Tier index in that version's track, or -1 when the partner has no track that day. */
  tier: number;
}

/** Where a walk stands at the end of a day: enough to resume it on the next day (checkpoint.ts). */
export interface WalkPoint {
  day: Day;
  versionIndex: number;
  /** False on days the partner had no track (and before its first one). */
  hasTier: boolean;
  state: PolicyState;
}

export interface WalkOptions {
  reviews?: readonly ReviewDecision[];
  /** Resume after this point instead of starting fresh on `start`; days before it are not walked. */
  resume?: WalkPoint | undefined;
  /** Days whose end-of-day point is returned in `points`. */
  pointOn?: ((day: Day) => boolean) | undefined;
}

export interface TimelineResult {
  start: Day;
  /** First day of `days` (`start`, or the day after the resumed point). */
  first: Day;
  asOf: Day;
  points: WalkPoint[];
  segment: Segment;
  state: PolicyState;
  q: number | null;
  status: PolicyStatus | 'none';
  graceEndsOn: Day | null;
  changes: TierChange[];
  /** Tier and status per day from `first` to `asOf` (index = day − first). */
  days: { version: Uint16Array; tier: Int16Array; status: Uint8Array };
}

/** Codes of `days.status`. */
export const STATUS_CODES = ['none', 'qualified', 'grace', 'hold', 'override', 'review'] as const;
const statusCode = (status: (typeof STATUS_CODES)[number]): number => STATUS_CODES.indexOf(status);

export function buildSegment(version: CompiledVersion, facts: PartnerFacts): Segment {
  const partnerType = facts.profile?.partnerType;
  const track = partnerType === undefined ? undefined : version.tracks.get(partnerType);
  const series = new Map<string, Series>();
  const days = new Set<Day>();
  for (const name of track?.metricNames ?? []) {
    const metric = version.program.metrics[name];
    if (!metric) continue;
    const s = buildSeries(metric, buildContributions(metric, facts));
    series.set(name, s);
    for (const d of s.days) days.add(d);
  }
  return { version, track, series, changeDays: [...days].sort((a, b) => a - b) };
}

class SegmentReader {
  private readonly cursors: Map<string, SeriesCursor>;
  private readonly values = new Map<string, bigint>();
  private next = 0;

  constructor(readonly segment: Segment) {
    this.cursors = new Map([...segment.series].map(([name, s]) => [name, new SeriesCursor(s)]));
  }

  /** True when some metric may differ on `day` from the day before. */
  changesOn(day: Day): boolean {
    const days = this.segment.changeDays;
    let changed = false;
    while (this.next < days.length && (days[this.next] ?? Infinity) <= day) {
      this.next++;
      changed = true;
    }
    return changed;
  }

  qualified(day: Day): number | null {
    const track = this.segment.track;
    if (!track) return null;
    for (const [name, cursor] of this.cursors) this.values.set(name, cursor.at(day));
    return qualifiedIndex(track.track, this.values, this.segment.version.units);
  }
}

function overrideOn(overrides: readonly OverrideRule[], day: Day, segment: Segment): number | undefined {
  let tier: number | undefined;
  for (const o of overrides) {
    if (day < o.from || day > o.until) continue;
    const index = segment.track?.track.tiers.findIndex((t) => t.id === o.tier) ?? -1;
    // Later lines win; a tier the day's track lacks has no effect that day (rule 19).
    if (index >= 0) tier = index;
  }
  return tier;
}

/** The partner's review decisions by day, in file order within a day. */
function decisionsByDay(reviews: readonly ReviewDecision[]): Map<Day, ReviewDecision[]> {
  const byDay = new Map<Day, ReviewDecision[]>();
  for (const r of reviews) {
    const list = byDay.get(r.on);
    if (list) list.push(r);
    else byDay.set(r.on, [r]);
  }
  return byDay;
}

/** The day's decisions with `fromTier` as an index into the day's track (unknown tiers never match). */
function dayDecisions(list: readonly ReviewDecision[] | undefined, segment: Segment): DayDecision[] | undefined {
  if (list === undefined) return undefined;
  const tiers = segment.track?.track.tiers ?? [];
  return list.map((r) => ({ fromTier: tiers.findIndex((t) => t.id === r.fromTier), decision: r.decision }));
}

const tierId = (segment: Segment, index: number | null): string | null =>
  index === null || index < 0 ? null : (segment.track?.track.tiers[index]?.id ?? null);

export function walkTimeline(
  versions: readonly CompiledVersion[],
  facts: PartnerFacts,
  start: Day,
  asOf: Day,
  overrides: readonly OverrideRule[],
  versionIndexOn: (day: Day) => number,
  options: WalkOptions = {},
): TimelineResult {
  const { resume, pointOn } = options;
  const decisions = decisionsByDay(options.reviews ?? []);
  const first = resume ? resume.day + 1 : start;
  const length = asOf - first + 1;
  const days = { version: new Uint16Array(length), tier: new Int16Array(length), status: new Uint8Array(length) };
  const changes: TierChange[] = [];
  const points: WalkPoint[] = [];
  const state = resume ? { ...resume.state } : initialPolicyState();
  let vi = resume ? resume.versionIndex : versionIndexOn(start);
  let segment = buildSegment(versions[vi] as CompiledVersion, facts);
  let reader = new SegmentReader(segment);
  let hasTier = resume?.hasTier ?? false;
  let q: number | null = null;
  let overridden = false;
  const mark = (day: Day): void => {
    if (pointOn?.(day)) points.push({ day, versionIndex: vi, hasTier, state: { ...state } });
  };

  for (let day = first; day <= asOf; day++) {
    let fresh = day === first;
    const nextVersion = versions[vi + 1];
    if (nextVersion && nextVersion.effectiveFrom <= day) {
      vi = versionIndexOn(day);
      const previous = tierId(segment, hasTier ? state.e : null);
      segment = buildSegment(versions[vi] as CompiledVersion, facts);
      reader = new SegmentReader(segment);
      fresh = true;
      if (hasTier && previous !== null) {
        const mapped = segment.track?.track.tiers.findIndex((t) => t.id === previous) ?? -1;
        if (mapped < 0) {
          // A tier missing from the new version restarts the partner at the entry tier (rule 18).
          state.e = 0;
          clearPending(state);
          if (segment.track)
            changes.push({
              day,
              from: previous,
              to: tierId(segment, 0),
              qualified: null,
              kind: 'restarted',
              versionIndex: vi,
            });
        } else state.e = mapped;
      }
    }
    if (reader.changesOn(day) || fresh) q = reader.qualified(day);
    if (q === null) {
      if (hasTier)
        changes.push({
          day,
          from: tierId(segment, state.e),
          to: null,
          qualified: null,
          kind: 'track',
          versionIndex: vi,
        });
      hasTier = false;
      overridden = false;
      days.version[day - first] = vi;
      days.tier[day - first] = -1;
      days.status[day - first] = statusCode('none');
      mark(day);
      continue;
    }
    if (!hasTier) {
      Object.assign(state, initialPolicyState());
      hasTier = true;
    }
    const before = state.e;
    const override = overrideOn(overrides, day, segment);
    overridden = override !== undefined;
    const todays = decisions.size === 0 ? undefined : dayDecisions(decisions.get(day), segment);
    const kind = stepPolicy(state, day, q, segment.version.program.policy, override, todays);
    if (kind !== null && state.e !== before) {
      changes.push({
        day,
        from: tierId(segment, before),
        to: tierId(segment, state.e),
        qualified: tierId(segment, q),
        kind,
        versionIndex: vi,
      });
    }
    days.version[day - first] = vi;
    days.tier[day - first] = state.e;
    days.status[day - first] = statusCode(policyStatus(state, day, q, segment.version.program.policy, overridden));
    mark(day);
  }

  const policy = segment.version.program.policy;
  const status = q === null ? 'none' : policyStatus(state, asOf, q, policy, overridden);
  const ends = status === 'grace' || status === 'hold' || status === 'review' ? graceEndsOn(state, policy) : null;
  return { start, first, asOf, points, segment, state, q, status, graceEndsOn: ends, changes, days };
}
