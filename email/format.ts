// Numbers, dates and lists as a person reads them in an email. Exact: amounts stay decimal
// strings all the way to Intl.NumberFormat (which formats a numeric string without going
// through a binary float), rates are shifted by string arithmetic.
import { decimalToRatio, formatRatio } from '../domain/money.ts';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** "$88,000", "$1,250.50", "¥1,200", "€3,000": whole amounts without decimals. */
export function formatMoney(amount: string, currency: string, locale = 'en-US'): string {
  const key = `${locale}|${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency, trailingZeroDisplay: 'stripIfInteger' });
    moneyFormats.set(key, format);
  }
  return format.format(decimalString(amount));
}

const countFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 20 });

/** "1", "12,500", "2.5". */
export function formatCount(value: string): string {
  return countFormat.format(decimalString(value));
}

function decimalString(text: string): `${number}` {
  // decimalToRatio throws on anything that is not a decimal string: no NaN reaches Intl.
  decimalToRatio(text);
  return text as `${number}`;
}

/** A rate as a percentage: "0.05" → "5%", "0.0125" → "1.25%". */
export function formatPercent(rate: string): string {
  const { num, den } = decimalToRatio(rate);
  const decimals = rate.split('.')[1]?.length ?? 0;
  const text = formatRatio({ num: num * 100n, den }, Math.max(0, decimals - 2));
  const trimmed = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return `${trimmed}%`;
}

/** "2026-12-10" → "10 December 2026"; anything else is returned as it is. */
export function formatLongDate(day: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const month = MONTHS[Number(match[2]) - 1];
  if (!month) return day;
  return `${Number(match[3])} ${month} ${match[1]}`;
}

/** "a", "a and b", "a, b and c". */
export function joinWords(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** Upper-cases the first letter. */
export function capitalise(text: string): string {
  return text.length === 0 ? text : `${text[0]?.toUpperCase()}${text.slice(1)}`;
}

/** Whether a decimal string is exactly one. */
export function isOne(value: string): boolean {
  const { num, den } = decimalToRatio(value);
  return num === den;
}
