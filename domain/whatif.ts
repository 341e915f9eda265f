// What-if (docs/whatif.md): per partner, the current and the draft evaluation side by side
// (track, effective tier, ledger totals exactly as each scorecard has them), and the summary a
// channel manager reads: tier moves per track, who moves, and what the draft would have cost.
import { BENEFITS, type BenefitName } from './evaluation/ledger.ts';
import type { Scorecard } from './evaluation/scorecard.ts';
import { formatMinor, toMinor } from './money.ts';
import type { ProgramSet } from './program/load.ts';

export interface WhatIfBlock {
  track: string | null;
  effectiveTier: string | null;
  ledger: Scorecard['ledger'];
}

export interface WhatIfLine {
  partnerId: string;
  current: WhatIfBlock;
  draft: WhatIfBlock;
}

export const whatIfBlock = (s: Pick<Scorecard, 'track' | 'effectiveTier' | 'ledger'>): WhatIfBlock => ({
  track: s.track,
  effectiveTier: s.effectiveTier,
  // In benefit order whatever the source (a stored scorecard comes back from jsonb with its keys reordered).
  ledger: { commission: s.ledger.commission, mdf: s.ledger.mdf, rebate: s.ledger.rebate },
});

/** current tier → draft tier → partners, per track (the current one; the draft's when there is none). */
export type TierMatrix = Map<string, Map<string, Map<string, number>>>;

export interface WhatIfSummary {
  partners: number;
  matrix: TierMatrix;
  /** Partners whose track or effective tier differs. */
  moved: WhatIfLine[];
  current: Record<BenefitName, string>;
  draft: Record<BenefitName, string>;
  /** draft − current, per benefit. */
  difference: Record<BenefitName, string>;
}

const NONE = '(none)';

export class WhatIfTally {
  private partners = 0;
  private readonly matrix: TierMatrix = new Map();
  private readonly moved: WhatIfLine[] = [];
  private readonly current: Record<BenefitName, bigint> = { commission: 0n, mdf: 0n, rebate: 0n };
  private readonly draft: Record<BenefitName, bigint> = { commission: 0n, mdf: 0n, rebate: 0n };

  constructor(private readonly digits: number) {}

  add(line: WhatIfLine): void {
    this.partners++;
    const track = line.current.track ?? line.draft.track ?? NONE;
    let byTrack = this.matrix.get(track);
    if (!byTrack) this.matrix.set(track, (byTrack = new Map()));
    const from = line.current.effectiveTier ?? NONE;
    let row = byTrack.get(from);
    if (!row) byTrack.set(from, (row = new Map()));
    const to = line.draft.effectiveTier ?? NONE;
    row.set(to, (row.get(to) ?? 0) + 1);
    if (line.current.track !== line.draft.track || line.current.effectiveTier !== line.draft.effectiveTier)
      this.moved.push(line);
    for (const { name } of BENEFITS) {
      this.current[name] += toMinor(line.current.ledger[name], this.digits);
      this.draft[name] += toMinor(line.draft.ledger[name], this.digits);
    }
  }

  summary(): WhatIfSummary {
    const format = (values: Record<BenefitName, bigint>) =>
      Object.fromEntries(BENEFITS.map(({ name }) => [name, formatMinor(values[name], this.digits)])) as Record<
        BenefitName,
        string
      >;
    const difference = Object.fromEntries(
      BENEFITS.map(({ name }) => [name, this.draft[name] - this.current[name]]),
    ) as Record<BenefitName, bigint>;
    return {
      partners: this.partners,
      matrix: this.matrix,
      moved: this.moved,
      current: format(this.current),
      draft: format(this.draft),
      difference: format(difference),
    };
  }
}

/** Tier ids of a track, lowest first, as the program versions list them (the latest version's order first). */
function tierOrder(sets: readonly ProgramSet[], trackId: string): string[] {
  const order: string[] = [];
  for (const set of sets)
    for (const { program } of [...set.versions].reverse())
      for (const tier of program.tracks.find((t) => t.id === trackId)?.tiers ?? [])
        if (!order.includes(tier.id)) order.push(tier.id);
  return order;
}

/** A track's matrix tiers in program order (tiers no program lists last, sorted): its rows and columns. */
export function matrixTiers(
  sets: readonly ProgramSet[],
  track: string,
  rows: ReadonlyMap<string, ReadonlyMap<string, number>>,
): string[] {
  const known = tierOrder(sets, track);
  const seen = new Set<string>([...rows.keys(), ...[...rows.values()].flatMap((r) => [...r.keys()])]);
  return [...known.filter((t) => seen.has(t)), ...[...seen].filter((t) => !known.includes(t)).sort()];
}
