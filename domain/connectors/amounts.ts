// Source amounts to exact §4 decimal strings, never through a binary float: Salesforce writes
// a double as "48250.0" or "4.825E7", HubSpot a string "48250", Stripe integer minor units.
import { currencyDigits, formatMinor } from '../money.ts';
import { ConvertProblem } from './outcome.ts';

/** Digits an amount may have in minor units: far beyond any deal, far below a `1E9999` trap. */
const MAX_MINOR_DIGITS = 40;
const DECIMAL_TEXT = /^\+?(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;

function digitsOf(currency: string): number {
  const digits = currencyDigits(currency);
  if (digits === undefined) throw new ConvertProblem(`unknown currency ${JSON.stringify(currency)}`);
  return digits;
}

/**
 * A decimal written as text (plain or with an exponent) as `currency`'s amount at its minor unit:
 * "48250.0" USD → "48250.00". More significant decimals than the currency has is a problem, not
 * a rounding: the source said something the currency cannot hold.
 */
export function decimalAmount(text: string, currency: string, field: string): string {
  const digits = digitsOf(currency);
  const match = text.length <= 100 ? DECIMAL_TEXT.exec(text.trim()) : null;
  if (!match) throw new ConvertProblem(`${field} ${JSON.stringify(text)} is not a non-negative decimal`);
  const [, whole = '', frac = '', exp = '0'] = match;
  // value = (whole frac) × 10^(exp − frac.length); in minor units × 10^digits.
  const shift = Number(exp) - frac.length + digits;
  const mantissa = BigInt(`${whole}${frac}`);
  let minor: bigint;
  if (shift >= 0) minor = mantissa * 10n ** BigInt(shift);
  else {
    const den = 10n ** BigInt(-shift);
    if (mantissa % den !== 0n)
      throw new ConvertProblem(`${field} ${text} has more decimals than ${currency} allows (${digits})`);
    minor = mantissa / den;
  }
  if (minor.toString().length > MAX_MINOR_DIGITS)
    throw new ConvertProblem(`${field} ${text.slice(0, 40)} is too large for an amount`);
  return formatMinor(minor, digits);
}

/** Stripe's exponent where it differs from ISO 4217 (its API writes these with two decimals). */
const STRIPE_EXPONENT: Readonly<Record<string, number>> = { ISK: 2, UGX: 2 };

/** Stripe integer minor units (a JSON integer) as an ISO-exact decimal: 482500 eur → "4825.00". */
export function stripeAmount(value: unknown, currency: string, field: string): string {
  const digits = digitsOf(currency);
  let minor: bigint;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) minor = BigInt(value);
  else if (typeof value === 'string' && /^\d{1,30}$/.test(value)) minor = BigInt(value);
  else throw new ConvertProblem(`${field} ${JSON.stringify(value)} is not a non-negative integer of minor units`);
  const exponent = STRIPE_EXPONENT[currency] ?? digits;
  if (exponent === digits) return formatMinor(minor, digits);
  const den = 10n ** BigInt(exponent - digits);
  if (minor % den !== 0n)
    throw new ConvertProblem(`${field} ${minor} is not a whole number of ${currency} minor units`);
  return formatMinor(minor / den, digits);
}
