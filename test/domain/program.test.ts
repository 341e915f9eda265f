// domain/program/load.ts: program texts (JSON, YAML, arrays of versions) into a ProgramSet,
// or every problem listed by path (SPEC §2, §3a rule 18).
import { describe, expect, it } from 'vitest';
import { loadProgramTexts, versionIndexOn, type LoadResult, type ProgramSet } from '../../domain/program/load.ts';
import { day, specProgram, SPEC_PROGRAM } from './fixtures.ts';

const load = (doc: unknown): LoadResult<ProgramSet> =>
  loadProgramTexts([{ name: 'program.json', text: JSON.stringify(doc, null, 2) }]);

type Doc = Record<string, unknown>;

/** Sets the value at a problem-style path ("tracks[0].tiers[1].criteria") in a cloned program. */
function put(doc: unknown, path: string, value: unknown): void {
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((k) => k !== '');
  let node = doc as Doc;
  for (const key of keys.slice(0, -1)) node = node[key] as Doc;
  node[keys[keys.length - 1] as string] = value;
}

/** What an unknown metric's message adds for the SPEC §2 program: the defined metrics and the docs. */
const DEFINED =
  '(defined: mrr, newCustomers12m, registrations12m, revenue12m, salesCertified, techCertified; ' +
  'see docs/program.md#metrics)';

function problemsOf(doc: unknown): string[] {
  const result = load(doc);
  if (result.ok) throw new Error('expected the program to be refused');
  return result.problems;
}

const SPEC_YAML = `
id: acme
version: "2027.1"
name: Acme Partner Program
currency: USD
timezone: UTC
effectiveFrom: "2025-01-01"
metrics:
  revenue12m: { from: deals, aggregate: sum, field: amount, window: { trailing: P12M } }
  newCustomers12m: { from: deals, aggregate: countDistinct, field: customerId, window: { trailing: P12M } }
  registrations12m: { from: registrations, aggregate: count, window: { trailing: P12M } }
  mrr: { from: invoices, aggregate: sum, field: amount, where: { recurring: true }, window: { calendar: month } }
  salesCertified:
    from: certifications
    aggregate: countDistinct
    field: personId
    where:
      certificationId: [sales-associate, sales-expert]
    window: active
  techCertified:
    from: certifications
    aggregate: countDistinct
    field: personId
    where: { certificationId: [tech-expert] }
    window: active
tracks:
  - id: resell
    partnerTypes: [reseller, msp]
    tiers:
      - id: registered
        name: Registered
        criteria: null
        benefits: { commissionRate: "0.03" }
      - id: silver
        name: Silver
        criteria:
          allOf:
            - { metric: revenue12m, atLeast: "250000" }
            - { metric: salesCertified, atLeast: "2" }
        benefits: { commissionRate: "0.05", mdfRate: "0.01" }
      - id: gold
        name: Gold
        criteria:
          allOf:
            - anyOf:
                - { metric: revenue12m, atLeast: "1000000" }
                - { metric: mrr, atLeast: "90000" }
            - { metric: salesCertified, atLeast: "5" }
            - { metric: techCertified, atLeast: "2" }
        benefits: { commissionRate: "0.08", mdfRate: "0.02", rebateRate: "0.01" }
  - id: refer
    partnerTypes: [referral]
    tiers:
      - { id: member, name: Member, criteria: null, benefits: { commissionRate: "0.10" } }
      - id: elite
        name: Elite
        criteria:
          score:
            atLeast: "70"
            eachAboveZero: true
            parts:
              - { metric: revenue12m, target: "200000", points: "50" }
              - { metric: newCustomers12m, target: "10", points: "30" }
              - { metric: salesCertified, target: "2", points: "20" }
        benefits: { commissionRate: "0.15" }
policy:
  demotionGraceDays: 90
  holdAfterPromotionDays: 0
  demotionsOn: any-day
alerts:
  nearPromotionWithin: "0.10"
  atRiskHorizonDays: 30
  notifyChangesWithinDays: 7
`;

