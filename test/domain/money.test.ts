// domain/money.ts: minor units, half-even rounding, fx conversion (SPEC §2 numbers, §3a rule 16).
import { describe, expect, it } from 'vitest';
import {
  currencyDigits,
  decimalPlaces,
  decimalToRatio,
  formatMinor,
  formatRatio,
  isDecimalString,
  isPositiveDecimal,
  multiplyMinor,
  roundHalfEven,
  toMinor,
} from '../../domain/money.ts';

describe('currencyDigits (ISO 4217 minor unit)', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['ISK', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['CLF', 4],
  ])('%s has %i digits', (code, digits) => {
    expect(currencyDigits(code)).toBe(digits);
  });

  it.each(['ABC', 'XYZ', 'usd', 'US', 'USDD', '', '123'])('%j is not an ISO 4217 code', (code) => {
    expect(currencyDigits(code)).toBeUndefined();
  });
});

describe('decimal strings', () => {
  it.each([
    ['0', true],
    ['48000.00', true],
    ['0.05', true],
    ['5,000.00', false],
    ['-5.00', false],
    ['1e3', false],
    ['.5', false],
    ['5.', false],
    [' 5', false],
    ['', false],
  ])('isDecimalString(%j) = %s', (text, expected) => {
    expect(isDecimalString(text)).toBe(expected);
  });

  it.each([
    ['1.08', true],
    ['0.0001', true],
    ['0', false],
    ['0.000', false],
    ['-1', false],
  ])('isPositiveDecimal(%j) = %s', (text, expected) => {
    expect(isPositiveDecimal(text)).toBe(expected);
  });

  it('decimalPlaces counts written decimals', () => {
    expect(decimalPlaces('100')).toBe(0);
    expect(decimalPlaces('100.0')).toBe(1);
    expect(decimalPlaces('1.234')).toBe(3);
  });

  it('decimalToRatio is exact, negatives included', () => {
    expect(decimalToRatio('-1.50')).toEqual({ num: -150n, den: 100n });
    expect(decimalToRatio('1.08425')).toEqual({ num: 108425n, den: 100000n });
    expect(decimalToRatio('7')).toEqual({ num: 7n, den: 1n });
    expect(() => decimalToRatio('1,5')).toThrow();
  });
});

describe('toMinor', () => {
  it.each([
    ['100.00', 2, 10000n],
    ['100', 2, 10000n],
    ['0.5', 2, 50n],
    ['0.05', 2, 5n],
    ['48000.00', 2, 4800000n],
    ['1500', 0, 1500n],
    ['1.234', 3, 1234n],
    ['1.2', 3, 1200n],
    ['0', 2, 0n],
  ] as const)('%s with %i digits = %s', (amount, digits, minor) => {
    expect(toMinor(amount, digits)).toBe(minor);
  });

  it.each([
    ['100.001', 2],
    ['100.5', 0],
    ['1.2345', 3],
  ] as const)('%s has more decimals than %i: throws', (amount, digits) => {
    expect(() => toMinor(amount, digits)).toThrow();
  });

  it('accepts trailing zeros beyond the minor unit when they are zeros', () => {
    // exact value 100.000 USD is 10000 cents; validation of written decimals is the event schema's job
    expect(toMinor('100.000', 2)).toBe(10000n);
    expect(toMinor('100.0', 0)).toBe(100n);
  });
});

describe('roundHalfEven', () => {
  it.each([
    [1n, 2n, 0n], //  0.5 → 0
    [3n, 2n, 2n], //  1.5 → 2
    [5n, 2n, 2n], //  2.5 → 2
    [7n, 2n, 4n], //  3.5 → 4
    [-1n, 2n, 0n], // −0.5 → 0
    [-3n, 2n, -2n], // −1.5 → −2
    [-5n, 2n, -2n], // −2.5 → −2
    [1n, 3n, 0n], //  0.333 → 0
    [2n, 3n, 1n], //  0.667 → 1
    [-1n, 3n, 0n], // −0.333 → 0
    [-2n, 3n, -1n], // −0.667 → −1
    [10n, 5n, 2n], //  exact
    [-10n, 5n, -2n],
    [0n, 7n, 0n],
    [251n, 100n, 3n],
    [249n, 100n, 2n],
    [1n, -2n, 0n], // negative denominator: −0.5 → 0
    [3n, -2n, -2n], // −1.5 → −2
  ])('%s/%s → %s', (num, den, expected) => {
    // -0n and 0n are the same bigint
    expect(roundHalfEven(num, den) === expected).toBe(true);
  });
});

