// domain/evaluation/criteria.ts: `holds` and `unmet` (SPEC §2 criteria, §5 `next`, §3a rules 7–8).
import { describe, expect, it } from 'vitest';
import { holds, unmet, type MetricUnit } from '../../domain/evaluation/criteria.ts';
import type { Criterion, ScoreCriterion } from '../../domain/program/schema.ts';

const MONEY: MetricUnit = { scale: 100n, digits: 2, money: true };
const COUNT: MetricUnit = { scale: 1n, digits: 0, money: false };

const units = new Map<string, MetricUnit>([
  ['revenue12m', MONEY],
  ['mrr', MONEY],
  ['refunds', MONEY],
  ['salesCertified', COUNT],
  ['techCertified', COUNT],
  ['newCustomers12m', COUNT],
  ['escalations', COUNT],
  ['a', COUNT],
  ['b', COUNT],
  ['c', COUNT],
  ['d', COUNT],
]);

/** Values from human numbers: money metrics given as decimal strings, counts as numbers. */
function values(v: Record<string, string | number>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [name, value] of Object.entries(v)) {
    if (typeof value === 'number') out.set(name, BigInt(value));
    else {
      const [whole = '0', frac = ''] = value.replace('-', '').split('.');
      const minor = BigInt(whole) * 100n + BigInt(frac.padEnd(2, '0'));
      out.set(name, value.startsWith('-') ? -minor : minor);
    }
  }
  return out;
}

const shown = (c: Criterion, v: Record<string, string | number>) =>
  unmet(c, values(v), units).map(({ path, metric, actual, required, shortBy }) => ({
    path,
    metric,
    actual,
    required,
    shortBy,
  }));

describe('leaf atLeast / atMost boundaries', () => {
  const atLeast: Criterion = { metric: 'revenue12m', atLeast: '250000' };
  const atMost: Criterion = { metric: 'escalations', atMost: '3' };

  it.each([
    ['250000.00', true],
    ['250000.01', true],
    ['249999.99', false],
    ['0.00', false],
  ])('revenue12m %s atLeast 250000 → %s', (v, expected) => {
    expect(holds(atLeast, values({ revenue12m: v }), units)).toBe(expected);
  });

  it.each([
    [3, true],
    [0, true],
    [4, false],
  ])('escalations %i atMost 3 → %s', (v, expected) => {
    expect(holds(atMost, values({ escalations: v }), units)).toBe(expected);
  });

  it('a missing metric value counts as 0', () => {
    expect(holds({ metric: 'a', atLeast: '1' }, new Map(), units)).toBe(false);
    expect(holds({ metric: 'a', atMost: '0' }, new Map(), units)).toBe(true);
  });

  it('a threshold with decimals is compared exactly', () => {
    expect(holds({ metric: 'revenue12m', atLeast: '250000.50' }, values({ revenue12m: '250000.49' }), units)).toBe(
      false,
    );
    expect(holds({ metric: 'revenue12m', atLeast: '250000.50' }, values({ revenue12m: '250000.50' }), units)).toBe(
      true,
    );
  });

  it('a single-leaf root: path "", money formatted in the minor unit, required as written', () => {
    expect(shown(atLeast, { revenue12m: '249999.99' })).toEqual([
      { path: '', metric: 'revenue12m', actual: '249999.99', required: '250000', shortBy: '0.01' },
    ]);
    expect(shown({ metric: 'revenue12m', atLeast: '250000.00' }, { revenue12m: '200000' })).toEqual([
      { path: '', metric: 'revenue12m', actual: '200000.00', required: '250000.00', shortBy: '50000.00' },
    ]);
  });

  it('exactly at the threshold nothing is unmet', () => {
    expect(shown(atLeast, { revenue12m: '250000.00' })).toEqual([]);
    expect(shown(atMost, { escalations: 3 })).toEqual([]);
  });

  it('atMost: shortBy = actual − limit (counts and money)', () => {
    expect(shown(atMost, { escalations: 5 })).toEqual([
      { path: '', metric: 'escalations', actual: '5', required: '3', shortBy: '2' },
    ]);
    expect(shown({ metric: 'refunds', atMost: '1000' }, { refunds: '1000.50' })).toEqual([
      { path: '', metric: 'refunds', actual: '1000.50', required: '1000', shortBy: '0.50' },
    ]);
  });

  it('a negative money actual (credits) is shown with its sign', () => {
    expect(shown({ metric: 'mrr', atLeast: '100' }, { mrr: '-200.00' })).toEqual([
      { path: '', metric: 'mrr', actual: '-200.00', required: '100', shortBy: '300.00' },
    ]);
  });
});