describe('valid programs', () => {
  it('accepts the SPEC §2 example', () => {
    const result = load(SPEC_PROGRAM);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toMatchObject({ id: 'acme', currency: 'USD', digits: 2, timezone: 'UTC' });
    expect(result.value.versions).toHaveLength(1);
    expect(result.value.versions[0]?.effectiveFrom).toBe(day('2025-01-01'));
    expect(result.value.versions[0]?.program.version).toBe('2027.1');
    expect(result.value.versions[0]?.program.policy).toEqual({
      demotionGraceDays: 90,
      holdAfterPromotionDays: 0,
      demotionsOn: 'any-day',
    });
  });

  it('accepts the same program written in YAML, with the same content', () => {
    const yaml = loadProgramTexts([{ name: 'program.yaml', text: SPEC_YAML }]);
    const json = load(SPEC_PROGRAM);
    expect(yaml.ok).toBe(true);
    if (!yaml.ok || !json.ok) return;
    expect(yaml.value).toEqual(json.value);
  });

  it('accepts an array of two versions and sorts them by effectiveFrom', () => {
    const v1 = specProgram();
    const v2 = { ...specProgram(), version: '2027.2', effectiveFrom: '2026-01-01' };
    for (const docs of [
      [v1, v2],
      [v2, v1],
    ]) {
      const result = load(docs);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.value.versions.map((v) => v.program.version)).toEqual(['2027.1', '2027.2']);
      // each day uses the latest effectiveFrom ≤ day; days before the first use the first
      expect(versionIndexOn(result.value, day('2024-06-01'))).toBe(0);
      expect(versionIndexOn(result.value, day('2025-12-31'))).toBe(0);
      expect(versionIndexOn(result.value, day('2026-01-01'))).toBe(1);
      expect(versionIndexOn(result.value, day('2030-01-01'))).toBe(1);
    }
  });

  it('accepts versions given as several texts', () => {
    const result = loadProgramTexts([
      { name: 'v1.json', text: JSON.stringify(specProgram()) },
      { name: 'v2.json', text: JSON.stringify({ ...specProgram(), version: '2027.2', effectiveFrom: '2026-01-01' }) },
    ]);
    expect(result.ok && result.value.versions.length).toBe(2);
  });

  it('knows the minor unit of the program currency', () => {
    const result = load({ ...specProgram(), currency: 'JPY' });
    expect(result.ok && result.value.digits).toBe(0);
  });
});