describe('multiplyMinor (amount × rate, half-even to the target minor unit)', () => {
  it.each([
    // "100.00" EUR × "1.08425" = 108.425 USD → tie → 108.42
    [10000n, 2, '1.08425', 2, 10842n],
    // 108.435 → tie → 108.44
    [10000n, 2, '1.08435', 2, 10844n],
    // 100.00 × 1.084251 = 108.4251 → 108.43
    [10000n, 2, '1.084251', 2, 10843n],
    // JPY (0 digits) → USD: 1000 × 0.0067 = 6.70
    [1000n, 0, '0.0067', 2, 670n],
    // 1234 JPY × 0.00675 = 8.3295 → 8.33
    [1234n, 0, '0.00675', 2, 833n],
    // 100 JPY × 0.00125 = 0.125 → tie → 0.12
    [100n, 0, '0.00125', 2, 12n],
    // USD → JPY: 1.00 × 150.5 = 150.5 → tie → 150; 3.00 × 150.5 = 451.5 → 452
    [100n, 2, '150.5', 0, 150n],
    [300n, 2, '150.5', 0, 452n],
    // USD → BHD (3 digits): 100.00 × 0.376 = 37.600
    [10000n, 2, '0.376', 3, 37600n],
    // BHD → USD: 1.005 × 2.65 = 2.66325 → 2.66; 0.001 × 5 = 0.005 → 0.00; 0.003 × 5 = 0.015 → 0.02
    [1005n, 3, '2.65', 2, 266n],
    [1n, 3, '5', 2, 0n],
    [3n, 3, '5', 2, 2n],
    // ledger rates: 0.50 × 0.05 = 0.025 → 0.02; 0.30 × 0.05 = 0.015 → 0.02
    [50n, 2, '0.05', 2, 2n],
    [30n, 2, '0.05', 2, 2n],
    [4800000n, 2, '0.08', 2, 384000n],
    // negative amounts (credits) round half-even too: −0.50 × 0.05 = −0.025 → −0.02
    [-50n, 2, '0.05', 2, -2n],
    [12345n, 2, '0', 2, 0n],
  ] as const)('%s (%i digits) × %s → %s (%i digits)', (minor, fromDigits, rate, toDigits, expected) => {
    expect(multiplyMinor(minor, fromDigits, rate, toDigits)).toBe(expected);
  });
});

describe('formatMinor', () => {
  it.each([
    [0n, 2, '0.00'],
    [0n, 0, '0'],
    [0n, 3, '0.000'],
    [5n, 2, '0.05'],
    [-5n, 2, '-0.05'],
    [50n, 2, '0.50'],
    [123456n, 2, '1234.56'],
    [-123456n, 2, '-1234.56'],
    [-123456n, 0, '-123456'],
    [1n, 3, '0.001'],
    [-1000n, 3, '-1.000'],
    [8800000n, 2, '88000.00'],
    [7321000n, 2, '73210.00'],
  ] as const)('%s with %i digits = %s', (minor, digits, expected) => {
    expect(formatMinor(minor, digits)).toBe(expected);
  });

  it('formatRatio rounds half-even to the digits', () => {
    expect(formatRatio({ num: 1n, den: 8n }, 2)).toBe('0.12'); // 0.125 → 0.12
    expect(formatRatio({ num: 3n, den: 8n }, 2)).toBe('0.38'); // 0.375 → 0.38
    expect(formatRatio({ num: -1n, den: 3n }, 2)).toBe('-0.33');
    expect(formatRatio({ num: 7n, den: 2n }, 0)).toBe('4');
  });
});
