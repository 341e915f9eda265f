// Properties of the engine over generated histories: arrival order and duplicate deliveries
// never change a scorecard; the change-day walk agrees with a naive day-by-day recomputation;
// a tier whose criteria hold is never above the qualified tier.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { compileProgramSet } from '../../domain/evaluation/compiled.ts';
import { holds } from '../../domain/evaluation/criteria.ts';
import { initialPolicyState, stepPolicy } from '../../domain/evaluation/policy.ts';
import { qualifiedIndex } from '../../domain/evaluation/qualify.ts';
import { evaluatePartner } from '../../domain/evaluation/scorecard.ts';
import { timelineStart } from '../../domain/facts/types.ts';
import { buildContributions, valueOn } from '../../domain/metrics/contributions.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';

const loaded = loadProgramTexts([{ name: 'acme', text: readFileSync('examples/acme/program.json', 'utf8') }]);
if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
const program: ProgramSet = loaded.value;
const AS_OF = '2026-11-23';

function history(seed: number): GeneratedEvent[] {
  return [...generateHistory({ partners: 3, seed, until: AS_OF, months: 18, eventsPerPartner: 40 })];
}

function scorecards(events: readonly unknown[], asOf = AS_OF): string[] {
  const batch = new BatchEvaluation(program);
  for (const e of events) batch.addObject(e);
  return batch.partnerIds().map((id) => JSON.stringify(batch.evaluate(id, dayOrThrow(asOf))?.scorecard));
}

const seed = fc.integer({ min: 1, max: 1_000_000 });

describe('engine properties', () => {
  it('the arrival order of events never changes a scorecard', () => {
    fc.assert(
      fc.property(seed, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (s, keys) => {
        const events = history(s);
        const shuffled = events
          .map((e) => ({ e, k: keys.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map(({ e }) => e);
        expect(scorecards(shuffled)).toEqual(scorecards(events));
      }),
      { numRuns: 25 },
    );
  });

  it('delivering events more than once never changes a scorecard', () => {
    fc.assert(
      fc.property(seed, fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (s, picks) => {
        const events = history(s);
        const again = picks.map((i) => structuredClone(events[i % events.length]));
        expect(scorecards([...events, ...again])).toEqual(scorecards(events));
      }),
      { numRuns: 25 },
    );
  });

  it('the change-day walk matches a naive day-by-day recomputation', () => {
    const [version] = compileProgramSet(program);
    fc.assert(
      fc.property(seed, fc.integer({ min: 0, max: 500 }), (s, back) => {
        const batch = new BatchEvaluation(program);
        for (const e of history(s)) batch.addObject(e);
        const asOf = dayOrThrow(AS_OF) - back;
        for (const id of batch.partnerIds()) {
          const facts = batch.folder.partners.get(id);
          const track = facts?.profile && version?.tracks.get(facts.profile.partnerType);
          if (!facts || !track || !version) continue;
          const contributions = new Map(
            track.metricNames.map((n) => [n, buildContributions(version.program.metrics[n]!, facts)]),
          );
          const naiveQ = (day: number): number =>
            qualifiedIndex(
              track.track,
              new Map([...contributions].map(([n, c]) => [n, valueOn(version.program.metrics[n]!, c, day)])),
              version.units,
            );
          const start = timelineStart(facts, asOf) ?? asOf;
          const state = initialPolicyState();
          for (let day = start; day <= asOf; day++) stepPolicy(state, day, naiveQ(day), version.program.policy);
          const card = evaluatePartner(program, facts, asOf).scorecard;
          expect({ id, e: card.effectiveTier, q: card.qualifiedTier }).toEqual({
            id,
            e: track.track.tiers[state.e]?.id,
            q: track.track.tiers[naiveQ(asOf)]?.id,
          });
        }
      }),
      { numRuns: 15 },
    );
  });

  it('a tier whose own criteria hold is at or below the qualified tier', () => {
    const [version] = compileProgramSet(program);
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom(
            'revenue12m',
            'newCustomers12m',
            'mrr',
            'salesCertified',
            'techCertified',
            'registrations12m',
          ),
          fc.bigInt({ min: -10n, max: 200_000_000n }),
        ),
        (raw) => {
          const values = new Map(Object.entries(raw));
          for (const track of program.versions[0]!.program.tracks) {
            const q = qualifiedIndex(track, values, version!.units);
            track.tiers.forEach((tier, i) => {
              if (tier.criteria && holds(tier.criteria, values, version!.units)) expect(q).toBeGreaterThanOrEqual(i);
            });
          }
        },
      ),
    );
  });
});
