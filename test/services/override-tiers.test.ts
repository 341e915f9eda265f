// Issue #21 item 9: an unknown tier in `overrides set` lists the tiers it could be (the
// partner's track, or every track when that is unknown), compares ids exactly and suggests
// the one that differs only in case.
import { describe, expect, it } from 'vitest';
import { unknownTierMessage } from '../../services/overrides.ts';
import { loadExampleProgram } from '../setup/pipeline.ts';

const acme = loadExampleProgram();

describe('unknownTierMessage', () => {
  it("accepts exactly a tier of the partner's track", () => {
    expect(unknownTierMessage(acme, 'P', 'reseller', 'gold')).toBeUndefined();
    expect(unknownTierMessage(acme, 'P', 'referral', 'elite')).toBeUndefined();
  });

  it('refuses another case, suggesting the exact id', () => {
    expect(unknownTierMessage(acme, 'P', 'msp', 'GOLD')).toBe(
      'unknown tier "GOLD" for track resell (tiers: registered, silver, gold); did you mean "gold"?',
    );
  });

  it("refuses a tier of another track than the partner's", () => {
    expect(unknownTierMessage(acme, 'P', 'reseller', 'member')).toBe(
      'unknown tier "member" for track resell (tiers: registered, silver, gold)',
    );
  });

  it("lists every track's tiers when the partner's track is unknown", () => {
    expect(unknownTierMessage(acme, 'P', undefined, 'gold')).toBeUndefined();
    expect(unknownTierMessage(acme, 'P', 'distributor', 'Member')).toBe(
      'unknown tier "Member" in program acme (partner type "distributor" is in no track; tiers: resell: registered, silver, gold; refer: member, elite); did you mean "member"?',
    );
  });
});
