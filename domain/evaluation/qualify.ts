// The qualified tier: the highest tier whose own criteria hold (tiers are not cumulative,
// docs/program.md#criteria); the entry tier always holds.
import type { Track } from '../program/schema.ts';
import { holds, type Units, type Values } from './criteria.ts';

export function qualifiedIndex(track: Track, values: Values, units: Units): number {
  for (let i = track.tiers.length - 1; i > 0; i--) {
    const criteria = track.tiers[i]?.criteria;
    if (criteria && holds(criteria, values, units)) return i;
  }
  return 0;
}