describe('allOf / anyOf', () => {
  // The gold criteria of SPEC §2
  const gold: Criterion = {
    allOf: [
      {
        anyOf: [
          { metric: 'revenue12m', atLeast: '1000000' },
          { metric: 'mrr', atLeast: '90000' },
        ],
      },
      { metric: 'salesCertified', atLeast: '5' },
      { metric: 'techCertified', atLeast: '2' },
    ],
  };

  it('allOf holds only when every child holds; anyOf when one does', () => {
    expect(holds(gold, values({ revenue12m: '1000000', mrr: '0', salesCertified: 5, techCertified: 2 }), units)).toBe(
      true,
    );
    expect(holds(gold, values({ revenue12m: '0', mrr: '90000', salesCertified: 5, techCertified: 2 }), units)).toBe(
      true,
    );
    expect(
      holds(gold, values({ revenue12m: '999999.99', mrr: '89999.99', salesCertified: 5, techCertified: 2 }), units),
    ).toBe(false);
    expect(holds(gold, values({ revenue12m: '1000000', mrr: '0', salesCertified: 4, techCertified: 2 }), units)).toBe(
      false,
    );
  });

  it('reproduces the `next.unmet` of the SPEC §5 example', () => {
    expect(shown(gold, { revenue12m: '912000.00', mrr: '0.00', salesCertified: 5, techCertified: 1 })).toEqual([
      {
        path: 'allOf[0].anyOf[0]',
        metric: 'revenue12m',
        actual: '912000.00',
        required: '1000000',
        shortBy: '88000.00',
      },
      { path: 'allOf[2]', metric: 'techCertified', actual: '1', required: '2', shortBy: '1' },
    ]);
  });

  it('anyOf lists the cheapest branch by shortBy/required: allOf[0].anyOf[1]', () => {
    // revenue: 500000/1000000 = 0.5; mrr: 9000/90000 = 0.1
    expect(shown(gold, { revenue12m: '500000', mrr: '81000', salesCertified: 5, techCertified: 2 })).toEqual([
      { path: 'allOf[0].anyOf[1]', metric: 'mrr', actual: '81000.00', required: '90000', shortBy: '9000.00' },
    ]);
  });

  it('an anyOf that holds contributes nothing; nor do met allOf children', () => {
    expect(shown(gold, { revenue12m: '1000000', mrr: '0', salesCertified: 3, techCertified: 2 })).toEqual([
      { path: 'allOf[1]', metric: 'salesCertified', actual: '3', required: '5', shortBy: '2' },
    ]);
  });

  it('a branch cost is the sum over its unmet leaves only', () => {
    const c: Criterion = {
      anyOf: [
        // unmet leaves: a (3/10 = 0.3) — b is met
        {
          allOf: [
            { metric: 'a', atLeast: '10' },
            { metric: 'b', atLeast: '1' },
          ],
        },
        // c: 4/10 = 0.4
        { metric: 'c', atLeast: '10' },
      ],
    };
    expect(shown(c, { a: 7, b: 1, c: 6 })).toEqual([
      { path: 'anyOf[0].allOf[0]', metric: 'a', actual: '7', required: '10', shortBy: '3' },
    ]);
  });

  it('ties on the sum go to the branch with fewer unmet leaves', () => {
    const c: Criterion = {
      anyOf: [
        {
          allOf: [
            { metric: 'a', atLeast: '10' },
            { metric: 'b', atLeast: '10' },
          ],
        }, // 0.1 + 0.1
        { metric: 'c', atLeast: '10' }, // 0.2
      ],
    };
    expect(shown(c, { a: 9, b: 9, c: 8 })).toEqual([
      { path: 'anyOf[1]', metric: 'c', actual: '8', required: '10', shortBy: '2' },
    ]);
  });

  it('a tie with a fewer-leaves branch listed first keeps it', () => {
    const c: Criterion = {
      anyOf: [
        { metric: 'c', atLeast: '10' }, // 0.2, one leaf
        {
          allOf: [
            { metric: 'a', atLeast: '10' },
            { metric: 'b', atLeast: '10' },
          ],
        }, // 0.2, two leaves
      ],
    };
    expect(shown(c, { a: 9, b: 9, c: 8 })).toEqual([
      { path: 'anyOf[0]', metric: 'c', actual: '8', required: '10', shortBy: '2' },
    ]);
  });

  it('a full tie goes to the first listed branch', () => {
    const c: Criterion = {
      anyOf: [
        { metric: 'a', atLeast: '10' },
        { metric: 'b', atLeast: '20' },
      ],
    }; // 0.1 and 0.1
    expect(shown(c, { a: 9, b: 18 })).toEqual([
      { path: 'anyOf[0]', metric: 'a', actual: '9', required: '10', shortBy: '1' },
    ]);
  });

  it('cost compares exact ratios (1/3 < 0.34)', () => {
    const c: Criterion = {
      anyOf: [
        { metric: 'a', atLeast: '50' },
        { metric: 'b', atLeast: '3' },
      ],
    };
    // a: 17/50 = 0.34, b: 1/3 ≈ 0.333
    expect(shown(c, { a: 33, b: 2 })).toEqual([
      { path: 'anyOf[1]', metric: 'b', actual: '2', required: '3', shortBy: '1' },
    ]);
  });

  it('a leaf whose required is 0 counts shortBy itself as its cost', () => {
    const c: Criterion = {
      anyOf: [
        { metric: 'escalations', atMost: '0' },
        { metric: 'a', atLeast: '4' },
      ],
    };
    // escalations: shortBy 1 → cost 1; a: 3/4 = 0.75 → cheaper
    expect(shown(c, { escalations: 1, a: 1 })).toEqual([
      { path: 'anyOf[1]', metric: 'a', actual: '1', required: '4', shortBy: '3' },
    ]);
    // a: 2/2 = 1 ties with escalations' 1: first listed
    const tie: Criterion = {
      anyOf: [
        { metric: 'escalations', atMost: '0' },
        { metric: 'a', atLeast: '2' },
      ],
    };
    expect(shown(tie, { escalations: 1, a: 0 })).toEqual([
      { path: 'anyOf[0]', metric: 'escalations', actual: '1', required: '0', shortBy: '1' },
    ]);
  });

  it('a money leaf with required 0 costs its shortBy in currency units, not minor units', () => {
    // refunds 0.50 above 0 → cost 0.5; a: 6/10 = 0.6
    const c: Criterion = {
      anyOf: [
        { metric: 'a', atLeast: '10' },
        { metric: 'refunds', atMost: '0' },
      ],
    };
    expect(shown(c, { a: 4, refunds: '0.50' })).toEqual([
      { path: 'anyOf[1]', metric: 'refunds', actual: '0.50', required: '0', shortBy: '0.50' },
    ]);
  });

  it('nested paths join with dots: allOf[1].anyOf[0].allOf[1]', () => {
    const c: Criterion = {
      allOf: [
        { metric: 'a', atLeast: '1' },
        {
          anyOf: [
            {
              allOf: [
                { metric: 'b', atLeast: '1' },
                { metric: 'c', atLeast: '5' },
              ],
            },
            { metric: 'd', atLeast: '10' },
          ],
        },
      ],
    };
    // branch 0: c 1/5 = 0.2; branch 1: d 10/10 = 1
    expect(shown(c, { a: 1, b: 1, c: 4, d: 0 })).toEqual([
      { path: 'allOf[1].anyOf[0].allOf[1]', metric: 'c', actual: '4', required: '5', shortBy: '1' },
    ]);
  });
});

