// What-if's pure parts (docs/whatif.md): a draft is one valid version with the current
// currency and timezone, evaluated as the only version for every day; the tally's matrix,
// movers and ledger totals.
import { describe, expect, it } from 'vitest';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { evaluatePartner } from '../../domain/evaluation/scorecard.ts';
import { loadDraft } from '../../domain/program/draft.ts';
import { WhatIfTally, whatIfBlock, type WhatIfLine } from '../../domain/whatif.ts';
import { cert, day, partner, programSet, specProgram, won } from './fixtures.ts';

const current = programSet(specProgram());
const AS_OF = day('2026-11-23');

/** The SPEC program with a lower silver revenue threshold, effective only in 2030. */
function cheaperSilver(): Record<string, unknown> {
  const doc = specProgram() as unknown as {
    version: string;
    effectiveFrom: string;
    tracks: Array<{ tiers: Array<{ criteria: unknown }> }>;
  };
  doc.version = 'draft';
  doc.effectiveFrom = '2030-01-01';
  const silver = doc.tracks[0]?.tiers[1];
  if (silver) silver.criteria = { allOf: [{ metric: 'revenue12m', atLeast: '50000' }] };
  return doc as unknown as Record<string, unknown>;
}

function lines(draftDoc: unknown, events: readonly unknown[]): WhatIfLine[] {
  const draft = loadDraft(JSON.stringify(draftDoc), current);
  if (!draft.ok) throw new Error(draft.problems.join('\n'));
  const batch = new BatchEvaluation(current);
  for (const e of events) batch.addObject(e);
  return batch.partnerIds().map((id) => ({
    partnerId: id,
    current: whatIfBlock((batch.evaluate(id, AS_OF) ?? { scorecard: undefined }).scorecard!),
    draft: whatIfBlock(evaluatePartner(draft.value, batch.folder.partners.get(id)!, AS_OF).scorecard),
  }));
}

const EVENTS = [
  partner('P-A'),
  won('P-A', 'A1', '80000.00', '2026-06-01'),
  partner('P-B'),
  won('P-B', 'B1', '300000.00', '2026-06-01'),
  cert('P-B', 'E1', 'sales-associate', '2026-01-10'),
  cert('P-B', 'E2', 'sales-associate', '2026-01-10'),
  partner('P-C', 'referral'),
];

describe('loadDraft', () => {
  it.each([
    [
      'an array of versions',
      [specProgram(), specProgram()],
      '(root): a draft is one program version, not an array of versions',
    ],
    ['another currency', { ...specProgram(), currency: 'EUR' }, "currency: EUR differs from the current program's USD"],
    [
      'another timezone',
      { ...specProgram(), timezone: 'Europe/Berlin' },
      "timezone: Europe/Berlin differs from the current program's UTC",
    ],
    ['an invalid version', { ...specProgram(), tracks: [] }, 'tracks'],
  ])('refuses %s, by path', (_what, doc, problem) => {
    const loaded = loadDraft(JSON.stringify(doc), current);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.problems.join('\n')).toContain(problem);
  });

  it('refuses text that is neither JSON nor YAML', () => {
    expect(loadDraft('{ "id": ', current).ok).toBe(false);
  });
});

describe('what-if lines', () => {
  it('the current program as its own draft moves nobody and costs nothing', () => {
    const same = lines(specProgram(), EVENTS);
    for (const l of same) expect(l.draft).toEqual(l.current);
    const tally = new WhatIfTally(2);
    same.forEach((l) => tally.add(l));
    const s = tally.summary();
    expect(s.moved).toEqual([]);
    expect(s.difference).toEqual({ commission: '0.00', mdf: '0.00', rebate: '0.00' });
  });

  it('a draft applies to all history whatever its effectiveFrom: a cheaper silver promotes P-A from its deal', () => {
    const moved = lines(cheaperSilver(), EVENTS);
    expect(moved.find((l) => l.partnerId === 'P-A')).toEqual({
      partnerId: 'P-A',
      current: {
        track: 'resell',
        effectiveTier: 'registered',
        ledger: { commission: '2400.00', mdf: '0.00', rebate: '0.00' },
      },
      draft: {
        track: 'resell',
        effectiveTier: 'silver',
        ledger: { commission: '4000.00', mdf: '800.00', rebate: '0.00' },
      },
    });
    const tally = new WhatIfTally(2);
    moved.forEach((l) => tally.add(l));
    const s = tally.summary();
    expect(s.partners).toBe(3);
    expect(s.moved.map((l) => l.partnerId)).toEqual(['P-A']);
    expect(Object.fromEntries([...(s.matrix.get('resell') ?? [])].map(([k, v]) => [k, Object.fromEntries(v)]))).toEqual(
      {
        registered: { silver: 1 },
        silver: { silver: 1 },
      },
    );
    expect(s.matrix.get('refer')?.get('member')?.get('member')).toBe(1);
    expect(s.difference).toEqual({ commission: '1600.00', mdf: '800.00', rebate: '0.00' });
  });
});
