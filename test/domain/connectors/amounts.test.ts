import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalAmount, stripeAmount } from '../../../domain/connectors/amounts.ts';
import { ConvertProblem } from '../../../domain/connectors/outcome.ts';
import { formatMinor } from '../../../domain/money.ts';

describe('source amounts are exact', () => {
  it.each([
    ['48250.0', 'USD', '48250.00'],
    ['48250', 'USD', '48250.00'],
    ['1.2E7', 'USD', '12000000.00'],
    ['4.825e4', 'EUR', '48250.00'],
    ['0.1', 'USD', '0.10'],
    ['5000.0', 'JPY', '5000'],
    ['1.005', 'KWD', '1.005'],
    ['123456789012345678.99', 'USD', '123456789012345678.99'],
    ['1E-2', 'USD', '0.01'],
  ])('%s %s → %s', (text, currency, expected) => {
    expect(decimalAmount(text, currency, 'amount')).toBe(expected);
  });

  it.each([
    ['0.001', 'USD'],
    ['1.5', 'JPY'],
    ['abc', 'USD'],
    ['', 'USD'],
    ['NaN', 'USD'],
    ['1e9999', 'USD'],
  ])('%s %s is a problem', (text, currency) => {
    expect(() => decimalAmount(text, currency, 'amount')).toThrow(ConvertProblem);
  });

  it('any amount, written plainly or with an exponent, reads back to the same minor units', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.constantFrom(['USD', 2], ['JPY', 0], ['KWD', 3]),
        fc.integer({ min: 0, max: 6 }),
        (minor, [currency, digits], shift) => {
          const plain = formatMinor(minor, digits);
          expect(decimalAmount(plain, currency, 'a')).toBe(plain);
          // minor × 10^-digits written as (minor × 10^shift)E-(digits + shift)
          const exp = `${minor * 10n ** BigInt(shift)}E-${digits + shift}`;
          expect(decimalAmount(exp, currency, 'a')).toBe(plain);
          expect(stripeAmount(minor.toString(), currency, 'a')).toBe(plain);
        },
      ),
    );
  });
});