describe('score', () => {
  // The elite criterion of SPEC §2
  const elite: ScoreCriterion = {
    score: {
      atLeast: '70',
      eachAboveZero: true,
      parts: [
        { metric: 'revenue12m', target: '200000', points: '50' },
        { metric: 'newCustomers12m', target: '10', points: '30' },
        { metric: 'salesCertified', target: '2', points: '20' },
      ],
    },
  };

  it.each([
    // 50·120000/200000 = 30, + 30, + 20·1/2 = 10 → 70 exactly
    [{ revenue12m: '120000', newCustomers12m: 10, salesCertified: 1 }, true],
    // 30 + 30 + 10 − a cent's worth
    [{ revenue12m: '119999.99', newCustomers12m: 10, salesCertified: 1 }, false],
    // 25 + 30 + 10 = 65
    [{ revenue12m: '100000', newCustomers12m: 10, salesCertified: 1 }, false],
    // capped: 50 + 0 ... eachAboveZero fails on newCustomers
    [{ revenue12m: '900000', newCustomers12m: 0, salesCertified: 2 }, false],
    // capped at the part's points: 50 + 3 + 20 = 73
    [{ revenue12m: '900000', newCustomers12m: 1, salesCertified: 9 }, true],
  ])('%j → %s', (v, expected) => {
    expect(holds(elite, values(v), units)).toBe(expected);
  });

  it('eachAboveZero: a part earning 0 fails the score even above atLeast; without it the sum decides', () => {
    // 50 + 30 + 0 = 80
    const v = values({ revenue12m: '200000', newCustomers12m: 10, salesCertified: 0 });
    expect(holds(elite, v, units)).toBe(false);
    const loose: Criterion = { score: { ...elite.score, eachAboveZero: false } };
    expect(holds(loose, v, units)).toBe(true);
    // unmet lists the parts that earned less than their full points
    expect(unmet(elite, v, units).map((l) => [l.path, l.actual, l.required, l.shortBy])).toEqual([
      ['score.parts[2]', '0', '2', '2'],
    ]);
  });

  it('exact arithmetic: three parts of 1/3 sum to exactly 70', () => {
    const thirds: Criterion = {
      score: {
        atLeast: '70',
        parts: [
          { metric: 'a', target: '3', points: '70' },
          { metric: 'b', target: '3', points: '70' },
          { metric: 'c', target: '3', points: '70' },
        ],
      },
    };
    expect(holds(thirds, values({ a: 1, b: 1, c: 1 }), units)).toBe(true);
    // where binary floats give 6.999999999999999: 7·(1/3) three times
    const sevens: ScoreCriterion = {
      score: {
        atLeast: '7',
        parts: [
          { metric: 'a', target: '3', points: '7' },
          { metric: 'b', target: '3', points: '7' },
          { metric: 'c', target: '3', points: '7' },
        ],
      },
    };
    expect(holds(sevens, values({ a: 1, b: 1, c: 1 }), units)).toBe(true);
    const justAbove: Criterion = { score: { ...sevens.score, atLeast: '7.000000001' } };
    expect(holds(justAbove, values({ a: 1, b: 1, c: 1 }), units)).toBe(false);
  });

  it('money parts are exact too: 35 + 35 = 70', () => {
    const c: Criterion = {
      score: {
        atLeast: '70',
        parts: [
          { metric: 'revenue12m', target: '300000', points: '105' }, // 105 · 100000/300000 = 35
          { metric: 'a', target: '3', points: '105' }, // 105 · 1/3 = 35
        ],
      },
    };
    expect(holds(c, values({ revenue12m: '100000', a: 1 }), units)).toBe(true);
    expect(holds(c, values({ revenue12m: '99999.99', a: 1 }), units)).toBe(false);
  });

  it('a negative actual earns 0, not negative points', () => {
    const c: Criterion = {
      score: {
        atLeast: '50',
        parts: [
          { metric: 'revenue12m', target: '200000', points: '50' },
          { metric: 'newCustomers12m', target: '10', points: '30' },
          { metric: 'salesCertified', target: '2', points: '20' },
        ],
      },
    };
    // 0 + 30 + 20 = 50 (a negative part would pull it under)
    expect(holds(c, values({ revenue12m: '-5000.00', newCustomers12m: 10, salesCertified: 2 }), units)).toBe(true);
    // and with eachAboveZero the negative part counts as earning 0
    expect(holds(elite, values({ revenue12m: '-5000.00', newCustomers12m: 10, salesCertified: 2 }), units)).toBe(false);
  });

  it('unmet lists parts below full points with required = the target; path score.parts[i]', () => {
    expect(shown(elite, { revenue12m: '100000', newCustomers12m: 10, salesCertified: 1 })).toEqual([
      { path: 'score.parts[0]', metric: 'revenue12m', actual: '100000.00', required: '200000', shortBy: '100000.00' },
      { path: 'score.parts[2]', metric: 'salesCertified', actual: '1', required: '2', shortBy: '1' },
    ]);
  });

  it('a score that holds has nothing unmet, even with parts below their points', () => {
    expect(shown(elite, { revenue12m: '120000', newCustomers12m: 10, salesCertified: 1 })).toEqual([]);
  });

  it('a score nested in allOf: allOf[1].score.parts[1]', () => {
    const c: Criterion = {
      allOf: [
        { metric: 'a', atLeast: '1' },
        {
          score: {
            atLeast: '10',
            parts: [
              { metric: 'b', target: '1', points: '5' },
              { metric: 'c', target: '4', points: '10' },
            ],
          },
        },
      ],
    };
    // 5 + 10·2/4 = 10 → holds
    expect(holds(c, values({ a: 1, b: 1, c: 2 }), units)).toBe(true);
    // 5 + 10·1/4 = 7.5 → unmet: part 1 only (part 0 earned its full points)
    expect(shown(c, { a: 1, b: 1, c: 1 })).toEqual([
      { path: 'allOf[1].score.parts[1]', metric: 'c', actual: '1', required: '4', shortBy: '3' },
    ]);
  });
});
