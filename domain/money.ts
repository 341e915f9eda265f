// Money is held as integer minor units (bigint) of a currency; decimal strings are only the
// wire format. Conversions are exact: amount × fxRate is computed as a rational and rounded
// half-even once, to the program currency's minor unit (docs/events.md#numbers).
import currencyCodes from 'currency-codes';

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const SIGNED_DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** ISO 4217 code → minor-unit digits, indexed once: currencyCodes.code() searches the list on every call. */
const DIGITS = new Map(currencyCodes.data.map((c) => [c.code, c.digits]));

/** ISO 4217 minor-unit digits, or undefined for a code outside ISO 4217. */
export function currencyDigits(code: string): number | undefined {
  return DIGITS.get(code);
}

export function isDecimalString(text: string): boolean {
  return DECIMAL.test(text);
}

export function decimalPlaces(text: string): number {
  return DECIMAL.exec(text)?.[2]?.length ?? 0;
}

export interface Ratio {
  num: bigint;
  den: bigint;
}

/** An exact rational for a (possibly negative) decimal string. */
export function decimalToRatio(text: string): Ratio {
  const match = SIGNED_DECIMAL.exec(text);
  if (!match) throw new Error(`not a decimal string: ${JSON.stringify(text)}`);
  const [, sign, whole, frac = ''] = match;
  const num = BigInt(`${whole}${frac}`) * (sign === '-' ? -1n : 1n);
  return { num, den: 10n ** BigInt(frac.length) };
}

export function isPositiveDecimal(text: string): boolean {
  return isDecimalString(text) && decimalToRatio(text).num > 0n;
}

/** Exact minor units of a decimal amount that has at most `digits` decimals. */
export function toMinor(amount: string, digits: number): bigint {
  const { num, den } = decimalToRatio(amount);
  const scale = 10n ** BigInt(digits);
  if ((num * scale) % den !== 0n) throw new Error(`${amount} has more than ${digits} decimals`);
  return (num * scale) / den;
}

/** Rounds num/den to the nearest integer, ties to even. */
export function roundHalfEven(num: bigint, den: bigint): bigint {
  if (den < 0n) return roundHalfEven(-num, -den);
  const floor = num >= 0n ? num / den : -((-num + den - 1n) / den);
  const twiceRemainder = 2n * (num - floor * den);
  if (twiceRemainder > den) return floor + 1n;
  if (twiceRemainder < den) return floor;
  return floor % 2n === 0n ? floor : floor + 1n;
}

/** amount (in `fromDigits` minor units) × rate, in `toDigits` minor units, half-even. */
export function multiplyMinor(minor: bigint, fromDigits: number, rate: string, toDigits: number): bigint {
  const r = decimalToRatio(rate);
  const num = minor * r.num * 10n ** BigInt(toDigits);
  const den = r.den * 10n ** BigInt(fromDigits);
  return roundHalfEven(num, den);
}

export function formatMinor(minor: bigint, digits: number): string {
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : text.slice(0, -digits);
  const frac = digits === 0 ? '' : `.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}${frac}`;
}

/** Formats an exact ratio with `digits` decimals, half-even. */
export function formatRatio(value: Ratio, digits: number): string {
  return formatMinor(roundHalfEven(value.num * 10n ** BigInt(digits), value.den), digits);
}

/** One spelling per value as Postgres numeric keeps it: no leading zeros ("007.50" → "7.50"). */
export function canonicalDecimal(text: string): string {
  return text.replace(/^0+(?=\d)/, '');
}