describe('invalid programs: every problem listed by path', () => {
  it('unknown metric', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[2].criteria.allOf[1]', { metric: 'revenu12m', atLeast: '5' });
    expect(problemsOf(doc)).toEqual([
      'tracks[0].tiers[2].criteria.allOf[1].metric: unknown metric "revenu12m" (defined: mrr, newCustomers12m, ' +
        'registrations12m, revenue12m, salesCertified, techCertified; see docs/program.md#metrics)',
    ]);
  });

  it('unknown metric in a program that defines none', () => {
    const doc = specProgram();
    put(doc, 'metrics', {});
    expect(problemsOf(doc)).toContain(
      'tracks[0].tiers[1].criteria.allOf[0].metric: unknown metric "revenue12m" ' +
        '(no metrics are defined; see docs/program.md#metrics)',
    );
  });

  it('unknown metric in a score part', () => {
    const doc = specProgram();
    put(doc, 'tracks[1].tiers[1].criteria.score.parts[1].metric', 'customers');
    expect(problemsOf(doc)).toEqual([
      `tracks[1].tiers[1].criteria.score.parts[1].metric: unknown metric "customers" ${DEFINED}`,
    ]);
  });

  it.each([
    ['a threshold', 'tracks[0].tiers[1].criteria.allOf[0].atLeast', 250000],
    ['a rate', 'tracks[0].tiers[0].benefits.commissionRate', 0.03],
    ['a score target', 'tracks[1].tiers[1].criteria.score.parts[0].target', 200000],
    ['score points', 'tracks[1].tiers[1].criteria.score.parts[2].points', 20],
    ['score atLeast', 'tracks[1].tiers[1].criteria.score.atLeast', 70],
    ['nearPromotionWithin', 'alerts.nearPromotionWithin', 0.1],
  ])('a JSON number where a decimal string is required: %s', (_what, path, value) => {
    const doc = specProgram();
    put(doc, path, value);
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: .*decimal string`));
    // The reason (exact decimals, never binary floating point) is explained in one place.
    expect(problems[0]).toContain('not a JSON number (see docs/program.md#numbers)');
  });

  it('first tier with criteria', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[0].criteria', { metric: 'revenue12m', atLeast: '1' });
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracks\[0\]\.tiers\[0\]\.criteria: /);
  });

  it('a later tier without criteria', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[1].criteria', null);
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracks\[0\]\.tiers\[1\]\.criteria: /);
  });

  it('duplicate tier id', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[2].id', 'silver');
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracks\[0\]\.tiers\[2\]\.id: .*silver/);
  });

  it('partner type in two tracks', () => {
    const doc = specProgram();
    put(doc, 'tracks[1].partnerTypes', ['referral', 'msp']);
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracks\[1\]\.partnerTypes\[1\]: .*msp/);
  });

  it.each(['1.5', '1.0001'])('rate %s outside 0..1', (rate) => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[1].benefits.commissionRate', rate);
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^tracks\[0\]\.tiers\[1\]\.benefits\.commissionRate: /);
    expect(problems[0]).toContain(rate);
  });

  it.each(['0', '1', '0.5'])('rate %s inside 0..1 is accepted', (rate) => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[1].benefits.commissionRate', rate);
    expect(load(doc).ok).toBe(true);
  });

  it.each([
    ['a trailing period that is not ISO 8601', { trailing: '12 months' }],
    ['an unknown calendar unit', { calendar: 'week' }],
    ['an unknown window kind', { rolling: 'P12M' }],
    ['an unknown keyword', 'forever'],
  ])('unknown window: %s', (_what, window) => {
    const doc = specProgram();
    put(doc, 'metrics.revenue12m.window', window);
    const problems = problemsOf(doc);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const p of problems) expect(p).toMatch(/^metrics\.revenue12m\.window/);
  });

  it('"active" window on a non-certification metric', () => {
    const doc = specProgram();
    put(doc, 'metrics.revenue12m.window', 'active');
    expect(problemsOf(doc)).toEqual([expect.stringMatching(/^metrics\.revenue12m\.window: /)]);
  });

  it('unknown currency and time zone', () => {
    const problems = problemsOf({ ...specProgram(), currency: 'XYZ', timezone: 'Mars/Olympus' });
    expect(problems).toEqual([expect.stringMatching(/^currency: /), expect.stringMatching(/^timezone: /)]);
  });

  it('two versions with the same effectiveFrom are refused', () => {
    const problems = problemsOf([specProgram(), { ...specProgram(), version: '2027.2' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('effectiveFrom');
    expect(problems[0]).toContain('2025-01-01');
  });

  it('versions with different currencies are refused', () => {
    const problems = problemsOf([
      specProgram(),
      { ...specProgram(), version: '2027.2', effectiveFrom: '2026-01-01', currency: 'EUR' },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('EUR');
    expect(problems[0]).toContain('USD');
  });

  it('versions with different ids or time zones are refused', () => {
    const problems = problemsOf([
      specProgram(),
      { ...specProgram(), id: 'other', version: '2027.2', effectiveFrom: '2026-01-01', timezone: 'Europe/Paris' },
    ]);
    expect(problems).toHaveLength(2);
  });

  it('a problem in the second version of an array is prefixed with its index', () => {
    const v2 = { ...specProgram(), version: '2027.2', effectiveFrom: '2026-01-01' };
    put(v2, 'tracks[0].tiers[2].criteria.allOf[1]', { metric: 'revenu12m', atLeast: '5' });
    expect(problemsOf([specProgram(), v2])).toEqual([
      `[1].tracks[0].tiers[2].criteria.allOf[1].metric: unknown metric "revenu12m" ${DEFINED}`,
    ]);
  });

  it('text that is neither JSON nor YAML', () => {
    const result = loadProgramTexts([{ name: 'p.json', text: '{ "id": "acme", ' }]);
    expect(result.ok).toBe(false);
  });

  it('lists ALL problems of a file with several cross-reference problems', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[2].criteria.allOf[1]', { metric: 'revenu12m', atLeast: '5' });
    put(doc, 'tracks[0].tiers[1].id', 'registered');
    put(doc, 'tracks[0].tiers[1].benefits.commissionRate', '1.5');
    put(doc, 'tracks[1].partnerTypes', ['referral', 'msp']);
    const problems = problemsOf(doc);
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        `tracks[0].tiers[2].criteria.allOf[1].metric: unknown metric "revenu12m" ${DEFINED}`,
        expect.stringMatching(/^tracks\[0\]\.tiers\[1\]\.id: /),
        expect.stringMatching(/^tracks\[0\]\.tiers\[1\]\.benefits\.commissionRate: /),
        expect.stringMatching(/^tracks\[1\]\.partnerTypes\[1\]: /),
      ]),
    );
  });

  it('lists ALL problems of a file with several structural problems', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[1].criteria.allOf[0].atLeast', 250000);
    put(doc, 'tracks[0].tiers[0].benefits.commissionRate', 0.03);
    put(doc, 'metrics.revenue12m.window', { trailing: '12 months' });
    put(doc, 'policy.demotionGraceDays', '90');
    const problems = problemsOf(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tracks\[0\]\.tiers\[1\]\.criteria\.allOf\[0\]\.atLeast: /),
        expect.stringMatching(/^tracks\[0\]\.tiers\[0\]\.benefits\.commissionRate: /),
        expect.stringMatching(/^metrics\.revenue12m\.window/),
        expect.stringMatching(/^policy\.demotionGraceDays: /),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it('lists ALL problems of a file mixing a structural problem and an unknown metric', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].tiers[1].criteria.allOf[0].atLeast', 250000);
    put(doc, 'tracks[0].tiers[2].criteria.allOf[1]', { metric: 'revenu12m', atLeast: '5' });
    const problems = problemsOf(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tracks\[0\]\.tiers\[1\]\.criteria\.allOf\[0\]\.atLeast: /),
        `tracks[0].tiers[2].criteria.allOf[1].metric: unknown metric "revenu12m" ${DEFINED}`,
      ]),
    );
  });

  it('lists problems after a malformed part (partnerTypes not an array, then an unknown metric in a later track)', () => {
    const doc = specProgram();
    put(doc, 'tracks[0].partnerTypes', 'reseller');
    put(doc, 'tracks[1].tiers[1].criteria.score.parts[1].metric', 'customers');
    const problems = problemsOf(doc);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tracks\[0\]\.partnerTypes: /),
        `tracks[1].tiers[1].criteria.score.parts[1].metric: unknown metric "customers" ${DEFINED}`,
      ]),
    );
  });

  it('lists the problems of every version of an array, not only the first invalid one', () => {
    const v1 = specProgram();
    put(v1, 'tracks[0].tiers[1].criteria.allOf[0].atLeast', 250000);
    const v2 = { ...specProgram(), version: '2027.2', effectiveFrom: '2026-01-01' };
    put(v2, 'tracks[0].tiers[2].criteria.allOf[1]', { metric: 'revenu12m', atLeast: '5' });
    const problems = problemsOf([v1, v2]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[0\]\.tracks\[0\]\.tiers\[1\]\.criteria\.allOf\[0\]\.atLeast: /),
        `[1].tracks[0].tiers[2].criteria.allOf[1].metric: unknown metric "revenu12m" ${DEFINED}`,
      ]),
    );
  });
});

describe('display names (labels) of metrics and certifications', () => {
  const labelled = (): Doc => {
    const doc = specProgram() as unknown as Doc;
    put(doc, 'metrics.revenue12m.label', 'trailing 12-month revenue');
    doc.certifications = { 'sales-expert': { label: 'Sales Expert' }, 'tech-expert': { label: 'Technical Expert' } };
    return doc;
  };

  it('are optional: a program without them loads and has none', () => {
    const result = load(specProgram());
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const program = result.value.versions[0]?.program;
    expect(program?.certifications).toBeUndefined();
    expect(program?.metrics.revenue12m?.label).toBeUndefined();
  });

  it('are kept in the parsed program', () => {
    const result = load(labelled());
    if (!result.ok) throw new Error(result.problems.join('\n'));
    const program = result.value.versions[0]?.program;
    expect(program?.metrics.revenue12m?.label).toBe('trailing 12-month revenue');
    expect(program?.certifications).toEqual({
      'sales-expert': { label: 'Sales Expert' },
      'tech-expert': { label: 'Technical Expert' },
    });
  });

  it('refuses an empty label, a certification without one and unknown fields, by path', () => {
    const doc = labelled();
    put(doc, 'metrics.mrr.label', '');
    doc.certifications = { 'sales-expert': {}, 'tech-expert': { label: 'Tech', name: 'x' } };
    expect(problemsOf(doc)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^metrics\.mrr\.label: /),
        expect.stringMatching(/^certifications\.sales-expert\.label: /),
        'certifications.tech-expert.name: unknown field',
      ]),
    );
  });
});
