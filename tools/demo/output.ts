// What the demo prints: plain lines for people (colour on a terminal unless NO_COLOR), a
// stoppable clock, and money written from decimal strings without ever becoming a float.
import { setTimeout as sleep } from 'node:timers/promises';

const useColour = (): boolean => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

const paint =
  (code: string) =>
  (text: string): string =>
    useColour() ? `\u001b[${code}m${text}\u001b[0m` : text;

export const colour = {
  bold: paint('1'),
  dim: paint('2'),
  green: paint('32'),
  red: paint('31'),
  yellow: paint('33'),
  cyan: paint('36'),
  magenta: paint('35'),
};

// A status line on stderr shares the terminal with stdout: a line printed while it shows
// would be glued to its end, so it is cleared first.
let statusShown = false;

/** A line on stdout, prefixed with the wall-clock time. */
export function say(text: string): void {
  if (statusShown) clearStatus();
  const now = new Date();
  const hh = String(now.getHours()).padStart(2, '0');
  const mm = String(now.getMinutes()).padStart(2, '0');
  const ss = String(now.getSeconds()).padStart(2, '0');
  process.stdout.write(`${colour.dim(`${hh}:${mm}:${ss}`)}  ${text}\n`);
}

/** A line on stdout without a time (tables of the summary). */
export function print(text = ''): void {
  if (statusShown) clearStatus();
  process.stdout.write(`${text}\n`);
}

/** A status line rewritten in place on a terminal; nothing elsewhere. */
export function status(text: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r\u001b[2K${text}`);
  statusShown = true;
}

export function clearStatus(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\u001b[2K');
  statusShown = false;
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "88770589.38" → "$88,770,589.38" (USD) or "EUR 1,234.50". The text is a decimal string. */
export function money(text: string | null | undefined, currency: string): string {
  const value = (text ?? '0').trim();
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return `${currency} ${value}`;
  const [, sign = '', whole = '0', fraction] = m;
  const amount = `${group(whole)}${fraction !== undefined ? `.${fraction}` : ''}`;
  return currency === 'USD' ? `${sign}$${amount}` : `${sign}${currency} ${amount}`;
}

/** Whole cents → "1234.50". */
export function centsText(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** A decimal string of money → whole cents (the demo's own amounts only, far below 2^53). */
export function textCents(text: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,2})\d*)?$/.exec(text.trim());
  if (!m) return 0;
  const cents = Number(m[2]) * 100 + Number((m[3] ?? '0').padEnd(2, '0'));
  return m[1] ? -cents : cents;
}

export function count(n: number): string {
  return group(String(n));
}

export function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}

/** Stops loops and sleeps early: set once, by Ctrl-C, SIGTERM or the end of the run. */
export class Stop {
  #stop = new AbortController();

  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  stop(): void {
    this.#stop.abort();
  }

  /** Resolves after `ms`, or at once when stopped. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return sleep(Math.max(0, ms), undefined, { signal: this.#stop.signal }).catch(() => {});
  }
}
